// explain's reading half against a recorded engine: the API client, finding
// the engine and the stack, asking service1 as curl does, and the command
// line. No engine needed: a stand-in serves the recordings over a socket.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { unavailable } from '@two-services/service-kit/testing';
import type { Recording } from '../src/types.ts';
import { explain } from '../src/naming/explain.ts';
import { askOnce } from '../src/reading/ask.ts';
import { addressOf, EngineApi, ExplainError } from '../src/reading/engine-api.ts';
import { candidates } from '../src/reading/engines.ts';
import { hostFacts } from '../src/reading/host.ts';
import { record } from '../src/reading/record.ts';
import { text } from '../src/writing/text.ts';
import { FIXTURES, recorded } from './fixtures.ts';
import { movedTo, standInEngine } from './stand-in-engine.ts';

const exec = promisify(execFile);
const CLI = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const noIPv6 = await unavailable('::1');

/** A server on `host` that answers every request with `body`, as service1 would; it remembers the last client's port. */
async function answeringWith(body: string, host = '127.0.0.1'): Promise<{ server: Server; port: number; clientPort: () => number }> {
  let client = 0;
  const server = createServer((req, res) => {
    client = req.socket.remotePort ?? 0;
    res.end(body);
  });
  server.listen(0, host);
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port, clientPort: () => client };
}

/** Runs the command line with `args` and `env`; its exit code and output. */
async function cli(args: readonly string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return exec(process.execPath, ['--disable-warning=ExperimentalWarning', CLI, ...args], { env: { ...process.env, ...env } }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

describe("explain's reading, against a recorded engine", () => {
  for (const fixture of ['compose-v2.json', 'swarm.json', 'swarm-nodes-remote.json']) {
    it(`records through the engine's API what it says of the stack that publishes the port, and one answer from that port (${fixture})`, async () => {
      const recording = recorded(fixture);
      const service1 = await answeringWith(recording.ask.body);
      const engine = await standInEngine(recording, service1.port);
      try {
        const made = await record(service1.port, 'localhost', { DOCKER_HOST: engine.host });
        const { containers, networks, insides, swarm } = made;
        const moved = movedTo(recording, service1.port);
        assert.deepEqual(
          { containers, networks, insides, swarm },
          { containers: moved.containers, networks: recording.networks, insides: recording.insides, swarm: recording.swarm },
        );
        assert.deepEqual(made.engine, { ...recording.engine, kind: 'docker', socket: engine.host });
        assert.deepEqual(
          [made.port, made.ask.url, made.ask.status, made.ask.body, made.ask.server.port, made.ask.client.port, made.ranIn],
          [service1.port, `http://localhost:${service1.port}/`, 200, recording.ask.body, service1.port, service1.clientPort(), 'host'],
        );
        assert.deepEqual(made.host, hostFacts(service1.port, moved.containers));
      } finally {
        service1.server.close();
        await engine.stop();
      }
    });
  }

  it('changes nothing in the engine: it only reads, but for one exec a container, to read what that container sees', async () => {
    const recording = recorded('compose-v2.json');
    const service1 = await answeringWith(recording.ask.body);
    const engine = await standInEngine(recording, service1.port);
    try {
      await record(service1.port, 'localhost', { DOCKER_HOST: engine.host });
      const writes = engine.requests.filter((request) => !request.startsWith('GET '));
      // Asked once each: the engine's version, and its list of containers.
      assert.deepEqual(
        ['GET /version', 'GET /v1.41/containers/json'].map((asked) => engine.requests.filter((request) => request === asked).length),
        [1, 1],
      );
      const ids = recording.containers.map((container) => container.Id);
      assert.deepEqual(
        writes.toSorted(),
        ids.flatMap((id) => [`POST /v1.41/containers/${id}/exec`, `POST /v1.41/exec/exec-${id}/start`]).toSorted(),
      );
    } finally {
      service1.server.close();
      await engine.stop();
    }
  });

  it('says in one line which engines it asked when none publishes the port', async () => {
    const engine = await standInEngine(recorded('compose-v2.json'), 1);
    try {
      await assert.rejects(record(2, 'localhost', { DOCKER_HOST: engine.host }), {
        name: 'ExplainError',
        message: `the stack is not up: no container publishes port 2; asked ${engine.host}`,
      });
    } finally {
      await engine.stop();
    }
  });

  it("speaks the API at the engine's own version, or at 1.51 where the engine speaks newer ones, as the CLI negotiates", async () => {
    for (const [engineVersion, asked] of [
      ['1.41', '/v1.41/info'],
      ['1.53', '/v1.51/info'],
    ] as const) {
      const engine = await standInEngine(recorded('compose-v2.json'), 1, engineVersion);
      try {
        await new EngineApi(engine.host).get('/info');
        assert.deepEqual(engine.requests, ['GET /version', `GET ${asked}`]);
      } finally {
        await engine.stop();
      }
    }
  });

  it('says in one line when the engine does not answer', async () => {
    const api = new EngineApi('unix:///nonexistent/engine.sock');
    await assert.rejects(api.get('/info'), {
      name: 'ExplainError',
      message: 'the engine at unix:///nonexistent/engine.sock did not answer (ENOENT)',
    });
  });

  it("passes on the engine's own message for a request it refuses", async () => {
    const engine = await standInEngine(recorded('compose-v2.json'), 1);
    try {
      await assert.rejects(new EngineApi(engine.host).get('/containers/nope/json'), {
        name: 'ExplainError',
        message: 'GET /v1.41/containers/nope/json failed: page not found: /v1.41/containers/nope/json',
      });
    } finally {
      await engine.stop();
    }
  });

  it('reads DOCKER_HOST as the docker CLI does: a unix socket, a named pipe or a TCP address', () => {
    assert.deepEqual(addressOf('unix:///run/user/1000/docker.sock'), { socketPath: '/run/user/1000/docker.sock' });
    assert.deepEqual(addressOf('npipe:////./pipe/docker_engine'), { socketPath: '\\\\.\\pipe\\docker_engine' });
    assert.deepEqual(addressOf('tcp://10.77.0.1:2375'), { host: '10.77.0.1', port: 2375 });
    assert.deepEqual(addressOf('tcp://[fd00::1]:2375'), { host: 'fd00::1', port: 2375 });
    assert.throws(
      () => addressOf('ssh://me@host'),
      new ExplainError('DOCKER_HOST must be unix://, npipe:// or tcp://host:port, got "ssh://me@host"'),
    );
  });

  describe('which engine it reads', () => {
    const dir = mkdtempSync(join(tmpdir(), 'explain-engines-'));
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('takes DOCKER_HOST alone when it is set', () => {
      assert.deepEqual(candidates({ DOCKER_HOST: 'tcp://10.0.0.1:2375', DOCKER_CONFIG: dir }), ['tcp://10.0.0.1:2375']);
    });

    it("takes the docker CLI's current context, as `docker context use` set it", () => {
      const config = join(dir, 'with-context');
      const meta = join(config, 'contexts', 'meta', createHash('sha256').update('rootless').digest('hex'));
      mkdirSync(meta, { recursive: true });
      writeFileSync(join(config, 'config.json'), JSON.stringify({ currentContext: 'rootless' }));
      writeFileSync(
        join(meta, 'meta.json'),
        JSON.stringify({ Name: 'rootless', Endpoints: { docker: { Host: 'unix:///run/user/1000/docker.sock' } } }),
      );
      assert.deepEqual(candidates({ DOCKER_CONFIG: config }), ['unix:///run/user/1000/docker.sock']);
    });

    it("looks for rootless Docker's and rootless Podman's sockets in XDG_RUNTIME_DIR", () => {
      const runtime = join(dir, 'runtime');
      mkdirSync(join(runtime, 'podman'), { recursive: true });
      writeFileSync(join(runtime, 'docker.sock'), '');
      writeFileSync(join(runtime, 'podman', 'podman.sock'), '');
      const found = candidates({ XDG_RUNTIME_DIR: runtime, DOCKER_CONFIG: join(dir, 'none') });
      assert.deepEqual(
        found.filter((where) => where.includes(runtime)),
        [`unix://${runtime}/docker.sock`, `unix://${runtime}/podman/podman.sock`],
      );
    });
  });

  describe('asking service1', () => {
    let v4: Awaited<ReturnType<typeof answeringWith>>;
    before(async () => {
      v4 = await answeringWith('Hello\n');
    });
    after(() => v4.server.close());

    it('asks an address once, on a connection of its own, and keeps both ends of it', async () => {
      const asked = await askOnce('127.0.0.1', v4.port);
      assert.deepEqual(asked, {
        url: `http://127.0.0.1:${v4.port}/`,
        status: 200,
        body: 'Hello\n',
        client: { address: '127.0.0.1', port: v4.clientPort() },
        server: { address: '127.0.0.1', port: v4.port },
      });
    });

    it('tries each address of localhost in turn, ::1 among them, as curl does, and says which refused', { skip: noIPv6 }, async () => {
      const v6 = await answeringWith('Hello over IPv6\n', '::1');
      try {
        // Nothing listens on the port on 127.0.0.1: the port is published on IPv6 only.
        const asked = await askOnce('localhost', v6.port);
        assert.deepEqual([asked.server.address, asked.body, asked.url], ['::1', 'Hello over IPv6\n', `http://localhost:${v6.port}/`]);
        assert.ok(!(asked.refused ?? []).includes('::1'));
      } finally {
        v6.server.close();
      }
    });

    it('says in one line when no address answers', async () => {
      v4.server.close();
      await assert.rejects(askOnce('127.0.0.1', v4.port), {
        name: 'ExplainError',
        message: `http://127.0.0.1:${v4.port}/ did not answer (ECONNREFUSED): is service1 still starting? The engine shows its health`,
      });
    });
  });
});

describe('node explain/src/main.ts', () => {
  it('explains the live stack, as the engine DOCKER_HOST names tells it', async () => {
    const recording = recorded('compose-v2.json');
    const service1 = await answeringWith(recording.ask.body);
    const engine = await standInEngine(recording, service1.port);
    try {
      const result = await cli(['--json'], { DOCKER_HOST: engine.host, SERVICE1_PORT: String(service1.port) });
      assert.equal(result.stderr, '');
      const explanation = JSON.parse(result.stdout) as ReturnType<typeof explain>;
      assert.deepEqual(explanation.lines, recording.ask.body.trimEnd().split('\n'));
      assert.deepEqual(
        explanation.parts.map((p) => p.role),
        ['gateway', 'ephemeral', 'container', 'listening', 'container', 'ephemeral', 'container', 'listening'],
      );
    } finally {
      service1.server.close();
      await engine.stop();
    }
  });

  it('says in one line, and exits 1, when no engine it asks publishes the port', async () => {
    const result = await cli([], { DOCKER_HOST: 'unix:///nonexistent/engine.sock', SERVICE1_PORT: '28001' });
    assert.deepEqual(result, {
      code: 1,
      stdout: '',
      stderr:
        'explain: the stack is not up: no container publishes port 28001; asked unix:///nonexistent/engine.sock (the engine at unix:///nonexistent/engine.sock did not answer (ENOENT))\n',
    });
  });

  it('rejects a SERVICE1_PORT that is no port, in one line', async () => {
    const result = await cli([], { SERVICE1_PORT: 'abc' });
    assert.deepEqual([result.code, result.stderr], [1, 'explain: SERVICE1_PORT must be a port number 1-65535, got "abc"\n']);
  });

  it('says in one line, and exits 1, when a recording to replay cannot be read', async () => {
    const result = await cli(['--replay', join(FIXTURES, 'none.json')]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^explain: cannot replay .*none\.json: ENOENT/);
  });

  it('explains a recorded run with --replay, without an engine', async () => {
    const { stdout } = await cli(['--replay', join(FIXTURES, 'compose-v2.json')]);
    assert.equal(stdout, text(explain(recorded('compose-v2.json'))));
  });

  it('exits 1 and names what it cannot account for', async () => {
    const recording: Recording = { ...recorded('compose-v2.json') };
    const strange = { ...recording, ask: { ...recording.ask, body: 'Hello from 192.0.2.1:1 to 172.29.0.2:8001\n' } };
    const file = join(mkdtempSync(join(tmpdir(), 'explain-')), 'strange.json');
    writeFileSync(file, JSON.stringify(strange));
    const result = await cli(['--replay', file]);
    assert.deepEqual([result.code, result.stderr], [1, 'explain: no container or network here accounts for 192.0.2.1\n']);
  });
});
