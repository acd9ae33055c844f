import assert from 'node:assert/strict';
import type { IncomingMessage, Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { once } from 'node:events';
import { connect } from 'node:net';
import { setImmediate, setTimeout } from 'node:timers/promises';
import { ask, captureLogs, close, listen, sample, unavailable } from '@two-services/service-kit/testing';
import { loadConfig } from '../src/config.ts';
import { createServer } from '../src/server.ts';

const CONFIG = loadConfig({});
// Distinct addresses for the two ends, so that swapped addresses cannot pass.
const SERVER = '127.0.0.2';
const CLIENT = '127.0.0.3';
const noAliases = await unavailable(SERVER, CLIENT);
const noIpv6 = await unavailable('::1');

/** How many GET / were answered 200, by a /metrics text. */
function okCount(metrics: string): number {
  return sample(metrics, 'http_requests_total{route="/",status="200"}');
}

describe('service2 over real sockets', () => {
  const { logger, lines } = captureLogs('service2');
  let server: Server;
  let port = 0;
  before(async () => {
    server = createServer(CONFIG, logger);
    port = await listen(server, '127.0.0.1');
  });
  after(() => close(server));

  it('answers GET / with the client as remote end and itself as local end, in one line', async () => {
    const answer = await ask({ port });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(answer.body, `Hello from 127.0.0.1:${answer.clientPort} to 127.0.0.1:${port}\n`);
    assert.equal(answer.headers['content-length'], String(answer.body.length));
  });

  it('ignores the query string', async () => {
    const answer = await ask({ port, path: '/?name=x' });
    assert.equal(answer.body, `Hello from 127.0.0.1:${answer.clientPort} to 127.0.0.1:${port}\n`);
  });

  it('takes the addresses from the socket, never from headers', async () => {
    const headers = { 'x-forwarded-for': '10.9.9.9', 'x-real-ip': '10.9.9.9', forwarded: 'for=10.9.9.9', host: '10.9.9.9:1' };
    const answer = await ask({ port, headers });
    assert.equal(answer.body, `Hello from 127.0.0.1:${answer.clientPort} to 127.0.0.1:${port}\n`);
  });

  it('answers HEAD / with the headers of GET and no body', async () => {
    const answer = await ask({ port, method: 'HEAD' });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['content-length'], String(`Hello from 127.0.0.1:${answer.clientPort} to 127.0.0.1:${port}\n`.length));
    assert.equal(answer.body, '');
  });

  it('answers GET /healthz with 200 ok', async () => {
    const answer = await ask({ port, path: '/healthz' });
    assert.deepEqual([answer.status, answer.body], [200, 'ok\n']);
  });

  it('answers an unknown path with 404 and another method with 405', async () => {
    assert.equal((await ask({ port, path: '/nope' })).status, 404);
    assert.equal((await ask({ port, method: 'POST' })).status, 405);
  });

  it('logs each request on one line, and health checks only at debug', async () => {
    const answer = await ask({ port, headers: { 'x-request-id': 'svc2-1' } });
    await ask({ port, path: '/healthz', headers: { 'x-request-id': 'svc2-health' } });
    const line = lines.find((candidate) => candidate['requestId'] === 'svc2-1');
    assert.deepEqual(
      [line?.['service'], line?.['level'], line?.['status'], line?.['remote']],
      ['service2', 'info', 200, `127.0.0.1:${answer.clientPort}`],
    );
    assert.equal(lines.find((candidate) => candidate['requestId'] === 'svc2-health')?.['level'], 'debug');
  });

  it("answers nothing, and says why, when the client's connection closed before its addresses were read", async () => {
    // The client is gone by the time service2 reads the two ends of its connection.
    const hangUp = (req: IncomingMessage): void => void req.socket.destroy();
    server.prependListener('request', hangUp);
    try {
      await assert.rejects(ask({ port, headers: { 'x-request-id': 'svc2-gone' } }), { code: 'ECONNRESET' });
    } finally {
      server.off('request', hangUp);
    }
    // The router answers once the handler's promise has settled.
    await setImmediate();
    const failure = lines.find((line) => line['requestId'] === 'svc2-gone' && line['event'] === 'handler failed');
    assert.equal(failure?.['error'], 'Error: the connection closed before its addresses were read');
  });

  it('counts its answers in /metrics, exactly', async () => {
    const earlier = okCount((await ask({ port, path: '/metrics' })).body);
    for (let i = 0; i < 5; i += 1) await ask({ port });
    const metrics = await ask({ port, path: '/metrics' });
    assert.equal(metrics.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    assert.equal(okCount(metrics.body) - earlier, 5);
    assert.match(metrics.body, /^process_resident_memory_bytes \d+$/m);
  });
});

describe('service2 between distinct addresses', { skip: noAliases }, () => {
  it('names the client first and itself second', async () => {
    const server = createServer(CONFIG, captureLogs().logger);
    const port = await listen(server, SERVER);
    try {
      const answer = await ask({ host: SERVER, port, from: CLIENT });
      assert.equal(answer.body, `Hello from ${CLIENT}:${answer.clientPort} to ${SERVER}:${port}\n`);
    } finally {
      await close(server);
    }
  });
});

describe('service2 address notation', { skip: noIpv6 }, () => {
  it('shows IPv4 clients of a dual-stack server in dotted IPv4, not as ::ffff:', async () => {
    const server = createServer(CONFIG, captureLogs().logger);
    const port = await listen(server, '::');
    try {
      const answer = await ask({ host: '127.0.0.1', port });
      assert.equal(answer.body, `Hello from 127.0.0.1:${answer.clientPort} to 127.0.0.1:${port}\n`);
    } finally {
      await close(server);
    }
  });

  it('shows IPv6 ends in brackets', async () => {
    const server = createServer(CONFIG, captureLogs().logger);
    const port = await listen(server, '::1');
    try {
      const answer = await ask({ host: '::1', port });
      assert.equal(answer.body, `Hello from [::1]:${answer.clientPort} to [::1]:${port}\n`);
    } finally {
      await close(server);
    }
  });
});

describe('service2 flooded by a client other than service1', () => {
  it('holds its connections to its cap, and a client that asks still gets in past the ones that say nothing', async () => {
    const config = { ...CONFIG, limits: { ...CONFIG.limits, maxConnections: 2, idleYieldMs: 0 } };
    const server = createServer(config, captureLogs('service2').logger);
    const port = await listen(server, '127.0.0.1');
    const silent = [connect({ host: '127.0.0.1', port }), connect({ host: '127.0.0.1', port })];
    try {
      for (const socket of silent) socket.on('error', () => {}).resume();
      await Promise.all(silent.map((socket) => once(socket, 'connect')));
      await setTimeout(20);
      const closed = Promise.race(silent.map((socket) => once(socket, 'close')));
      const answer = await ask({ port });
      assert.equal(answer.status, 200);
      await closed;
    } finally {
      for (const socket of silent) socket.destroy();
      await close(server);
    }
  });
});
