import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Agent } from 'node:http';
import { describe, it } from 'node:test';
import { ask, freePort, runToExit, startService, stop } from '@two-services/service-kit/testing';
import { FakeService2, holding, SERVICE2_LINE } from './fake-service2.ts';
import { within } from './helpers.ts';

const MAIN = new URL('../src/main.ts', import.meta.url);
const HOST = '127.0.0.1';

/** Settles once the process has written a stdout line with `"event":"<event>"`. */
async function untilEvent(child: ChildProcess, event: string): Promise<void> {
  const stdout = child.stdout;
  assert.ok(stdout !== null);
  let text = '';
  const onData = (chunk: Buffer): void => {
    text += chunk.toString('utf8');
  };
  stdout.on('data', onData);
  try {
    while (!text.includes(`"event":"${event}"`)) await once(stdout, 'data');
  } finally {
    stdout.off('data', onData);
  }
}

describe('service1 as a process', { timeout: 15_000 }, () => {
  describe('refuses a bad setting at start', { concurrency: true }, () => {
    const refusals = [
      [{ PORT: 'abc' }, 'PORT must be an integer 1-65535, got "abc"'],
      [{ UPSTREAM_TIMEOUT_MS: '-5' }, 'UPSTREAM_TIMEOUT_MS must be an integer 1-60000, got "-5"'],
      [{ SERVICE2_URL: 'service2' }, 'SERVICE2_URL must be an http:// URL without credentials or fragment, got "service2"'],
      [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL must be one of debug, info, warn, error, got "loud"'],
    ] as const;
    for (const [env, message] of refusals) {
      it(`refuses ${JSON.stringify(env)} with one line that names it, and exits 1`, async () => {
        const { code, stdout, stderr } = await runToExit(MAIN, env);
        assert.equal(stderr, `service1: ${message}\n`);
        assert.equal(stdout, '');
        assert.equal(code, 1);
      });
    }
  });

  it("logs where it listens and service2's URL, serves, and exits 0 on SIGTERM", async () => {
    const port = await freePort(HOST);
    const service2Url = 'http://127.0.0.1:9/greet';
    const { child, started } = await startService(MAIN, { PORT: String(port), HOST, SERVICE2_URL: service2Url });
    try {
      const { time, ...rest } = started;
      assert.equal(typeof time, 'string');
      assert.deepEqual(rest, { level: 'info', service: 'service1', event: 'listening', address: `${HOST}:${port}`, service2: service2Url });
      assert.equal((await ask({ port, path: '/healthz' })).status, 200);
    } finally {
      assert.equal(await stop(child), 0);
    }
  });

  it('finishes a request in flight when SIGTERM comes, logs it, and exits 0 as soon as it is answered', async () => {
    const service2 = await new FakeService2().start();
    const hold = holding();
    service2.behaviour = hold.behaviour;
    const port = await freePort(HOST);
    // The longest deadline: nothing of a finished call may hold the process until it passes.
    const { child, lines } = await startService(MAIN, {
      PORT: String(port),
      HOST,
      SERVICE2_URL: service2.url.href,
      UPSTREAM_TIMEOUT_MS: '60000',
    });
    // Kept alive, so that the process must also close an idle connection to exit.
    const agent = new Agent({ keepAlive: true });
    try {
      const pending = ask({ port, agent, headers: { 'x-request-id': 'in-flight' } });
      await hold.held;
      const stopping = untilEvent(child, 'stopping');
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await within(stopping, 2_000, 'the stopping line');
      hold.release();
      const answer = await pending;
      assert.equal(answer.status, 200);
      assert.equal(answer.body, `Hello from 127.0.0.1:${answer.clientPort} to ${HOST}:${port}\n${SERVICE2_LINE}`);
      assert.deepEqual(await within(exited, 3_000, 'the exit after the last answer'), [0, null]);
      assert.deepEqual(
        lines.map((line) => [line['service'], line['event'], line['requestId'], line['status'], line['upstreamStatus']]),
        [
          ['service1', 'stopping', undefined, undefined, undefined],
          ['service1', 'request', 'in-flight', 200, 200],
        ],
      );
    } finally {
      agent.destroy();
      child.kill('SIGKILL');
      hold.release();
      await service2.stop();
    }
  });
});
