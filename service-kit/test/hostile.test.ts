import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Server } from 'node:http';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { LIMITS } from '../src/config.ts';
import { Registry } from '../src/metrics.ts';
import { createHttpServer } from '../src/router.ts';
import { ask, captureLogs, close, exchange, listen } from '../testing/index.ts';

const HOST = '127.0.0.1';
// Short enough for a test to see them expire.
const limits = { ...LIMITS, headersTimeoutMs: 400, requestTimeoutMs: 800 };

describe('a server against broken and hostile clients', { timeout: 20_000 }, () => {
  let server: Server;
  let port = 0;
  before(async () => {
    const routes = { '/': { handle: async () => ({ status: 200, body: 'hello\n' }) } };
    server = createHttpServer(routes, limits, { logger: captureLogs().logger, metrics: new Registry() });
    port = await listen(server, HOST);
  });
  after(() => close(server));

  it('answers garbage instead of HTTP with 400 and closes, then serves the next client', async () => {
    const received = await exchange(HOST, port, 'HELLO THERE\r\n\r\n');
    assert.match(received, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.equal((await ask({ host: HOST, port })).status, 200);
  });

  it("answers request headers over Node's limit with 431, then serves the next client", async () => {
    const received = await exchange(HOST, port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    assert.match(received, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    assert.equal((await ask({ host: HOST, port })).status, 200);
  });

  it('answers a client that never finishes its headers with 408 within a quarter of headersTimeout after it', async () => {
    // A server of its own, so that its checks start as the client connects.
    const fresh = createHttpServer({}, limits, { logger: captureLogs().logger, metrics: new Registry() });
    const freshPort = await listen(fresh, HOST);
    try {
      const started = performance.now();
      const socket = connect({ host: HOST, port: freshPort });
      socket.setEncoding('latin1');
      socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
      let received = '';
      for await (const chunk of socket) received += chunk as string;
      const elapsed = performance.now() - started;
      assert.match(received, /^HTTP\/1\.1 408 Request Timeout\r\n/);
      // Node looks for expired connections every connectionsCheckingInterval (30 s unless set):
      // a quarter of headersTimeout here, with 250 ms to spare for a busy machine.
      const bound = limits.headersTimeoutMs * 1.25 + 250;
      assert.ok(elapsed >= limits.headersTimeoutMs - 50 && elapsed < bound, `${Math.round(elapsed)} ms`);
    } finally {
      await close(fresh);
    }
  });

  it('answers at once while hundreds of half-open connections hang, and closes those', async () => {
    const hanging: Socket[] = [];
    for (let i = 0; i < 300; i += 1) {
      const socket = connect({ host: HOST, port });
      socket.on('error', () => {});
      socket.resume();
      socket.write(i % 2 === 0 ? 'GET / HTTP/1.1\r\nHost: x\r\n' : '');
      hanging.push(socket);
    }
    await Promise.all(hanging.map((socket) => once(socket, 'connect')));
    const started = performance.now();
    assert.equal((await ask({ host: HOST, port })).status, 200);
    assert.ok(performance.now() - started < 1_000);
    await Promise.all(hanging.map((socket) => once(socket, 'close')));
  });

  it('holds clients to the configured limits', () => {
    assert.equal(server.keepAliveTimeout, LIMITS.keepAliveTimeoutMs);
    assert.equal(server.headersTimeout, limits.headersTimeoutMs);
    assert.equal(server.requestTimeout, limits.requestTimeoutMs);
  });
});
