import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AddressRotation, REFRESH_MS } from '../src/addresses.js';
import type { LookupAll } from '../src/addresses.js';
import { createUpstream } from '../src/upstream.js';
import { FakeService2, SERVICE2_LINE } from './fake-service2.js';
import { freePort } from './helpers.js';

const REPLICAS = ['127.0.0.4', '127.0.0.5', '127.0.0.6'];
const URL_BY_NAME = (port: number): URL => new URL(`http://service2:${port}/`);

/** A resolver that answers what the test says, and counts how often it is asked. */
function resolver(answer: () => readonly string[]): LookupAll & { calls: number } {
  const lookup = Object.assign(async (hostname: string) => {
    lookup.calls += 1;
    assert.equal(hostname, 'service2');
    const addresses = answer();
    if (addresses.length === 0) throw Object.assign(new Error('getaddrinfo ENOTFOUND service2'), { code: 'ENOTFOUND' });
    return addresses;
  }, { calls: 0 });
  return lookup;
}

/** Three replicas of service2 on one port, each on its own loopback address. */
async function replicas(): Promise<{ fakes: FakeService2[]; port: number; stop: () => Promise<void> }> {
  const port = await freePort(REPLICAS[0] ?? '127.0.0.4');
  const fakes = await Promise.all(REPLICAS.map((host) => new FakeService2(host).start(port)));
  return { fakes, port, stop: async () => void (await Promise.all(fakes.map((fake) => fake.stop()))) };
}

describe('service1\'s calls to a replicated service2', { timeout: 15_000 }, () => {
  it('spreads calls over every address the name has, in turn, each replica on its own kept-alive connection', async () => {
    const { fakes, port, stop } = await replicas();
    const upstream = createUpstream(URL_BY_NAME(port), 2_000, resolver(() => REPLICAS));
    try {
      for (let i = 0; i < 60; i += 1) {
        const result = await upstream.fetchGreeting(`spread-${i}`);
        assert.equal(result.ok && result.greeting, SERVICE2_LINE);
      }
      assert.deepEqual(fakes.map((fake) => fake.requests.length), [20, 20, 20]);
      assert.deepEqual(fakes.map((fake) => fake.connections.length), [1, 1, 1]);
      assert.equal(fakes[0]?.requests[0]?.headers.host, `service2:${port}`);
    } finally {
      upstream.close();
      await stop();
    }
  });

  it('looks the name up once, not per call, while its answer is fresh', async () => {
    const { port, stop } = await replicas();
    const lookup = resolver(() => REPLICAS);
    const upstream = createUpstream(URL_BY_NAME(port), 2_000, lookup);
    try {
      await Promise.all(Array.from({ length: 20 }, (_, i) => upstream.fetchGreeting(`fresh-${i}`)));
      assert.equal(lookup.calls, 1);
    } finally {
      upstream.close();
      await stop();
    }
  });

  it('follows the name when a replica leaves, within the refresh period', async () => {
    const { fakes, port, stop } = await replicas();
    let answer = REPLICAS;
    const upstream = createUpstream(URL_BY_NAME(port), 2_000, resolver(() => answer));
    try {
      await upstream.fetchGreeting('before');
      answer = REPLICAS.slice(1);
      await new Promise((resolve) => setTimeout(resolve, REFRESH_MS + 50));
      const before = fakes.map((fake) => fake.requests.length);
      for (let i = 0; i < 10; i += 1) assert.ok((await upstream.fetchGreeting(`after-${i}`)).ok);
      const after = fakes.map((fake, i) => fake.requests.length - (before[i] ?? 0));
      assert.deepEqual(after, [0, 5, 5]);
    } finally {
      upstream.close();
      await stop();
    }
  });

  it('retries a refused connection once, after a new lookup, on the next address', async () => {
    const { fakes, port, stop } = await replicas();
    // 127.0.0.7 has nothing listening: a replica that is stopping.
    const upstream = createUpstream(URL_BY_NAME(port), 2_000, resolver(() => ['127.0.0.7', ...REPLICAS.slice(0, 1)]));
    try {
      const result = await upstream.fetchGreeting('refused-1');
      assert.equal(result.ok, true);
      assert.equal(result.retried, true);
      assert.equal(fakes[0]?.requests.length, 1);
    } finally {
      upstream.close();
      await stop();
    }
  });

  it('answers 502 at once when the name no longer resolves, and recovers when it does again', async () => {
    const { port, stop } = await replicas();
    let answer: readonly string[] = REPLICAS;
    const upstream = createUpstream(URL_BY_NAME(port), 2_000, resolver(() => answer));
    try {
      assert.ok((await upstream.fetchGreeting('up')).ok);
      answer = [];
      await new Promise((resolve) => setTimeout(resolve, REFRESH_MS + 50));
      const gone = await upstream.fetchGreeting('gone');
      assert.deepEqual(gone.ok ? undefined : [gone.status, gone.problem], [502, 'service2 is not known to DNS (ENOTFOUND)']);
      answer = REPLICAS;
      assert.ok((await upstream.fetchGreeting('back')).ok);
    } finally {
      upstream.close();
      await stop();
    }
  });
});

describe('AddressRotation', () => {
  it('uses an IP address as it is, without a lookup', () => {
    const lookup = resolver(() => REPLICAS);
    const rotation = new AddressRotation('127.0.0.9', lookup);
    assert.deepEqual([rotation.next(), rotation.next()], ['127.0.0.9', '127.0.0.9']);
    assert.equal(lookup.calls, 0);
  });

  it('shares one lookup between calls that arrive while it runs, then takes the addresses in turn', async () => {
    const lookup = resolver(() => REPLICAS);
    const rotation = new AddressRotation('service2', lookup);
    const taken = await Promise.all([rotation.next(), rotation.next(), rotation.next(), rotation.next()]);
    assert.deepEqual(taken, [...REPLICAS, REPLICAS[0]]);
    assert.equal(lookup.calls, 1);
    assert.equal(rotation.next(), REPLICAS[1]);
  });

  it('looks again after forget()', async () => {
    const lookup = resolver(() => REPLICAS);
    const rotation = new AddressRotation('service2', lookup);
    await rotation.next();
    rotation.forget();
    await rotation.next();
    assert.equal(lookup.calls, 2);
  });
});
