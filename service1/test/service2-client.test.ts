import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ask, freePort, sample, unavailable } from '@two-services/service-kit/testing';
import { REFRESH_MS, SET_ASIDE_MS } from '../src/replicas.ts';
import { MAX_TRIES, TRY_TIMEOUT_MS } from '../src/service2-client.ts';
import { FakeService2, holding, MULTICAST, noUnreachableNetwork, SERVICE2_LINE, silentServer } from './fake-service2.ts';
import { clientOf, fakeClock, metricsOf, replicasOf, resolver, startService1 } from './helpers.ts';
import type { Service1 } from './helpers.ts';

// Three loopback addresses, so that a swapped remote and local end cannot pass.
const SERVICE1 = '127.0.0.2';
const CLIENT = '127.0.0.3';
const SERVICE2 = '127.0.0.4';
// Three replicas of service2 on one port, each on its own loopback address.
const REPLICAS = ['127.0.0.5', '127.0.0.6', '127.0.0.7'];

const noAliases = await unavailable(SERVICE1, CLIENT, SERVICE2);
const noReplicas = await unavailable(...REPLICAS);
// An address of this machine where nothing listens on service2's port: a replica that has stopped.
const noDeadAddress = await unavailable('127.0.0.2');
const noUnreachable = await noUnreachableNetwork();
// Addresses of this machine where nothing listens on service2's port: replicas stopped, or not yet reachable.
const STOPPED = ['127.0.0.8', '127.0.0.9', '127.0.0.10'];
const noStopped = await unavailable(...STOPPED);
const noIPv6 = await unavailable('::1');

/** Replicas of service2 on one port, each on its own address. */
async function replicas(addresses: readonly string[]): Promise<{ fakes: FakeService2[]; port: number; stop: () => Promise<void> }> {
  const port = await freePort(addresses[0]);
  const fakes = await Promise.all(addresses.map((host) => new FakeService2(host).start(port)));
  return { fakes, port, stop: async () => void (await Promise.all(fakes.map((fake) => fake.stop()))) };
}

const served = (fakes: readonly FakeService2[]): number[] => fakes.map((fake) => fake.requests.length);

describe('service1 on distinct addresses: the caller, itself, service2', { timeout: 5_000, skip: noAliases }, () => {
  const service2 = new FakeService2(SERVICE2);
  let service1: Service1;
  before(async () => {
    await service2.start();
    service1 = await startService1(service2.url, { host: SERVICE1 });
  });
  after(async () => {
    await service1.stop();
    await service2.stop();
  });

  it("answers with the caller as remote end and its own address as local end, then service2's line", async () => {
    const answer = await ask({ host: SERVICE1, port: service1.port, from: CLIENT });
    assert.equal(answer.status, 200);
    assert.equal(answer.body, `Hello from ${CLIENT}:${answer.clientPort} to ${SERVICE1}:${service1.port}\n${SERVICE2_LINE}`);
    assert.equal(service2.requests.at(-1)?.headers.host, `${SERVICE2}:${service2.port}`);
  });

  it('answers a failure with its own line too', async () => {
    service2.behaviour = (_req, res) => {
      res.writeHead(500);
      res.end();
    };
    const answer = await ask({ host: SERVICE1, port: service1.port, from: CLIENT });
    assert.equal(answer.status, 502);
    assert.equal(answer.body, `Hello from ${CLIENT}:${answer.clientPort} to ${SERVICE1}:${service1.port}\nservice2 answered 500\n`);
  });
});

describe('service1 and the name of service2', { timeout: 5_000 }, () => {
  it('answers 502 when the name no longer resolves, and recovers as soon as it does again', async () => {
    const service2 = await new FakeService2().start();
    let answer: readonly string[] = ['127.0.0.1'];
    const dns = resolver(() => answer);
    const clock = fakeClock();
    const service1 = await startService1(new URL(`http://service2:${service2.port}/`), {
      replicas: replicasOf(dns.lookup, clock),
    });
    try {
      assert.equal((await service1.ask()).status, 200);
      answer = [];
      clock.advance(REFRESH_MS);
      const gone = await service1.ask();
      assert.equal(gone.status, 502);
      assert.equal(gone.body, `${service1.ownLine(gone)}service2 is not known to DNS (ENOTFOUND)\n`);
      assert.equal(sample(await metricsOf(service1.port), 'service2_calls_total{outcome="dns"}'), 1);
      answer = ['127.0.0.1'];
      // No wait for the refresh period: a failed lookup is not kept.
      assert.equal((await service1.ask()).status, 200);
      assert.equal(dns.calls(), 3);
      assert.equal(service2.requests.length, 2);
    } finally {
      await service1.stop();
      await service2.stop();
    }
  });

  it('looks the name up once, not per call, while its answer is fresh', async () => {
    const service2 = await new FakeService2().start();
    const dns = resolver(() => ['127.0.0.1']);
    const client = clientOf(service2.port, dns.lookup);
    try {
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => client.call(`fresh-${i}`)));
      assert.deepEqual(new Set(results.map((result) => result.outcome)), new Set(['ok']));
      assert.equal(dns.calls(), 1);
    } finally {
      client.close();
      await service2.stop();
    }
  });

  it('retries a refused call once, after looking the name up again', { skip: noDeadAddress }, async () => {
    const service2 = await new FakeService2().start();
    // The first answer is a replica that has stopped; the second, one that runs.
    const dns = resolver((n) => (n === 1 ? ['127.0.0.2'] : ['127.0.0.1']));
    const client = clientOf(service2.port, dns.lookup);
    try {
      const result = await client.call('refused-then-ok');
      assert.deepEqual(
        [result.outcome, result.outcome === 'ok' && result.greeting, result.retried, result.upstreamStatus],
        ['ok', SERVICE2_LINE, true, 200],
      );
      assert.equal(dns.calls(), 2);
      assert.equal(service2.requests.length, 1);
    } finally {
      client.close();
      await service2.stop();
    }
  });

  it('tries a lone address that refuses once: looked up again, the name has no other to try', {
    skip: noDeadAddress,
  }, async () => {
    const dns = resolver(() => ['127.0.0.2']);
    const client = clientOf(await freePort(), dns.lookup);
    try {
      const result = await client.call('lone-refusing');
      assert.deepEqual([result.outcome, result.retried], ['unreachable', false]);
      // The lookup after the refusal found the same address, set aside.
      assert.equal(dns.calls(), 2);
    } finally {
      client.close();
    }
  });

  it('retries a call to an address on a network it cannot reach once, after looking the name up again', {
    skip: noUnreachable,
  }, async () => {
    const service2 = await new FakeService2().start();
    // The first answer is an address no connection can reach; the second, a replica that runs.
    const dns = resolver((n) => (n === 1 ? [MULTICAST] : ['127.0.0.1']));
    const client = clientOf(service2.port, dns.lookup);
    try {
      const result = await client.call('unreachable-then-ok');
      assert.deepEqual([result.outcome, result.outcome === 'ok' && result.greeting, result.retried], ['ok', SERVICE2_LINE, true]);
      assert.equal(dns.calls(), 2);
    } finally {
      client.close();
      await service2.stop();
    }
  });

  it('answers 502 when the name cannot be looked up for now (EAI_AGAIN), and does not try again', async () => {
    const dns = resolver(() => Object.assign(new Error('getaddrinfo EAI_AGAIN service2'), { code: 'EAI_AGAIN' }));
    const service1 = await startService1(new URL('http://service2:8002/'), {
      replicas: replicasOf(dns.lookup),
    });
    try {
      const answer = await service1.ask();
      assert.equal(answer.status, 502);
      assert.equal(answer.body, `${service1.ownLine(answer)}service2 could not be looked up in DNS (EAI_AGAIN)\n`);
      assert.equal(sample(await metricsOf(service1.port), 'service2_calls_total{outcome="dns"}'), 1);
      assert.equal(dns.calls(), 1);
    } finally {
      await service1.stop();
    }
  });

  it("answers 502 in the lookup's own words when it fails without an error code", async () => {
    const dns = resolver(() => new Error('resolver gone'));
    const service1 = await startService1(new URL('http://service2:8002/'), {
      replicas: replicasOf(dns.lookup),
    });
    try {
      const answer = await service1.ask();
      assert.equal(answer.status, 502);
      assert.equal(answer.body, `${service1.ownLine(answer)}service2 failed: resolver gone\n`);
    } finally {
      await service1.stop();
    }
  });

  describe('spread over replicas', { skip: noReplicas }, () => {
    it('spreads calls over every address the name has, in turn, each replica on one kept-alive connection', async () => {
      const { fakes, port, stop } = await replicas(REPLICAS);
      const client = clientOf(port, resolver(() => REPLICAS).lookup);
      try {
        for (let i = 0; i < 60; i += 1) {
          const result = await client.call(`spread-${i}`);
          assert.equal(result.outcome, 'ok', result.outcome === 'ok' ? '' : result.reason);
        }
        assert.deepEqual(served(fakes), [20, 20, 20]);
        assert.deepEqual(
          fakes.map((fake) => fake.connections.length),
          [1, 1, 1],
        );
        assert.equal(fakes[0]?.requests[0]?.headers.host, `service2:${port}`);
      } finally {
        client.close();
        await stop();
      }
    });

    it('follows the name when a replica leaves, once the refresh period has passed', async () => {
      const { fakes, port, stop } = await replicas(REPLICAS);
      let answer = REPLICAS;
      const dns = resolver(() => answer);
      const clock = fakeClock();
      const client = clientOf(port, dns.lookup, clock);
      try {
        assert.equal((await client.call('before')).outcome, 'ok');
        answer = REPLICAS.slice(1);
        // Until the answer is REFRESH_MS old, the one that left still gets its turn.
        clock.advance(REFRESH_MS - 1);
        for (let i = 0; i < 3; i += 1) assert.equal((await client.call(`fresh-${i}`)).outcome, 'ok');
        assert.deepEqual(served(fakes), [2, 1, 1]);
        clock.advance(1);
        for (let i = 0; i < 10; i += 1) assert.equal((await client.call(`after-${i}`)).outcome, 'ok');
        assert.deepEqual(served(fakes), [2, 6, 6]);
        assert.equal(dns.calls(), 2);
      } finally {
        client.close();
        await stop();
      }
    });

    it('asks another replica when one does not answer within TRY_TIMEOUT_MS (its node gone), and leaves the silent one out for SET_ASIDE_MS', async () => {
      const [gone = '', ...live] = REPLICAS;
      const { fakes, port, stop } = await replicas(live);
      const silent = await silentServer(gone, port);
      const clock = fakeClock();
      const client = clientOf(port, resolver(() => [gone, ...live]).lookup, clock);
      try {
        const first = await client.call('to-the-gone-one');
        assert.deepEqual([first.outcome, first.retried], ['ok', true]);
        assert.ok(first.durationMs >= TRY_TIMEOUT_MS - 10 && first.durationMs < TRY_TIMEOUT_MS + 500, `took ${first.durationMs} ms`);
        assert.equal(silent.sockets.length, 1);
        for (let i = 0; i < 10; i += 1) assert.equal((await client.call(`set-aside-${i}`)).outcome, 'ok');
        assert.equal(silent.sockets.length, 1, 'no call went to the silent replica while it was set aside');
        assert.deepEqual(served(fakes), [6, 5]);
        clock.advance(SET_ASIDE_MS);
        const calls = await Promise.all([0, 1, 2].map((i) => client.call(`after-${i}`)));
        assert.deepEqual(
          calls.map((call) => call.outcome),
          ['ok', 'ok', 'ok'],
        );
        assert.equal(silent.sockets.length, 2, 'the silent replica had its turn again');
      } finally {
        client.close();
        await silent.stop();
        await stop();
      }
    });

    it('tries a third replica when two in turn refuse, as a rolling update can have them at one moment', { skip: noStopped }, async () => {
      const { fakes, port, stop } = await replicas(REPLICAS.slice(0, 1));
      const client = clientOf(port, resolver(() => [...STOPPED.slice(0, 2), REPLICAS[0] ?? '']).lookup);
      try {
        const result = await client.call('two-gone');
        assert.deepEqual([result.outcome, result.outcome === 'ok' && result.greeting, result.retried], ['ok', SERVICE2_LINE, true]);
        assert.deepEqual(served(fakes), [1]);
      } finally {
        client.close();
        await stop();
      }
    });

    it(`gives up after ${MAX_TRIES} tries, with replicas still untried`, { skip: noStopped }, async () => {
      const { fakes, port, stop } = await replicas(REPLICAS.slice(0, 1));
      const client = clientOf(port, resolver(() => [...STOPPED, REPLICAS[0] ?? '']).lookup);
      try {
        const result = await client.call('three-gone');
        assert.deepEqual([result.outcome, result.retried], ['unreachable', true]);
        assert.deepEqual(served(fakes), [0]);
      } finally {
        client.close();
        await stop();
      }
    });

    it('leaves out for SET_ASIDE_MS a replica that refused a connection', { skip: noDeadAddress }, async () => {
      const { fakes, port, stop } = await replicas(REPLICAS.slice(1));
      const clock = fakeClock();
      const client = clientOf(port, resolver(() => ['127.0.0.2', ...REPLICAS.slice(1)]).lookup, clock);
      try {
        assert.equal((await client.call('refused')).retried, true);
        const later = await Promise.all(Array.from({ length: 6 }, (_, i) => client.call(`later-${i}`)));
        assert.deepEqual(new Set(later.map((call) => call.retried)), new Set([false]));
        assert.deepEqual(served(fakes), [4, 3]);
      } finally {
        client.close();
        await stop();
      }
    });
  });
});

// One container on dual-stack networks: its name resolves to an IPv4 and an
// IPv6 address, here 127.0.0.1 and ::1, each with service2 on one port.
describe('service2 at a name with an IPv4 and an IPv6 address', { timeout: 10_000, skip: noIPv6 }, () => {
  const DUAL_STACK = ['127.0.0.1', '::1'];

  it('is one replica: every call goes to the family the resolver lists first, on one kept-alive connection', async () => {
    const { fakes, port, stop } = await replicas(DUAL_STACK);
    const clock = fakeClock();
    const client = clientOf(port, resolver(() => DUAL_STACK).lookup, clock);
    try {
      for (let i = 0; i < 20; i += 1) {
        assert.equal((await client.call(`dual-${i}`)).outcome, 'ok');
        clock.advance(REFRESH_MS);
      }
      assert.deepEqual(served(fakes), [20, 0]);
      assert.deepEqual(
        fakes.map((fake) => fake.connections.length),
        [1, 0],
      );
    } finally {
      client.close();
      await stop();
    }
  });

  it('costs one try when it has been killed: refused on the one family, and not tried on the other', async () => {
    const dns = resolver(() => DUAL_STACK);
    const client = clientOf(await freePort(), dns.lookup);
    try {
      const result = await client.call('killed');
      assert.deepEqual(
        [result.outcome, result.retried, result.ok || result.reason],
        ['unreachable', false, 'service2 refused the connection (ECONNREFUSED)'],
      );
      assert.equal(dns.calls(), 2);
    } finally {
      client.close();
    }
  });

  it('costs one GET a call when it is frozen: each call waits for it, past the try timeout, and none is sent again', async () => {
    const { fakes, port, stop } = await replicas(DUAL_STACK);
    const [v4, v6] = fakes as [FakeService2, FakeService2];
    const hold = holding();
    v4.behaviour = hold.behaviour;
    v6.behaviour = hold.behaviour;
    const client = clientOf(port, resolver(() => DUAL_STACK).lookup);
    try {
      const calls = Array.from({ length: 4 }, (_, i) => client.call(`frozen-${i}`));
      while (v4.requests.length < 4) await once(v4.server, 'request');
      // Frozen for longer than a try may be silent where another replica could answer.
      await sleep(TRY_TIMEOUT_MS + 200);
      hold.release();
      const results = await Promise.all(calls);
      assert.deepEqual(
        results.map((result) => [result.outcome, result.retried]),
        Array.from({ length: 4 }, () => ['ok', false]),
      );
      assert.deepEqual(served(fakes), [4, 0]);
      assert.deepEqual(v4.requests.map((req) => req.headers['x-request-id']).toSorted(), ['frozen-0', 'frozen-1', 'frozen-2', 'frozen-3']);
    } finally {
      hold.release();
      client.close();
      await stop();
    }
  });
});
