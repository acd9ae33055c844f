import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { Agent, request } from 'node:http';
import type { Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { setImmediate } from 'node:timers/promises';
import { LIMITS } from '../src/config.ts';
import type { ServerConfig } from '../src/config.ts';
import { ConfigError } from '../src/env.ts';
import { runService, shutDown } from '../src/lifecycle.ts';
import type { Service } from '../src/lifecycle.ts';
import { Registry } from '../src/metrics.ts';
import { createHttpServer } from '../src/router.ts';
import type { Reply } from '../src/router.ts';
import { ask, captureLogs, collect, freePort, listen, parseLines, runToExit, startService, stop } from '../testing/index.ts';
import type { LogLine } from '../testing/index.ts';

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

/** A stand-in for `process`: its output kept as written, its signals emitted by the test. */
class FakeProcess extends EventEmitter {
  readonly outLines: string[] = [];
  readonly errLines: string[] = [];
  readonly out = collect(this.outLines);
  readonly err = collect(this.errLines);
  exitCode: number | undefined;
}

const ROUTES = { '/': { handle: async (): Promise<Reply> => ({ status: 200, body: 'hello\n' }) } };

/** A service on a free port of 127.0.0.1, as the fixture's, run in this process. */
function service(
  loadConfig: () => ServerConfig = () => ({ port: 0, host: '127.0.0.1', logLevel: 'info', limits: LIMITS }),
): Service<ServerConfig> {
  return {
    name: 'inproc',
    loadConfig,
    createServer: (config, logger) => createHttpServer(ROUTES, config.limits, { logger, metrics: new Registry() }),
    describe: (config) => ({ least: config.logLevel }),
  };
}

function refusedConfig(): ServerConfig {
  throw new ConfigError('PORT must be an integer 1-65535, got "abc"');
}

function brokenConfig(): ServerConfig {
  throw new TypeError('a bug');
}

/** Runs `run` in this process until it listens; its port and first log line. */
async function listening(run: Service<ServerConfig>): Promise<{ server: Server; port: number; line: LogLine }> {
  const host = new FakeProcess();
  const server = runService(run, host);
  assert.ok(server);
  await once(server, 'listening');
  // Info lines are written at the end of the turn that logged them.
  await setImmediate();
  const { port } = server.address() as AddressInfo;
  return { server, port, line: parseLines(host.outLines)[0] ?? {} };
}

describe('runService', { timeout: 10_000 }, () => {
  it('refuses a bad setting with one line that names it and exit code 1, and starts nothing', () => {
    const host = new FakeProcess();
    assert.equal(runService(service(refusedConfig), host), undefined);
    assert.deepEqual([host.errLines, host.outLines, host.exitCode], [['inproc: PORT must be an integer 1-65535, got "abc"\n'], [], 1]);
    assert.equal(host.listenerCount('SIGTERM'), 0);
  });

  it('lets any other failure to load the configuration through', () => {
    assert.throws(() => runService(service(brokenConfig), new FakeProcess()), TypeError);
  });

  it('listens where the configuration says and logs the address with what the service adds', async () => {
    const { server, port, line } = await listening(service());
    assert.deepEqual(
      { ...line, time: undefined },
      { time: undefined, level: 'info', service: 'inproc', event: 'listening', address: `127.0.0.1:${port}`, least: 'info' },
    );
    assert.equal((await ask({ port })).status, 200);
    await shutDown(server);
  });

  it('logs the address alone for a service that adds nothing to it', async () => {
    const { describe: _added, ...plain } = service();
    const { server, port, line } = await listening(plain);
    assert.deepEqual(
      { ...line, time: undefined },
      { time: undefined, level: 'info', service: 'inproc', event: 'listening', address: `127.0.0.1:${port}` },
    );
    await shutDown(server);
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`on ${signal}, logs that it stops and closes the server, once`, async () => {
      const host = new FakeProcess();
      const server = runService(service(), host);
      assert.ok(server);
      await once(server, 'listening');
      const closed = once(server, 'close');
      host.emit(signal, signal);
      await closed;
      await setImmediate();
      const line = parseLines(host.outLines)[1] ?? {};
      assert.deepEqual({ ...line, time: undefined }, { time: undefined, level: 'info', service: 'inproc', event: 'stopping', signal });
      assert.equal(host.listenerCount(signal), 0, 'a second signal is left to Node, which ends the process');
      assert.equal(host.exitCode, undefined);
    });
  }

  it('says why and sets exit code 1 when it cannot listen', async () => {
    const taken = createNetServer();
    const port = await listen(taken);
    try {
      const host = new FakeProcess();
      const server = runService(
        service(() => ({ port, host: '127.0.0.1', logLevel: 'info', limits: LIMITS })),
        host,
      );
      assert.ok(server);
      await once(server, 'error');
      const line = JSON.parse(host.errLines[0] ?? '{}') as Record<string, unknown>;
      assert.deepEqual([line['level'], line['event'], host.exitCode], ['error', 'server failed', 1]);
      assert.match(String(line['error']), /EADDRINUSE/);
    } finally {
      taken.close();
    }
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
