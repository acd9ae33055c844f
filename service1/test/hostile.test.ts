import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Server } from 'node:http';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { LIMITS } from '../src/config.js';
import { createServer } from '../src/server.js';
import { FakeService2 } from './fake-service2.js';
import { ask, close, exchange, listen, RecordingLogger } from './helpers.js';

const HOST = '127.0.0.2';
// Short enough for a test to see them expire.
const limits = { ...LIMITS, headersTimeoutMs: 400, requestTimeoutMs: 800 };

describe('service1 against broken and hostile clients', { timeout: 20_000 }, () => {
  const service2 = new FakeService2('127.0.0.4');
  let server = new Server();
  let port = 0;
  before(async () => {
    await service2.start();
    server = createServer({ port: 8001, service2Url: service2.url, upstreamTimeoutMs: 2_000, limits }, new RecordingLogger());
    port = await listen(server, HOST);
  });
  after(async () => {
    await close(server);
    await service2.stop();
  });

  it('answers garbage instead of HTTP with 400 and closes, then serves the next client', async () => {
    const received = await exchange(HOST, port, 'HELLO THERE\r\n\r\n');
    assert.match(received, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.equal((await ask({ host: HOST, port })).status, 200);
  });

  it('answers request headers over Node\'s limit with 431, then serves the next client', async () => {
    const received = await exchange(HOST, port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    assert.match(received, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    assert.equal((await ask({ host: HOST, port })).status, 200);
  });

  it('answers a client that never finishes its headers with 408 once headersTimeout has passed', async () => {
    const socket = connect({ host: HOST, port });
    socket.setEncoding('latin1');
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
    let received = '';
    for await (const chunk of socket) received += chunk as string;
    assert.match(received, /^HTTP\/1\.1 408 Request Timeout\r\n/);
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
    const reply = await ask({ host: HOST, port });
    assert.equal(reply.status, 200);
    await Promise.all(hanging.map((socket) => once(socket, 'close')));
  });
});
