import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createRouter } from '../src/router.js';
import type { Route } from '../src/router.js';
import { ask, close, eventually, listen, RecordingLogger } from './helpers.js';

const HOST = '127.0.0.2';

describe('the router', { timeout: 10_000 }, () => {
  const routes = new Map<string, Route>([
    ['/ok', { handle: (_req, requestId) => ({ status: 200, body: `${requestId}\n` }) }],
    ['/created', { handle: async () => ({ status: 201, body: 'née\n', headers: { location: '/x' }, log: { extra: 'yes' } }) }],
    ['/throws', { handle: () => { throw new Error('secret detail'); } }],
    ['/rejects', { handle: async () => { await Promise.resolve(); throw new Error('secret detail'); } }],
    ['/quiet', { handle: () => ({ status: 200, body: 'shh\n' }), logged: false }],
    ['/bad-status', { handle: () => ({ status: 99, body: 'x\n' }) }],
    ['/bad-header', { handle: async () => ({ status: 200, body: 'x\n', headers: { 'x-evil': 'a\r\nset-cookie: y' } }) }],
  ]);
  const logger = new RecordingLogger();
  const server = createServer(createRouter(routes, logger));
  let port = 0;
  before(async () => {
    port = await listen(server, HOST);
  });
  after(() => close(server));

  for (const path of ['/throws', '/rejects']) {
    it(`answers 500 with a generic body when a handler ${path.slice(1)}, and keeps serving`, async () => {
      const reply = await ask({ host: HOST, port, path });
      assert.equal(reply.status, 500);
      assert.equal(reply.body, 'internal server error\n');
      assert.equal((await ask({ host: HOST, port, path: '/ok' })).status, 200);
    });
  }

  for (const path of ['/bad-status', '/bad-header']) {
    it(`answers 500 instead of a reply Node refuses to write (${path}), and keeps serving`, async () => {
      const requestId = `refused${path.replace('/', '-')}`;
      const reply = await ask({ host: HOST, port, path, headers: { 'x-request-id': requestId } });
      assert.equal(reply.status, 500);
      assert.equal(reply.body, 'internal server error\n');
      assert.equal(reply.headers['x-evil'], undefined);
      assert.equal((await ask({ host: HOST, port, path: '/ok' })).status, 200);
      const isItsLine = (line: RecordingLogger['lines'][number]): boolean => line.event === 'request' && line.fields['requestId'] === requestId;
      await eventually(() => logger.lines.some(isItsLine));
      assert.equal(logger.lines.find(isItsLine)?.fields['status'], 500);
    });
  }

  it('sends a handler\'s reply as it is: status, headers, a UTF-8 body with its length, the request id', async () => {
    const reply = await ask({ host: HOST, port, path: '/created', headers: { 'x-request-id': 'reply-1' } });
    assert.equal(reply.status, 201);
    assert.equal(reply.body, 'née\n');
    assert.equal(reply.headers['content-length'], '5');
    assert.equal(reply.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(reply.headers.location, '/x');
    assert.equal(reply.headers['x-request-id'], 'reply-1');
  });

  it('adds the fields a reply carries to its log line, and logs nothing for a quiet route', async () => {
    await ask({ host: HOST, port, path: '/quiet', headers: { 'x-request-id': 'quiet-1' } });
    await ask({ host: HOST, port, path: '/created', headers: { 'x-request-id': 'extra-1' } });
    await eventually(() => logger.lines.some((line) => line.fields['requestId'] === 'extra-1'));
    assert.equal(logger.lines.find((line) => line.fields['requestId'] === 'extra-1')?.fields['extra'], 'yes');
    assert.equal(logger.lines.some((line) => line.fields['requestId'] === 'quiet-1'), false);
  });

  it('logs a failed handler on the error stream with the error, which the client never sees', async () => {
    const reply = await ask({ host: HOST, port, path: '/throws', headers: { 'x-request-id': 'failing-1' } });
    assert.equal(reply.body.includes('secret'), false);
    const failure = logger.lines.find((line) => line.level === 'error' && line.fields['requestId'] === 'failing-1');
    assert.deepEqual(failure, {
      level: 'error',
      event: 'handler failed',
      fields: { requestId: 'failing-1', method: 'GET', path: '/throws', error: 'Error: secret detail' },
    });
  });

  it('logs one line per request: id, method, path, status, duration, remote end', async () => {
    const reply = await ask({ host: HOST, port, path: '/ok?x=1', headers: { 'x-request-id': 'logged-1' } });
    await eventually(() => logger.lines.some((line) => line.fields['requestId'] === 'logged-1'));
    const lines = logger.lines.filter((line) => line.fields['requestId'] === 'logged-1');
    assert.equal(lines.length, 1);
    const { durationMs, ...fields } = lines[0]?.fields ?? {};
    assert.equal(typeof durationMs, 'number');
    assert.deepEqual({ level: lines[0]?.level, event: lines[0]?.event, fields }, {
      level: 'info',
      event: 'request',
      fields: { requestId: 'logged-1', method: 'GET', path: '/ok', status: 200, remote: `127.0.0.1:${reply.clientPort}` },
    });
  });

  it('echoes a sane X-Request-Id and hands it to the handler', async () => {
    const reply = await ask({ host: HOST, port, path: '/ok', headers: { 'x-request-id': 'abc-123_x.y:z' } });
    assert.equal(reply.headers['x-request-id'], 'abc-123_x.y:z');
    assert.equal(reply.body, 'abc-123_x.y:z\n');
  });

  for (const insane of ['has space', 'x'.repeat(129), 'quote"', 'ünïcode']) {
    it(`replaces the X-Request-Id ${JSON.stringify(insane.slice(0, 20))} with a new UUID`, async () => {
      const reply = await ask({ host: HOST, port, path: '/ok', headers: { 'x-request-id': Buffer.from(insane).toString('latin1') } });
      assert.match(String(reply.headers['x-request-id']), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.equal(reply.body, `${String(reply.headers['x-request-id'])}\n`);
    });
  }

  it('gives each request without an X-Request-Id a new one', async () => {
    const first = await ask({ host: HOST, port, path: '/ok' });
    const second = await ask({ host: HOST, port, path: '/ok' });
    assert.notEqual(first.headers['x-request-id'], second.headers['x-request-id']);
  });
});
