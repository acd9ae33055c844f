import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lookupAll, oneFamily, REFRESH_MS, Replicas, SET_ASIDE_MS } from '../src/replicas.ts';
import { fakeClock, notFound, resolver } from './helpers.ts';

const REPLICAS = ['10.0.0.4', '10.0.0.5', '10.0.0.6'];

describe('Replicas', { timeout: 5_000 }, () => {
  for (const address of ['10.0.0.9', 'fd00::9']) {
    it(`uses the IP address ${address} as it is, without a lookup`, async () => {
      const dns = resolver(() => REPLICAS);
      const rotation = new Replicas(address, dns.lookup);
      assert.deepEqual([await rotation.next(), await rotation.next()], [address, address]);
      rotation.setAside(address);
      assert.deepEqual([await rotation.next(), await rotation.nextNotAside()], [address, undefined]);
      assert.equal(dns.calls(), 0);
    });
  }

  it('shares one lookup between calls that arrive while it runs, then takes the addresses in turn', async () => {
    const dns = resolver(() => REPLICAS);
    const clock = fakeClock();
    const rotation = new Replicas('service2', dns.lookup, clock.now);
    const taken = await Promise.all([rotation.next(), rotation.next(), rotation.next(), rotation.next()]);
    assert.deepEqual(taken, [...REPLICAS, REPLICAS[0]]);
    assert.equal(await rotation.next(), REPLICAS[1]);
    assert.deepEqual(dns.hostnames, ['service2']);
  });

  it('looks the name up again once REFRESH_MS has passed on its clock, and not before', async () => {
    let answer = REPLICAS;
    const dns = resolver(() => answer);
    const clock = fakeClock();
    const rotation = new Replicas('service2', dns.lookup, clock.now);
    assert.equal(await rotation.next(), REPLICAS[0]);
    answer = ['10.0.0.7'];
    clock.advance(REFRESH_MS - 1);
    assert.equal(await rotation.next(), REPLICAS[1]);
    assert.equal(dns.calls(), 1);
    clock.advance(1);
    assert.equal(await rotation.next(), '10.0.0.7');
    assert.equal(dns.calls(), 2);
    // The period runs from the last lookup, not from the first.
    clock.advance(REFRESH_MS - 1);
    assert.equal(await rotation.next(), '10.0.0.7');
    assert.equal(dns.calls(), 2);
  });

  it('looks the name up again once a replica is set aside, however fresh its answer', async () => {
    const dns = resolver((n) => (n === 1 ? REPLICAS : ['10.0.0.7']));
    const rotation = new Replicas('service2', dns.lookup, fakeClock().now);
    await rotation.next();
    rotation.setAside(REPLICAS[0] ?? '');
    assert.equal(await rotation.next(), '10.0.0.7');
    assert.equal(dns.calls(), 2);
  });

  it('counts a name with an IPv4 and an IPv6 address as one replica, of the family the resolver lists first', async () => {
    for (const [answer, replica] of [
      [['127.0.0.1', '::1'], '127.0.0.1'],
      [['::1', '127.0.0.1'], '::1'],
    ] as const) {
      const clock = fakeClock();
      const replicas = new Replicas('service2', resolver(() => answer).lookup, clock.now);
      const taken = [];
      for (let i = 0; i < 4; i += 1) {
        taken.push(await replicas.next());
        clock.advance(REFRESH_MS);
      }
      assert.deepEqual(taken, [replica, replica, replica, replica]);
      assert.equal(replicas.hasAlternativeTo(replica), false);
    }
  });

  it('counts three containers on dual-stack networks as three replicas, all of one family', async () => {
    const dualStack = ['fd00::4', '10.0.0.4', 'fd00::5', '10.0.0.5', 'fd00::6', '10.0.0.6'];
    const replicas = new Replicas('service2', resolver(() => dualStack).lookup, fakeClock().now);
    const taken = [];
    for (let i = 0; i < 6; i += 1) taken.push(await replicas.next());
    assert.deepEqual(taken, ['fd00::4', 'fd00::5', 'fd00::6', 'fd00::4', 'fd00::5', 'fd00::6']);
  });

  it('rejects with ENOTFOUND when a lookup finds no address, and looks again at the next call', async () => {
    const dns = resolver((n) => (n === 1 ? [] : REPLICAS));
    const rotation = new Replicas('service2', dns.lookup, fakeClock().now);
    await assert.rejects(rotation.next(), { code: 'ENOTFOUND', message: 'service2 has no address' });
    assert.equal(await rotation.next(), REPLICAS[0]);
    assert.equal(dns.calls(), 2);
  });

  it('rejects with the error of a failed lookup, and looks again at the next call without waiting for the refresh period', async () => {
    const dns = resolver((n) => (n === 1 ? notFound() : REPLICAS));
    const rotation = new Replicas('service2', dns.lookup, fakeClock().now);
    await assert.rejects(rotation.next(), { code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND service2' });
    assert.equal(await rotation.next(), REPLICAS[0]);
    assert.equal(dns.calls(), 2);
  });

  it('keeps the last answer when a later lookup fails, and looks again at the next call', async () => {
    const dns = resolver((n) => (n === 2 ? notFound() : REPLICAS));
    const clock = fakeClock();
    const rotation = new Replicas('service2', dns.lookup, clock.now);
    assert.equal(await rotation.next(), REPLICAS[0]);
    clock.advance(REFRESH_MS);
    await assert.rejects(rotation.next(), { code: 'ENOTFOUND' });
    assert.equal(await rotation.next(), REPLICAS[1]);
    assert.equal(dns.calls(), 3);
  });

  it('takes the addresses in turn over later lookups too', async () => {
    const dns = resolver(() => REPLICAS);
    const clock = fakeClock();
    const rotation = new Replicas('service2', dns.lookup, clock.now);
    const taken: string[] = [];
    for (let i = 0; i < 6; i += 1) {
      taken.push(await rotation.next());
      clock.advance(REFRESH_MS);
    }
    assert.deepEqual(taken, [...REPLICAS, ...REPLICAS]);
    assert.equal(dns.calls(), 6);
  });
});

describe('Replicas set aside', () => {
  it('leaves an address set aside out of the turns for SET_ASIDE_MS on its clock, and takes it again after', async () => {
    const clock = fakeClock();
    const rotation = new Replicas('service2', resolver(() => REPLICAS).lookup, clock.now);
    assert.equal(await rotation.next(), REPLICAS[0]);
    rotation.setAside(REPLICAS[1] ?? '');
    const taken = [];
    for (let i = 0; i < 4; i += 1) taken.push(await rotation.next());
    assert.deepEqual(taken, [REPLICAS[2], REPLICAS[0], REPLICAS[2], REPLICAS[0]]);
    clock.advance(SET_ASIDE_MS - 1);
    assert.equal(await rotation.next(), REPLICAS[2]);
    clock.advance(1);
    assert.deepEqual([await rotation.next(), await rotation.next()], [REPLICAS[0], REPLICAS[1]]);
  });

  it('takes the next address in turn when every one is set aside, though none not set aside, and says whether another could take a call', async () => {
    const clock = fakeClock();
    const rotation = new Replicas('service2', resolver(() => REPLICAS.slice(0, 2)).lookup, clock.now);
    assert.equal(await rotation.next(), REPLICAS[0]);
    assert.equal(rotation.hasAlternativeTo(REPLICAS[0] ?? ''), true);
    rotation.setAside(REPLICAS[1] ?? '');
    assert.equal(rotation.hasAlternativeTo(REPLICAS[0] ?? ''), false);
    assert.equal(rotation.hasAlternativeTo(REPLICAS[1] ?? ''), true);
    rotation.setAside(REPLICAS[0] ?? '');
    assert.equal(await rotation.nextNotAside(), undefined);
    assert.deepEqual([await rotation.next(), await rotation.next()], [REPLICAS[1], REPLICAS[0]]);
    assert.equal(rotation.hasAlternativeTo(REPLICAS[0] ?? ''), false);
  });
});

describe('oneFamily', () => {
  it("keeps the addresses of the first one's family, in their order", () => {
    assert.deepEqual(oneFamily(['fd00::2', '10.0.0.2', 'fd00::3', '10.0.0.3']), ['fd00::2', 'fd00::3']);
    assert.deepEqual(oneFamily(['10.0.0.2', 'fd00::2', '10.0.0.3']), ['10.0.0.2', '10.0.0.3']);
    assert.deepEqual(oneFamily(['10.0.0.2']), ['10.0.0.2']);
  });
});

describe('lookupAll', () => {
  it('asks the system resolver, and gives its answer as a list of addresses', async () => {
    // An address literal needs no name service: getaddrinfo gives it back as it is.
    assert.deepEqual(await lookupAll('127.0.0.1'), ['127.0.0.1']);
  });
});
