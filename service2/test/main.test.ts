import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { describe, it } from 'node:test';
import { ask, freePort, runToExit, startService, stop } from '@two-services/service-kit/testing';
import { loadConfig } from '../src/config.ts';

const MAIN = new URL('../src/main.ts', import.meta.url);

describe('service2 as a process', { timeout: 20_000 }, () => {
  it('listens on port 8002 unless PORT says otherwise', () => {
    assert.equal(loadConfig({}).port, 8002);
    assert.equal(loadConfig({ PORT: '9' }).port, 9);
  });

  it('refuses an invalid setting at start with one line that names it, and exits 1', async () => {
    const { code, stdout, stderr } = await runToExit(MAIN, { LOG_LEVEL: 'loud' });
    assert.deepEqual(
      { code, stdout, stderr },
      { code: 1, stdout: '', stderr: 'service2: LOG_LEVEL must be one of debug, info, warn, error, got "loud"\n' },
    );
  });

  it('logs its address, answers, and on SIGTERM closes its kept-alive connections at once and exits 0', async () => {
    const port = await freePort();
    const { child, started, lines } = await startService(MAIN, { PORT: String(port), HOST: '127.0.0.1' });
    assert.deepEqual([started['service'], started['event'], started['address']], ['service2', 'listening', `127.0.0.1:${port}`]);
    const agent = new Agent({ keepAlive: true });
    try {
      const answer = await ask({ port, agent, headers: { 'x-request-id': 'proc-1' } });
      assert.equal(answer.body, `Hello from 127.0.0.1:${answer.clientPort} to 127.0.0.1:${port}\n`);
      const stopping = performance.now();
      // Without its own shutdown handling, SIGTERM would end it with no exit code;
      // without closing idle connections, it would wait 15 s for the kept-alive one.
      assert.equal(await stop(child), 0);
      assert.ok(performance.now() - stopping < 2_000, `stopped in ${Math.round(performance.now() - stopping)} ms`);
      assert.deepEqual(
        lines.map((line) => [line['event'], line['requestId']]),
        [
          ['request', 'proc-1'],
          ['stopping', undefined],
        ],
      );
    } finally {
      agent.destroy();
    }
  });
});
