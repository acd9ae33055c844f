import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { request } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { LIMITS } from '../src/config.ts';
import { Registry } from '../src/metrics.ts';
import { createHttpServer, HEALTH_ROUTE, metricsRoute } from '../src/router.ts';
import type { Routes } from '../src/router.ts';
import { ask, captureLogs, close, listen, sample } from '../testing/index.ts';

/** The value of one sample in a /metrics text, 0 when absent. */
describe('the router', { timeout: 10_000 }, () => {
  // Where '/held' reports the request it holds, with the means to answer it.
  const holding = new EventEmitter();
  const routes: Routes = {
    '/ok': { handle: async (_req, requestId) => ({ status: 200, body: `${requestId}\n` }) },
    '/created': { handle: async () => ({ status: 201, body: 'née\n', headers: { location: '/x' }, log: { extra: 'yes' } }) },
    '/throws': {
      handle: () => {
        throw new Error('secret detail');
      },
    },
    '/rejects': { handle: async () => Promise.reject(new Error('secret detail')) },
    '/bad-status': { handle: async () => ({ status: 99, body: 'x\n' }) },
    '/bad-header': { handle: async () => ({ status: 200, body: 'x\n', headers: { 'x-evil': 'a\r\nset-cookie: y' } }) },
    '/held': {
      handle: (req) =>
        new Promise((resolve) => {
          holding.emit('held', { socket: req.socket, release: () => resolve({ status: 200, body: 'late\n' }) });
        }),
    },
    '/healthz': HEALTH_ROUTE,
  };
  const logs = captureLogs('router-test');
  const { logger, lines } = logs;
  const metrics = new Registry();
  let server: Server;
  let port = 0;
  before(async () => {
    server = createHttpServer({ ...routes, '/metrics': metricsRoute(metrics) }, LIMITS, { logger, metrics });
    port = await listen(server);
  });
  after(() => close(server));

  const lineOf = (requestId: string): Readonly<Record<string, unknown>> => {
    const found = lines.filter((line) => line['event'] === 'request' && line['requestId'] === requestId);
    assert.equal(found.length, 1, `one request line for ${requestId}`);
    return found[0] ?? {};
  };

  it("sends a handler's reply as it is: status, headers, a UTF-8 body with its length, the request id", async () => {
    const answer = await ask({ port, path: '/created', headers: { 'x-request-id': 'reply-1' } });
    assert.equal(answer.status, 201);
    assert.equal(answer.body, 'née\n');
    assert.equal(answer.headers['content-length'], '5');
    assert.equal(answer.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(answer.headers.location, '/x');
    assert.equal(answer.headers['x-request-id'], 'reply-1');
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const answer = await ask({ port, path: '/created', method: 'HEAD' });
    assert.equal(answer.status, 201);
    assert.equal(answer.headers['content-length'], '5');
    assert.equal(answer.body, '');
  });

  it('ignores the query string when it picks the route', async () => {
    const answer = await ask({ port, path: '/ok?x=1', headers: { 'x-request-id': 'query-1' } });
    assert.equal(answer.status, 200);
    assert.equal(lineOf('query-1')['path'], '/ok');
  });

  for (const path of ['/nope', '/', '/ok/', '/constructor', 'http://elsewhere/ok']) {
    it(`answers ${path} with 404`, async () => {
      const answer = await ask({ port, path });
      assert.equal(answer.status, 404);
      assert.equal(answer.body, 'not found\n');
    });
  }

  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
    it(`answers ${method} with 405 and Allow: GET, HEAD`, async () => {
      const answer = await ask({ port, path: '/ok', method });
      assert.equal(answer.status, 405);
      assert.equal(answer.headers.allow, 'GET, HEAD');
      assert.equal(answer.body, 'method not allowed\n');
    });
  }

  for (const path of ['/throws', '/rejects']) {
    it(`answers 500 with a generic body when a handler ${path.slice(1)}, logs the error, and keeps serving`, async () => {
      const requestId = `failing-${path.slice(1)}`;
      const answer = await ask({ port, path, headers: { 'x-request-id': requestId } });
      assert.equal(answer.status, 500);
      assert.equal(answer.body, 'internal server error\n');
      const failure = lines.find((line) => line['event'] === 'handler failed' && line['requestId'] === requestId);
      assert.deepEqual(
        { ...failure, time: undefined },
        {
          time: undefined,
          level: 'error',
          service: 'router-test',
          event: 'handler failed',
          requestId,
          method: 'GET',
          path,
          error: 'Error: secret detail',
        },
      );
      assert.equal(lineOf(requestId)['level'], 'error');
      assert.equal((await ask({ port, path: '/ok' })).status, 200);
    });
  }

  for (const path of ['/bad-status', '/bad-header']) {
    it(`answers 500 instead of a reply Node refuses to write (${path}), and keeps serving`, async () => {
      const requestId = `refused${path.replace('/', '-')}`;
      const answer = await ask({ port, path, headers: { 'x-request-id': requestId } });
      assert.equal(answer.status, 500);
      assert.equal(answer.body, 'internal server error\n');
      assert.equal(answer.headers['x-evil'], undefined);
      assert.equal(lineOf(requestId)['status'], 500);
      assert.equal(lines.find((line) => line['event'] === 'reply refused' && line['requestId'] === requestId)?.['level'], 'error');
      assert.equal((await ask({ port, path: '/ok' })).status, 200);
    });
  }

  it('logs one info line per request: id, method, path, status, duration, remote end, and the fields the reply carries', async () => {
    const asked = performance.now();
    const answer = await ask({ port, path: '/created', headers: { 'x-request-id': 'logged-1' } });
    const waited = performance.now() - asked;
    const { time, durationMs, ...fields } = lineOf('logged-1');
    assert.equal(typeof time, 'string');
    // In milliseconds, to the hundredth: more than nothing, and no more than the client waited.
    assert.ok(typeof durationMs === 'number' && durationMs > 0 && durationMs <= waited, `${String(durationMs)} ms of ${waited} ms`);
    assert.deepEqual(fields, {
      level: 'info',
      service: 'router-test',
      event: 'request',
      requestId: 'logged-1',
      method: 'GET',
      path: '/created',
      status: 201,
      remote: `127.0.0.1:${answer.clientPort}`,
      extra: 'yes',
    });
  });

  it('answers GET /healthz with 200 ok', async () => {
    const answer = await ask({ port, path: '/healthz' });
    assert.deepEqual([answer.status, answer.body], [200, 'ok\n']);
  });

  it('logs health checks and metrics scrapes at debug level only', async () => {
    await ask({ port, path: '/healthz', headers: { 'x-request-id': 'quiet-1' } });
    await ask({ port, path: '/metrics', headers: { 'x-request-id': 'quiet-2' } });
    assert.deepEqual([lineOf('quiet-1')['level'], lineOf('quiet-2')['level']], ['debug', 'debug']);
  });

  it('logs aborted: true when the client has gone before the answer is ready', async () => {
    const req = request({ port, path: '/held', headers: { 'x-request-id': 'gone-1' } });
    req.on('error', () => {});
    req.end();
    const [held] = (await once(holding, 'held')) as [{ socket: Socket; release: () => void }];
    req.destroy();
    await once(held.socket, 'close');
    held.release();
    // The router answers once the handler's promise has settled.
    assert.equal((await logs.next((line) => line['requestId'] === 'gone-1'))['aborted'], true);
    assert.equal((await ask({ port, path: '/ok', headers: { 'x-request-id': 'stayed-1' } })).status, 200);
    assert.equal(lineOf('stayed-1')['aborted'], undefined);
  });

  it('logs the remote end as unknown:0 when the connection closed before it could be read', async () => {
    const own = captureLogs('router-test');
    const closing = createHttpServer(routes, LIMITS, { logger: own.logger, metrics: new Registry() });
    // The client's connection is gone by the time the router sees the request.
    closing.prependListener('request', (req: IncomingMessage) => req.socket.destroy());
    const closingPort = await listen(closing);
    try {
      await assert.rejects(ask({ port: closingPort, path: '/ok', headers: { 'x-request-id': 'unread-1' } }), { code: 'ECONNRESET' });
      // The router answers once the handler's promise has settled.
      const line = await own.next((candidate) => candidate['requestId'] === 'unread-1');
      assert.deepEqual([line['remote'], line['aborted']], ['unknown:0', true]);
    } finally {
      await close(closing);
    }
  });

  it('echoes a sane X-Request-Id and hands it to the handler', async () => {
    const answer = await ask({ port, path: '/ok', headers: { 'x-request-id': 'abc-123_x.y:z' } });
    assert.equal(answer.headers['x-request-id'], 'abc-123_x.y:z');
    assert.equal(answer.body, 'abc-123_x.y:z\n');
  });

  for (const insane of ['has space', 'x'.repeat(129), 'quote"', 'ünïcode', 'a/b']) {
    it(`replaces the X-Request-Id ${JSON.stringify(insane.slice(0, 20))} with a new UUID`, async () => {
      const answer = await ask({ port, path: '/ok', headers: { 'x-request-id': Buffer.from(insane).toString('latin1') } });
      assert.match(String(answer.headers['x-request-id']), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.equal(answer.body, `${String(answer.headers['x-request-id'])}\n`);
    });
  }

  it('takes an X-Request-Id of exactly 128 characters as it is', async () => {
    const id = 'x'.repeat(128);
    assert.equal((await ask({ port, path: '/ok', headers: { 'x-request-id': id } })).headers['x-request-id'], id);
  });

  it('gives each request without an X-Request-Id a new one', async () => {
    const first = await ask({ port, path: '/ok' });
    const second = await ask({ port, path: '/ok' });
    assert.notEqual(first.headers['x-request-id'], second.headers['x-request-id']);
  });

  it('counts every request exactly once by route and status, unknown paths under one route', async () => {
    const earlier = (await ask({ port, path: '/metrics' })).body;
    for (let i = 0; i < 3; i += 1) await ask({ port, path: '/ok' });
    await ask({ port, path: '/ok', method: 'POST' });
    await ask({ port, path: '/scan/1' });
    await ask({ port, path: '/scan/2' });
    await ask({ port, path: '/throws' });
    const later = await ask({ port, path: '/metrics' });
    assert.equal(later.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    const moved = (series: string): number => sample(later.body, series) - sample(earlier, series);
    assert.equal(moved('http_requests_total{route="/ok",status="200"}'), 3);
    assert.equal(moved('http_requests_total{route="/ok",status="405"}'), 1);
    assert.equal(moved('http_requests_total{route="unknown",status="404"}'), 2);
    assert.equal(moved('http_requests_total{route="/throws",status="500"}'), 1);
    assert.equal(moved('http_requests_total{route="/metrics",status="200"}'), 1);
    assert.equal(moved('http_request_duration_seconds_count{route="/ok"}'), 4);
    assert.equal(moved('http_request_duration_seconds_bucket{route="/ok",le="+Inf"}'), 4);
    assert.ok(moved('http_request_duration_seconds_sum{route="/ok"}') > 0);
    assert.doesNotMatch(later.body, /scan/);
  });

  it('says what it counts and times, and times requests in buckets from 0.5 ms to 10 s', async () => {
    await ask({ port, path: '/ok' });
    const text = (await ask({ port, path: '/metrics' })).body;
    assert.match(text, /^# HELP http_requests_total Requests answered, by route and status code\.$/m);
    assert.match(text, /^# HELP http_request_duration_seconds Time from request to answer sent, by route\.$/m);
    const bounds = [...text.matchAll(/^http_request_duration_seconds_bucket\{route="\/ok",le="([^"]+)"\}/gm)].map((match) => match[1]);
    assert.deepEqual(bounds, [
      '0.0005',
      '0.001',
      '0.0025',
      '0.005',
      '0.01',
      '0.025',
      '0.05',
      '0.1',
      '0.25',
      '0.5',
      '1',
      '2.5',
      '5',
      '10',
      '+Inf',
    ]);
  });

  it('counts the time from request to answer, as the request line logs it in milliseconds', async () => {
    const series = 'http_request_duration_seconds_sum{route="/created"}';
    const earlier = sample((await ask({ port, path: '/metrics' })).body, series);
    await ask({ port, path: '/created', headers: { 'x-request-id': 'timed-1' } });
    const seconds = sample((await ask({ port, path: '/metrics' })).body, series) - earlier;
    const durationMs = Number(lineOf('timed-1')['durationMs']);
    assert.ok(Math.abs(seconds * 1000 - durationMs) <= 0.01, `${seconds} s counted, ${durationMs} ms logged`);
  });

  it('counts the log lines its logger could not write, as log_lines_dropped_total', async () => {
    let dropped = 0;
    const own = new Registry();
    const counted = createHttpServer({ '/metrics': metricsRoute(own) }, LIMITS, {
      logger: { log: () => {}, enabled: () => true, dropped: () => dropped },
      metrics: own,
    });
    const ownPort = await listen(counted);
    try {
      const text = async (): Promise<string> => (await ask({ port: ownPort, path: '/metrics' })).body;
      assert.match(await text(), /^# TYPE log_lines_dropped_total counter\nlog_lines_dropped_total 0$/m);
      dropped = 7;
      assert.equal(sample(await text(), 'log_lines_dropped_total'), 7);
    } finally {
      await close(counted);
    }
  });
});
