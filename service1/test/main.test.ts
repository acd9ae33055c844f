import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Agent } from 'node:http';
import { describe, it } from 'node:test';
import { FakeService2, likeService2, SERVICE2_LINE } from './fake-service2.js';
import { ask, freePort, runService, startService, stop } from './helpers.js';

const HOST = '127.0.0.2';
const SERVICE2 = '127.0.0.4';

describe('service1 as a process', { timeout: 20_000 }, () => {
  const refusals = [
    [{ PORT: 'abc' }, 'PORT must be an integer 1-65535, got "abc"'],
    [{ UPSTREAM_TIMEOUT_MS: '-5' }, 'UPSTREAM_TIMEOUT_MS must be an integer 1-60000, got "-5"'],
    [{ SERVICE2_URL: 'service2' }, 'SERVICE2_URL must be an http:// URL without credentials or fragment, got "service2"'],
  ] as const;
  for (const [env, message] of refusals) {
    it(`refuses ${JSON.stringify(env)} at start with one line that names it, and exits 1`, async () => {
      const { code, stdout, stderr } = await runService(env);
      assert.equal(code, 1);
      assert.equal(stderr, `service1: ${message}\n`);
      assert.equal(stdout, '');
    });
  }

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`logs its bound address and service2's URL, serves, and exits 0 on ${signal}`, async () => {
      const port = await freePort(HOST);
      const { child, started } = await startService({ PORT: String(port), HOST, SERVICE2_URL: 'http://127.0.0.4:9/' });
      assert.equal(started['service'], 'service1');
      assert.equal(started['event'], 'listening');
      assert.equal(started['address'], `${HOST}:${port}`);
      assert.equal(started['service2'], 'http://127.0.0.4:9/');
      assert.equal((await ask({ host: HOST, port, path: '/healthz' })).status, 200);
      assert.equal(await stop(child, signal), 0);
    });
  }

  it('writes one JSON line per request on stdout, with service2\'s part, none for /healthz', async () => {
    const service2 = await new FakeService2(SERVICE2).start();
    const port = await freePort(HOST);
    const { child, lines } = await startService({ PORT: String(port), HOST, SERVICE2_URL: service2.url.href });
    try {
      await ask({ host: HOST, port, path: '/healthz' });
      const reply = await ask({ host: HOST, port, from: '127.0.0.3', headers: { 'x-request-id': 'proc-1' } });
      assert.equal(reply.status, 200);
      assert.equal(service2.requests[0]?.headers['x-request-id'], 'proc-1');
      assert.equal(await stop(child), 0);
      assert.deepEqual(
        lines.map((line) => [line['service'], line['event'], line['requestId'], line['path'], line['status'], line['remote'], line['upstreamStatus']]),
        [
          ['service1', 'request', 'proc-1', '/', 200, `127.0.0.3:${reply.clientPort}`, 200],
          ['service1', 'stopping', undefined, undefined, undefined, undefined, undefined],
        ],
      );
      assert.equal(typeof lines[0]?.['durationMs'], 'number');
      assert.equal(typeof lines[0]?.['upstreamMs'], 'number');
    } finally {
      await service2.stop();
    }
  });

  it('finishes a request in flight before it exits on SIGTERM', async () => {
    const service2 = await new FakeService2(SERVICE2).start();
    const port = await freePort(HOST);
    const { child } = await startService({ PORT: String(port), HOST, SERVICE2_URL: service2.url.href });
    const agent = new Agent({ keepAlive: true });
    try {
      // service2 holds the call until service1 has been told to stop.
      let release = (): void => {};
      service2.behaviour = (req, res) => {
        release = () => likeService2(req, res);
      };
      const called = once(service2.server, 'request');
      const pending = ask({ host: HOST, port, agent });
      await called;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 100));
      release();
      const reply = await pending;
      assert.equal(reply.status, 200);
      assert.ok(reply.body.endsWith(SERVICE2_LINE));
      assert.deepEqual(await exited, [0, null]);
    } finally {
      agent.destroy();
      await service2.stop();
    }
  });
});
