import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { close, freePort, listen } from '../testing/index.ts';

const SCRIPT = fileURLToPath(new URL('../healthcheck.sh', import.meta.url));

/** The script's exit code, run with `env` and DEFAULT_PORT. */
function check(defaultPort: number, env: Readonly<Record<string, string>> = {}): Promise<number> {
  return new Promise((resolve) => {
    execFile('bash', [SCRIPT, String(defaultPort)], { env: { PATH: process.env['PATH'] ?? '', ...env }, timeout: 5_000 }, (error) =>
      resolve(error === null ? 0 : Number(error.code)),
    );
  });
}

/** A server that answers /healthz with `status`. */
async function serving(status: number): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    res.writeHead(req.url === '/healthz' ? status : 404);
    res.end();
  });
  return { server, port: await listen(server) };
}

describe("the images' healthcheck (healthcheck.sh)", { timeout: 10_000 }, () => {
  it('passes when /healthz answers 200 on the default port', async () => {
    const { server, port } = await serving(200);
    try {
      assert.equal(await check(port), 0);
    } finally {
      await close(server);
    }
  });

  it('fails when /healthz answers anything else', async () => {
    const { server, port } = await serving(500);
    try {
      assert.equal(await check(port), 1);
    } finally {
      await close(server);
    }
  });

  it('fails when nothing listens', async () => {
    assert.equal(await check(await freePort()), 1);
  });

  it('asks the port and address the service was given, and loopback for every interface', async () => {
    const { server, port } = await serving(200);
    const unused = await freePort();
    try {
      assert.equal(await check(unused, { PORT: String(port) }), 0);
      assert.equal(await check(unused, { PORT: String(port), HOST: '127.0.0.1' }), 0);
      assert.equal(await check(unused, { PORT: String(port), HOST: '0.0.0.0' }), 0);
      assert.equal(await check(port, { HOST: '::' }), 0);
      assert.equal(await check(port, { PORT: String(unused) }), 1);
    } finally {
      await close(server);
    }
  });
});
