import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Agent } from 'node:http';
import type { Server } from 'node:http';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { LIMITS } from '../src/config.ts';
import { Registry } from '../src/metrics.ts';
import { createHttpServer } from '../src/router.ts';
import type { Routes } from '../src/router.ts';
import { ask, captureLogs, close, listen } from '../testing/index.ts';

const HOST = '127.0.0.1';

/** Settles once `socket` is closed, by either end; never rejects, as `once` would on an error. */
function ended(socket: Socket): Promise<void> {
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

describe('a server at its cap on connections', { timeout: 10_000 }, () => {
  // Answers the requests '/held' holds, the first first.
  const waiting: Array<() => void> = [];
  const release = (): void => waiting.shift()?.();
  const routes: Routes = {
    '/': { handle: async () => ({ status: 200, body: 'hello\n' }) },
    '/held': { handle: () => new Promise((resolve) => waiting.push(() => resolve({ status: 200, body: 'late\n' }))) },
    // A fraction of a second, so that the test takes no longer; the services send whole seconds.
    '/later': { handle: async () => ({ status: 503, body: 'later\n', headers: { 'retry-after': '0.3' } }) },
  };
  const servers: Server[] = [];
  const sockets: Socket[] = [];
  // Each socket's end, awaited from the start: it may come before the test asks for it.
  const ends = new Map<Socket, Promise<unknown>>();
  const closed = (socket: Socket): Promise<unknown> => ends.get(socket) ?? ended(socket);
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await Promise.all(servers.splice(0).map(close));
  });

  async function serve(maxConnections: number, idleYieldMs: number): Promise<number> {
    const server = createHttpServer(
      routes,
      { ...LIMITS, maxConnections, idleYieldMs },
      { logger: captureLogs().logger, metrics: new Registry() },
    );
    servers.push(server);
    return listen(server, HOST);
  }

  /** A connection that sends nothing, once it is open. */
  async function silent(port: number): Promise<Socket> {
    const socket = connect({ host: HOST, port });
    sockets.push(socket);
    socket.on('error', () => {});
    // Read, so that the server's end is seen.
    socket.resume();
    ends.set(socket, ended(socket));
    await once(socket, 'connect');
    return socket;
  }

  /** The status line the server answers a GET / with on `socket`: it is still open. */
  async function servedOn(socket: Socket): Promise<string> {
    socket.pause();
    socket.setEncoding('latin1');
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    let received = '';
    for await (const chunk of socket) {
      received += chunk as string;
      if (received.endsWith('hello\n')) break;
    }
    return received.split('\r\n')[0] ?? '';
  }

  it('closes a connection beyond the cap at once while none of those open has been idle for idleYieldMs', async () => {
    const port = await serve(2, 60_000);
    const [first, second] = [await silent(port), await silent(port)];
    const third = await silent(port);
    await closed(third);
    assert.equal(await servedOn(first), 'HTTP/1.1 200 OK');
    assert.equal(await servedOn(second), 'HTTP/1.1 200 OK');
  });

  it('makes room for a newcomer by closing the connection idle longest, once it has been idle for idleYieldMs', async () => {
    const port = await serve(2, 50);
    const [first, second] = [await silent(port), await silent(port)];
    // The time under test: the two have to have been idle that long.
    await sleep(80);
    const answer = await ask({ host: HOST, port });
    assert.equal(answer.status, 200);
    await closed(first);
    assert.equal(await servedOn(second), 'HTTP/1.1 200 OK');
  });

  it('counts a kept-alive connection as idle from the end of its last answer', async () => {
    const port = await serve(1, 50);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const answered = await ask({ host: HOST, port, agent });
      assert.equal(answered.status, 200);
      const [kept] = Object.values(agent.sockets).flat().concat(Object.values(agent.freeSockets).flat());
      assert.ok(kept, 'the agent keeps the connection');
      const keptClosed = once(kept, 'close');
      // At once, it is too fresh to give way; once idle long enough, it does.
      const early = await silent(port);
      await closed(early);
      await sleep(80);
      assert.equal((await ask({ host: HOST, port })).status, 200);
      await keptClosed;
    } finally {
      agent.destroy();
    }
  });

  it('never closes a connection with a request in flight to make room', async () => {
    const port = await serve(1, 0);
    const held = ask({ host: HOST, port, path: '/held' });
    const server = servers[0];
    assert.ok(server);
    await once(server, 'request');
    await sleep(10);
    const newcomer = await silent(port);
    await closed(newcomer);
    release();
    assert.equal((await held).status, 200);
  });

  it('takes a connection off its books once it closes, so that it holds no place under the cap', async () => {
    const port = await serve(1, 0);
    const server = servers[0];
    assert.ok(server);
    const accepted = once(server, 'connection') as Promise<[Socket]>;
    const gone = await silent(port);
    const [serverSide] = await accepted;
    const seenGone = ended(serverSide);
    gone.destroy();
    await seenGone;
    // The one place is free again: the next connection gets it.
    const next = await silent(port);
    await sleep(5);
    // And it, not the closed one, is what gives way to the one after.
    const after = await ask({ host: HOST, port });
    assert.equal(after.status, 200);
    await closed(next);
  });

  it('counts each request in flight on a connection: one of two pipelined requests keeps it busy, and it is idle once both are answered', async () => {
    const port = await serve(1, 0);
    const server = servers[0];
    assert.ok(server);
    const socket = connect({ host: HOST, port });
    sockets.push(socket);
    socket.on('error', () => {});
    socket.setEncoding('latin1');
    let received = '';
    socket.on('data', (chunk: string) => (received += chunk));
    const socketClosed = ended(socket);
    const twoHeld = new Promise<void>((resolve) => server.on('request', () => waiting.length === 2 && resolve()));
    socket.write('GET /held HTTP/1.1\r\nHost: x\r\n\r\nGET /held HTTP/1.1\r\nHost: x\r\n\r\n');
    await twoHeld;
    release();
    while (!received.includes('late\n')) await once(socket, 'data');
    await sleep(5);
    // Still one request in flight on it: a newcomer does not take its place.
    const newcomer = await silent(port);
    await closed(newcomer);
    release();
    while (received.split('late\n').length < 3) await once(socket, 'data');
    assert.equal(socket.destroyed, false);
    // Both answered, it is idle again, and gives way to the next one that asks.
    await sleep(5);
    assert.equal((await ask({ host: HOST, port })).status, 200);
    await socketClosed;
  });

  it('lets one newcomer in for each 10 ms at most, however many idle connections could give way', async () => {
    const port = await serve(2, 0);
    const idle = [await silent(port), await silent(port)];
    await sleep(20);
    const newcomers = [connect({ host: HOST, port }), connect({ host: HOST, port })];
    sockets.push(...newcomers);
    for (const socket of newcomers) {
      socket.on('error', () => {}).resume();
      ends.set(socket, ended(socket));
    }
    const which = (socket: Socket): Promise<Socket> => closed(socket).then(() => socket);
    // One idle connection and one newcomer are closed; the other two stay.
    const first = await Promise.race([...idle, ...newcomers].map(which));
    const second = await Promise.race([...idle, ...newcomers].filter((socket) => socket !== first).map(which));
    assert.ok(idle.includes(first) !== idle.includes(second), 'one of each');
    for (const socket of [...idle, ...newcomers].filter((s) => s !== first && s !== second)) assert.equal(socket.destroyed, false);
  });

  it('reads no further request on a connection until the Retry-After an answer gave on it has passed', async () => {
    const port = await serve(10, 60_000);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const told = await ask({ host: HOST, port, path: '/later', agent });
      assert.deepEqual([told.status, told.headers['retry-after']], [503, '0.3']);
      const started = performance.now();
      assert.equal((await ask({ host: HOST, port, agent })).status, 200);
      const waited = performance.now() - started;
      assert.ok(waited >= 280 && waited < 1_000, `${Math.round(waited)} ms`);
      // A new connection is not held.
      const fresh = performance.now();
      assert.equal((await ask({ host: HOST, port })).status, 200);
      assert.ok(performance.now() - fresh < 500);
    } finally {
      agent.destroy();
    }
  });
});
