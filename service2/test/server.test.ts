import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LIMITS } from '../src/config.js';
import type { Config } from '../src/config.js';
import { createServer } from '../src/server.js';
import { ask, close, listen, RecordingLogger } from './helpers.js';

const SERVER = '127.0.0.2';
const CLIENT = '127.0.0.3';
const CONFIG: Config = { port: 8002, limits: LIMITS };

describe('service2 over real sockets', () => {
  const server = createServer(CONFIG, new RecordingLogger());
  let port = 0;
  before(async () => {
    port = await listen(server, SERVER);
  });
  after(() => close(server));

  it('answers GET / with the client as remote end and itself as local end', async () => {
    const reply = await ask({ host: SERVER, port, from: CLIENT });
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(reply.body, `Hello from ${CLIENT}:${reply.clientPort} to ${SERVER}:${port}\n`);
    assert.equal(reply.headers['content-length'], String(reply.body.length));
  });

  it('ignores the query string', async () => {
    const reply = await ask({ host: SERVER, port, path: '/?name=x', from: CLIENT });
    assert.equal(reply.status, 200);
    assert.equal(reply.body, `Hello from ${CLIENT}:${reply.clientPort} to ${SERVER}:${port}\n`);
  });

  it('takes the addresses from the socket, never from headers', async () => {
    const headers = { 'x-forwarded-for': '10.9.9.9', 'x-real-ip': '10.9.9.9', forwarded: 'for=10.9.9.9' };
    const reply = await ask({ host: SERVER, port, from: CLIENT, headers });
    assert.equal(reply.body, `Hello from ${CLIENT}:${reply.clientPort} to ${SERVER}:${port}\n`);
  });

  it('answers HEAD / with the headers of GET and no body', async () => {
    const reply = await ask({ host: SERVER, port, method: 'HEAD', from: CLIENT });
    const expected = `Hello from ${CLIENT}:${reply.clientPort} to ${SERVER}:${port}\n`;
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['content-length'], String(expected.length));
    assert.equal(reply.body, '');
  });

  it('answers GET /healthz with 200 ok', async () => {
    const reply = await ask({ host: SERVER, port, path: '/healthz' });
    assert.equal(reply.status, 200);
    assert.equal(reply.body, 'ok\n');
  });

  it('answers an unknown path with 404', async () => {
    const reply = await ask({ host: SERVER, port, path: '/nope' });
    assert.equal(reply.status, 404);
    assert.equal(reply.body, 'not found\n');
  });

  for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
    it(`answers ${method} with 405 and Allow: GET, HEAD`, async () => {
      const reply = await ask({ host: SERVER, port, method });
      assert.equal(reply.status, 405);
      assert.equal(reply.headers.allow, 'GET, HEAD');
      assert.equal(reply.body, 'method not allowed\n');
    });
  }
});

describe('service2 address notation', () => {
  it('shows IPv4 clients of a dual-stack server in dotted IPv4, not as ::ffff:', async () => {
    const server = createServer(CONFIG, new RecordingLogger());
    const port = await listen(server, '::');
    try {
      const reply = await ask({ host: '127.0.0.1', port, from: '127.0.0.1' });
      assert.equal(reply.body, `Hello from 127.0.0.1:${reply.clientPort} to 127.0.0.1:${port}\n`);
    } finally {
      await close(server);
    }
  });

  it('shows IPv6 ends in brackets', async () => {
    const server = createServer(CONFIG, new RecordingLogger());
    const port = await listen(server, '::1');
    try {
      const reply = await ask({ host: '::1', port });
      assert.equal(reply.body, `Hello from [::1]:${reply.clientPort} to [::1]:${port}\n`);
    } finally {
      await close(server);
    }
  });
});
