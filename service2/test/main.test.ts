import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { describe, it } from 'node:test';
import { ask, freePort, runService, startService, stop } from './helpers.js';

const HOST = '127.0.0.2';

describe('service2 as a process', { timeout: 20_000 }, () => {
  it('refuses an invalid PORT at start with one line that names it, and exits 1', async () => {
    const { code, stdout, stderr } = await runService({ PORT: 'abc' });
    assert.equal(code, 1);
    assert.equal(stderr, 'service2: PORT must be an integer 1-65535, got "abc"\n');
    assert.equal(stdout, '');
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`logs its bound address, serves, and exits 0 on ${signal}`, async () => {
      const port = await freePort(HOST);
      const { child, started } = await startService({ PORT: String(port), HOST });
      assert.equal(started['service'], 'service2');
      assert.equal(started['event'], 'listening');
      assert.equal(started['address'], `${HOST}:${port}`);

      const reply = await ask({ host: HOST, port, path: '/healthz' });
      assert.equal(reply.status, 200);

      assert.equal(await stop(child, signal), 0);
    });
  }

  it('writes one JSON line per request on stdout, none for /healthz, and one when it stops', async () => {
    const port = await freePort(HOST);
    const { child, lines } = await startService({ PORT: String(port), HOST });
    await ask({ host: HOST, port, path: '/healthz' });
    const reply = await ask({ host: HOST, port, from: '127.0.0.3', headers: { 'x-request-id': 'proc-1' } });
    assert.equal(reply.headers['x-request-id'], 'proc-1');
    assert.equal(await stop(child), 0);
    assert.deepEqual(lines.map((line) => [line['service'], line['event'], line['requestId'], line['path'], line['status'], line['remote']]), [
      ['service2', 'request', 'proc-1', '/', 200, `127.0.0.3:${reply.clientPort}`],
      ['service2', 'stopping', undefined, undefined, undefined, undefined],
    ]);
    for (const line of lines) assert.ok(!Number.isNaN(Date.parse(String(line['time']))));
  });

  it('does not wait for idle keep-alive connections when stopping', async () => {
    const port = await freePort(HOST);
    const { child } = await startService({ PORT: String(port), HOST });
    const agent = new Agent({ keepAlive: true });
    try {
      const reply = await ask({ host: HOST, port, agent });
      assert.equal(reply.status, 200);
      assert.equal(await stop(child), 0);
    } finally {
      agent.destroy();
    }
  });
});
