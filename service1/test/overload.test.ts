import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { setImmediate as turn } from 'node:timers/promises';
import { sample } from '@two-services/service-kit/testing';
import { FakeService2, holding } from './fake-service2.ts';
import { metricsOf, startService1 } from './helpers.ts';

describe('service1 when calls to service2 pile up', { timeout: 10_000 }, () => {
  it('answers 503 at once, with Retry-After, its own line and why, once the pool is full and as many calls wait as may', async () => {
    const service2 = await new FakeService2().start();
    const hold = holding();
    service2.behaviour = hold.behaviour;
    const service1 = await startService1(service2.url, { pool: { maxConnections: 1, maxWaiting: 2 } });
    try {
      // One call on the one connection, two waiting for it: each is in the client's queue once service1 has had a turn.
      const sent = [service1.ask({ headers: { 'x-request-id': 'sent-0' } })];
      await hold.held;
      for (const n of [1, 2]) {
        sent.push(service1.ask({ headers: { 'x-request-id': `sent-${n}` } }));
        await once(service1.server, 'request');
        await turn();
      }
      const started = performance.now();
      const answer = await service1.ask({ headers: { 'x-request-id': 'shed' } });
      assert.ok(performance.now() - started < 500, 'at once');
      assert.equal(answer.status, 503);
      assert.equal(answer.headers['retry-after'], '1');
      assert.equal(answer.body, `${service1.ownLine(answer)}service1 is overloaded: 2 calls to service2 wait already\n`);
      assert.equal(service2.requests.length, 1, 'the shed call never went out');
      const line = await service1.logs.next((l) => l['requestId'] === 'shed');
      assert.deepEqual(
        [line['level'], line['status'], line['upstreamError']],
        ['error', 503, 'service1 is overloaded: 2 calls to service2 wait already'],
      );
      const metrics = await metricsOf(service1.port);
      assert.equal(sample(metrics, 'http_requests_total{route="/",status="503"}'), 1);
      assert.equal(sample(metrics, 'service2_calls_total{outcome="overloaded"}'), 1);
      // Those that waited are answered once service2 is.
      hold.release();
      assert.deepEqual(
        (await Promise.all(sent)).map((a) => a.status),
        [200, 200, 200],
      );
    } finally {
      await service1.stop();
      await service2.stop();
    }
  });
});
