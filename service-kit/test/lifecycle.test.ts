import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Agent, request } from 'node:http';
import type { Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { describe, it } from 'node:test';
import { LIMITS } from '../src/config.ts';
import { shutDown } from '../src/lifecycle.ts';
import { Registry } from '../src/metrics.ts';
import { createHttpServer } from '../src/router.ts';
import type { Reply } from '../src/router.ts';
import { ask, captureLogs, freePort, listen, runToExit, startService, stop } from '../testing/index.ts';

const MAIN = new URL('fixtures/main.ts', import.meta.url);

/** A server whose `/held` requests wait until the test releases them. */
function heldServer(): { server: Server; held: Array<() => void> } {
  const held: Array<() => void> = [];
  const routes = {
    '/': { handle: async (): Promise<Reply> => ({ status: 200, body: 'hello\n' }) },
    '/held': { handle: () => new Promise<Reply>((resolve) => held.push(() => resolve({ status: 200, body: 'done\n' }))) },
  };
  const server = createHttpServer(routes, LIMITS, { logger: captureLogs().logger, metrics: new Registry() });
  return { server, held };
}

/** How many timers keep the process alive now. */
function runningTimers(): number {
  return process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
}

describe('shutDown', { timeout: 10_000 }, () => {
  it('closes idle keep-alive connections at once, not after their keep-alive timeout', async () => {
    const { server } = heldServer();
    const port = await listen(server);
    const agent = new Agent({ keepAlive: true });
    assert.equal((await ask({ port, agent })).status, 200);
    const started = performance.now();
    await shutDown(server);
    assert.ok(performance.now() - started < 500, `took ${Math.round(performance.now() - started)} ms`);
    agent.destroy();
  });

  it('lets a request in flight finish, then closes its kept-alive connection at once', async () => {
    const { server, held } = heldServer();
    const port = await listen(server);
    const agent = new Agent({ keepAlive: true });
    const answer = ask({ port, path: '/held', agent });
    await once(server, 'request');
    const stopped = shutDown(server);
    // Closed to new connections while the request is held.
    await assert.rejects(ask({ port }), { code: 'ECONNREFUSED' });
    held[0]?.();
    assert.equal((await answer).body, 'done\n');
    const answered = performance.now();
    await stopped;
    assert.ok(performance.now() - answered < 500, `closed ${Math.round(performance.now() - answered)} ms after the answer`);
    agent.destroy();
  });

  it('leaves no timer running once the server has closed, so that nothing holds the process', async () => {
    const before = runningTimers();
    const { server } = heldServer();
    const port = await listen(server);
    const agent = new Agent({ keepAlive: true });
    assert.equal((await ask({ port, agent })).status, 200);
    await shutDown(server);
    agent.destroy();
    assert.equal(runningTimers(), before);
  });

  it('cuts connections still busy when the grace period ends', async () => {
    const { server } = heldServer();
    const port = await listen(server);
    const req = request({ port, path: '/held' });
    const failed = once(req, 'error');
    req.end();
    await once(server, 'request');
    const started = performance.now();
    await shutDown(server, 200);
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 190 && elapsed < 1_000, `took ${Math.round(elapsed)} ms`);
    const [error] = (await failed) as [NodeJS.ErrnoException];
    assert.equal(error.code, 'ECONNRESET');
  });
});

describe('runService, as a process', { timeout: 20_000 }, () => {
  it('refuses a bad setting at start with one line that names it, and exits 1', async () => {
    const { code, stdout, stderr } = await runToExit(MAIN, { PORT: 'abc' });
    assert.deepEqual({ code, stdout, stderr }, { code: 1, stdout: '', stderr: 'fixture: PORT must be an integer 1-65535, got "abc"\n' });
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`logs where it listens, serves, and on ${signal} logs that it stops and exits 0`, async () => {
      const port = await freePort();
      const { child, started, lines } = await startService(MAIN, { PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'debug' });
      assert.deepEqual(
        { ...started, time: undefined },
        { time: undefined, level: 'info', service: 'fixture', event: 'listening', address: `127.0.0.1:${port}`, least: 'debug' },
      );
      assert.equal((await ask({ port })).status, 200);
      assert.equal(await stop(child, signal), 0);
      assert.deepEqual(
        lines.map((line) => [line['event'], line['signal']]),
        [
          ['request', undefined],
          ['stopping', signal],
        ],
      );
    });
  }

  it('finishes a request in flight when told to stop, then exits 0', async () => {
    const port = await freePort();
    const { child, events } = await startService(MAIN, { PORT: String(port), HOST: '127.0.0.1' });
    const answer = ask({ port, path: '/slow' });
    await once(events, 'slow request begun');
    const exited = stop(child);
    assert.equal((await answer).body, 'slow\n');
    assert.equal(await exited, 0);
  });

  it('lets any other failure to read the configuration end the process, with its stack', async () => {
    const { code, stderr } = await runToExit(MAIN, { FIXTURE_BUG: '1' });
    assert.equal(code, 1);
    assert.match(stderr, /TypeError: a bug\n\s+at /);
  });

  it('logs the address alone for a service that adds nothing to it', async () => {
    const port = await freePort();
    const { child, started } = await startService(MAIN, { PORT: String(port), HOST: '127.0.0.1', FIXTURE_PLAIN: '1' });
    assert.deepEqual(
      { ...started, time: undefined },
      { time: undefined, level: 'info', service: 'fixture', event: 'listening', address: `127.0.0.1:${port}` },
    );
    assert.equal(await stop(child), 0);
  });

  it('says why, and exits 1, when it cannot listen', async () => {
    const taken = createNetServer();
    const port = await listen(taken);
    try {
      const { code, stderr } = await runToExit(MAIN, { PORT: String(port), HOST: '127.0.0.1' });
      const line = JSON.parse(stderr.split('\n')[0] ?? '{}') as Record<string, unknown>;
      assert.deepEqual([code, line['level'], line['event']], [1, 'error', 'server failed']);
      assert.match(String(line['error']), /EADDRINUSE/);
    } finally {
      taken.close();
    }
  });

  it('ends at once on a second signal, as Node does, when the first is still waiting for a request', async () => {
    const port = await freePort();
    const { child, events } = await startService(MAIN, { PORT: String(port), HOST: '127.0.0.1' });
    void ask({ port, path: '/slow' }).catch(() => {});
    await once(events, 'slow request begun');
    const stopping = once(events, 'stopping');
    child.kill('SIGTERM');
    await stopping;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    assert.deepEqual(await exited, [null, 'SIGTERM']);
  });

  it('keeps serving when whoever reads its log has gone', async () => {
    const port = await freePort();
    const { child } = await startService(MAIN, { PORT: String(port), HOST: '127.0.0.1' });
    // Nobody reads stdout or stderr any more: each log line now fails to be written.
    child.stdout?.destroy();
    child.stderr?.destroy();
    for (let i = 0; i < 3; i += 1) assert.equal((await ask({ port })).status, 200);
    assert.equal(await stop(child), 0);
  });
});
