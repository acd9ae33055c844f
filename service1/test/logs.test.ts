import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request } from 'node:http';
import type { Socket } from 'node:net';
import { describe, it } from 'node:test';
import type { LogLine } from '@two-services/service-kit/testing';
import { FakeService2, holding } from './fake-service2.ts';
import { inFrontOfFakeService2, startService1, within } from './helpers.ts';

/** A line without the fields whose values vary from run to run, after checking they are there. */
function steady(line: LogLine | undefined): LogLine {
  assert.ok(line !== undefined, 'no log line');
  const { time, durationMs, upstreamMs, ...rest } = line;
  assert.equal(typeof time, 'string');
  assert.ok(typeof durationMs === 'number' && durationMs >= 0, `durationMs ${String(durationMs)}`);
  // The call to service2 is part of the request: more than nothing, and no longer than the request.
  if (rest['path'] === '/') {
    assert.ok(
      typeof upstreamMs === 'number' && upstreamMs > 0 && upstreamMs <= durationMs,
      `upstreamMs ${String(upstreamMs)} of ${durationMs}`,
    );
  }
  return rest;
}

describe("service1's log lines", { timeout: 5_000 }, () => {
  const stack = inFrontOfFakeService2();

  it("logs each request in one line, with service2's status and how long service2 took", async () => {
    const answer = await stack.service1.ask({ headers: { 'x-request-id': 'log-ok' } });
    const lines = stack.service1.logs.of('log-ok');
    assert.equal(lines.length, 1);
    assert.deepEqual(steady(lines[0]), {
      level: 'info',
      service: 'service1',
      event: 'request',
      requestId: 'log-ok',
      method: 'GET',
      path: '/',
      status: 200,
      remote: `127.0.0.1:${answer.clientPort}`,
      upstreamStatus: 200,
    });
  });

  it('logs health checks at level debug only', async () => {
    await stack.service1.ask({ path: '/healthz', headers: { 'x-request-id': 'health' } });
    assert.deepEqual(
      stack.service1.logs.of('health').map((line) => [line['level'], line['path'], line['status']]),
      [['debug', '/healthz', 200]],
    );
  });

  it('marks the request aborted when the caller closed its connection before the answer', async () => {
    const hold = holding();
    stack.service2.behaviour = hold.behaviour;
    const connected = once(stack.service1.server, 'connection') as Promise<[Socket]>;
    const req = request({ host: '127.0.0.1', port: stack.service1.port, headers: { 'x-request-id': 'gone' }, agent: false });
    // The caller destroys its own request: the error that follows is expected.
    req.on('error', () => {});
    req.end();
    const [connection] = await connected;
    await hold.held;
    const closed = once(connection, 'close');
    req.destroy();
    await closed;
    hold.release();
    const line = await within(
      stack.service1.logs.next((candidate) => candidate['requestId'] === 'gone'),
      2_000,
      'the log line of the aborted request',
    );
    assert.equal(line['aborted'], true);
    assert.equal(line['status'], 200);
    assert.equal(line['upstreamStatus'], 200);
  });

  it('does not mark a request answered in full as aborted, nor as retried', async () => {
    await stack.service1.ask({ headers: { 'x-request-id': 'whole' } });
    const [line] = stack.service1.logs.of('whole');
    assert.equal(line !== undefined && 'aborted' in line, false);
    assert.equal(line !== undefined && 'upstreamRetried' in line, false);
  });
});

describe("service1's log lines at LOG_LEVEL=info", { timeout: 5_000 }, () => {
  it('writes nothing for health checks and metrics scrapes when it logs from info', async () => {
    const service2 = await new FakeService2().start();
    const service1 = await startService1(service2.url, { logLevel: 'info' });
    try {
      await service1.ask({ path: '/healthz' });
      await service1.ask({ path: '/metrics' });
      // A request that is logged, after them, bounds the wait for a line that must not come.
      await service1.ask({ headers: { 'x-request-id': 'after-health' } });
      assert.deepEqual(
        service1.logs.lines.map((line) => line['path']),
        ['/'],
      );
    } finally {
      await service1.stop();
      await service2.stop();
    }
  });
});
