import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sample } from '@two-services/service-kit/testing';
import { FakeService2 } from './fake-service2.ts';
import { inFrontOfFakeService2, metricsOf, startService1 } from './helpers.ts';

const OK = 'http_requests_total{route="/",status="200"}';
const CALLS_OK = 'service2_calls_total{outcome="ok"}';
const RETRIES = 'service2_retries_total';

describe("service1's metrics", { timeout: 5_000 }, () => {
  const stack = inFrontOfFakeService2();

  it('serves /metrics in the Prometheus text format', async () => {
    const answer = await stack.service1.ask({ path: '/metrics' });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    assert.match(answer.body, /^# TYPE service2_call_duration_seconds histogram$/m);
  });

  it('says what each of its metrics of the calls to service2 counts', async () => {
    const helps = (await metricsOf(stack.service1.port)).match(/^# HELP service2_.*$/gm);
    assert.deepEqual(helps, [
      '# HELP service2_calls_total Calls to service2, by outcome: ok, or why not.',
      '# HELP service2_call_duration_seconds Time from the call to its result, retries included.',
      '# HELP service2_retries_total Calls to service2 sent more than once.',
    ]);
  });

  it('counts each GET / once, by route and status, and each call to service2 by outcome', async () => {
    const earlier = await metricsOf(stack.service1.port);
    for (let i = 0; i < 3; i += 1) assert.equal((await stack.service1.ask()).status, 200);
    const later = await metricsOf(stack.service1.port);
    assert.equal(sample(later, OK) - sample(earlier, OK), 3);
    assert.equal(sample(later, CALLS_OK) - sample(earlier, CALLS_OK), 3);
    const durations = 'service2_call_duration_seconds_count';
    assert.equal(sample(later, durations) - sample(earlier, durations), 3);
    assert.equal(sample(later, RETRIES), 0);
  });

  it('counts a path it does not know under route="unknown"', async () => {
    const series = 'http_requests_total{route="unknown",status="404"}';
    const earlier = await metricsOf(stack.service1.port);
    assert.equal((await stack.service1.ask({ path: '/no/such/path' })).status, 404);
    assert.equal(sample(await metricsOf(stack.service1.port), series) - sample(earlier, series), 1);
  });
});

describe("service1's metric of how long calls to service2 take", { timeout: 5_000 }, () => {
  it('counts the time of each call in seconds, as the request line logs it in milliseconds', async () => {
    const service2 = await new FakeService2().start();
    const service1 = await startService1(service2.url);
    try {
      assert.equal((await service1.ask({ headers: { 'x-request-id': 'timed' } })).status, 200);
      const seconds = sample(await metricsOf(service1.port), 'service2_call_duration_seconds_sum');
      const upstreamMs = Number(service1.logs.of('timed')[0]?.['upstreamMs']);
      assert.ok(upstreamMs > 0 && Math.abs(seconds * 1000 - upstreamMs) <= 0.01, `${seconds} s counted, ${upstreamMs} ms logged`);
    } finally {
      await service1.stop();
      await service2.stop();
    }
  });
});
