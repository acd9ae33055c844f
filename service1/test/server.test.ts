import assert from 'node:assert/strict';
import { Agent, Server } from 'node:http';
import type { Socket } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import { LIMITS } from '../src/config.js';
import type { Config } from '../src/config.js';
import { createServer } from '../src/server.js';
import { MAX_BODY_BYTES } from '../src/upstream.js';
import { FakeService2, likeService2, SERVICE2_LINE, silentServer } from './fake-service2.js';
import type { Behaviour } from './fake-service2.js';
import { ask, close, eventually, freePort, listen, RecordingLogger } from './helpers.js';
import type { Reply } from './helpers.js';

// Three loopback addresses, so a swapped remote and local end cannot pass.
const SERVICE1 = '127.0.0.2';
const CLIENT = '127.0.0.3';
const SERVICE2 = '127.0.0.4';

function configFor(service2Url: URL, upstreamTimeoutMs = 2_000): Config {
  return { port: 8001, service2Url, upstreamTimeoutMs, limits: LIMITS };
}

/** Starts service1 in front of `service2Url` and asks it once from CLIENT. */
async function askService1(service2Url: URL, upstreamTimeoutMs?: number): Promise<{ reply: Reply; port: number }> {
  const server = createServer(configFor(service2Url, upstreamTimeoutMs), new RecordingLogger());
  const port = await listen(server, SERVICE1);
  try {
    return { reply: await ask({ host: SERVICE1, port, from: CLIENT }), port };
  } finally {
    await close(server);
  }
}

function ownLine(reply: Reply, port: number): string {
  return `Hello from ${CLIENT}:${reply.clientPort} to ${SERVICE1}:${port}\n`;
}

describe('service1 in front of a working service2', { timeout: 10_000 }, () => {
  const service2 = new FakeService2(SERVICE2);
  const logger = new RecordingLogger();
  const service1 = { server: new Server(), port: 0 };
  before(async () => {
    await service2.start();
    service1.server = createServer(configFor(service2.url), logger);
    service1.port = await listen(service1.server, SERVICE1);
  });
  afterEach(() => {
    service2.behaviour = likeService2;
  });
  after(async () => {
    await close(service1.server);
    await service2.stop();
  });

  it('answers GET / with its own line followed by service2\'s: two lines, each ending in a newline', async () => {
    const reply = await ask({ host: SERVICE1, port: service1.port, from: CLIENT });
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(reply.body, ownLine(reply, service1.port) + SERVICE2_LINE);
    assert.equal(reply.headers['content-length'], String(reply.body.length));
  });

  it('calls service2 with GET / on its configured address', async () => {
    const before = service2.requests.length;
    const reply = await ask({ host: SERVICE1, port: service1.port, method: 'HEAD' });
    assert.equal(reply.status, 200);
    const call = service2.requests[before];
    assert.equal(call?.method, 'GET');
    assert.equal(call?.url, '/');
    assert.equal(call?.headers.host, `${SERVICE2}:${service2.port}`);
  });

  it('answers HEAD / with the headers of GET and no body', async () => {
    const reply = await ask({ host: SERVICE1, port: service1.port, method: 'HEAD', from: CLIENT });
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['content-length'], String((ownLine(reply, service1.port) + SERVICE2_LINE).length));
    assert.equal(reply.body, '');
  });

  it('keeps one connection to service2 open across calls', async () => {
    const before = service2.connections.length;
    for (let i = 0; i < 5; i += 1) {
      assert.equal((await ask({ host: SERVICE1, port: service1.port })).status, 200);
    }
    assert.ok(service2.connections.length - before <= 1, `opened ${service2.connections.length - before} connections for 5 calls`);
  });

  it('answers 502 when service2 answers with another status, and names it', async () => {
    service2.behaviour = (_req, res) => {
      res.writeHead(500);
      res.end('boom\n');
    };
    const reply = await ask({ host: SERVICE1, port: service1.port, from: CLIENT });
    assert.equal(reply.status, 502);
    assert.equal(reply.body, `${ownLine(reply, service1.port)}service2 answered 500\n`);
  });

  for (const [kind, headers] of [['with', { 'content-length': MAX_BODY_BYTES + 1 }], ['without', {}]] as const) {
    it(`answers 502 to a body over ${MAX_BODY_BYTES} bytes ${kind} Content-Length`, async () => {
      service2.behaviour = (_req, res) => {
        res.writeHead(200, headers);
        res.end(`${'x'.repeat(MAX_BODY_BYTES)}\n`);
      };
      const reply = await ask({ host: SERVICE1, port: service1.port, from: CLIENT });
      assert.equal(reply.status, 502);
      assert.equal(reply.body, `${ownLine(reply, service1.port)}service2 sent more than ${MAX_BODY_BYTES} bytes\n`);
    });
  }

  for (const body of ['', 'no newline', 'two\nlines\n']) {
    it(`answers 502 when service2's body is not one line: ${JSON.stringify(body)}`, async () => {
      service2.behaviour = (_req, res) => res.end(body);
      const reply = await ask({ host: SERVICE1, port: service1.port, from: CLIENT });
      assert.equal(reply.status, 502);
      assert.equal(reply.body, `${ownLine(reply, service1.port)}service2 did not answer with one line\n`);
    });
  }

  it('answers 502 when service2 drops the connection without answering', async () => {
    service2.behaviour = (req) => req.socket.destroy();
    const reply = await ask({ host: SERVICE1, port: service1.port, from: CLIENT });
    assert.equal(reply.status, 502);
    assert.equal(reply.body, `${ownLine(reply, service1.port)}service2 reset the connection (ECONNRESET)\n`);
  });

  it('answers 200 again as soon as service2 recovers', async () => {
    service2.behaviour = (_req, res) => {
      res.writeHead(503);
      res.end();
    };
    assert.equal((await ask({ host: SERVICE1, port: service1.port })).status, 502);
    service2.behaviour = likeService2;
    assert.equal((await ask({ host: SERVICE1, port: service1.port })).status, 200);
  });

  it('passes the caller\'s X-Request-Id on to service2 and back to the caller', async () => {
    const before = service2.requests.length;
    const reply = await ask({ host: SERVICE1, port: service1.port, headers: { 'x-request-id': 'trace-42' } });
    assert.equal(reply.headers['x-request-id'], 'trace-42');
    assert.equal(service2.requests[before]?.headers['x-request-id'], 'trace-42');
  });

  it('sends service2 the request id it made when the caller gave none', async () => {
    const before = service2.requests.length;
    const reply = await ask({ host: SERVICE1, port: service1.port });
    assert.match(String(reply.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    assert.equal(service2.requests[before]?.headers['x-request-id'], reply.headers['x-request-id']);
  });

  it('logs each request with service2\'s status and how long service2 took', async () => {
    await ask({ host: SERVICE1, port: service1.port, headers: { 'x-request-id': 'log-ok' } });
    const line = await logLine(logger, 'log-ok');
    assert.equal(line['status'], 200);
    assert.equal(line['upstreamStatus'], 200);
    assert.equal(typeof line['upstreamMs'], 'number');
    assert.equal(line['upstreamError'], undefined);
  });

  it('logs what went wrong with service2', async () => {
    service2.behaviour = (_req, res) => {
      res.writeHead(500);
      res.end();
    };
    await ask({ host: SERVICE1, port: service1.port, headers: { 'x-request-id': 'log-500' } });
    const line = await logLine(logger, 'log-500');
    assert.equal(line['status'], 502);
    assert.equal(line['upstreamStatus'], 500);
    assert.equal(line['upstreamError'], 'service2 answered 500');
  });

  it('does not log health checks', async () => {
    await ask({ host: SERVICE1, port: service1.port, path: '/healthz', headers: { 'x-request-id': 'health-1' } });
    await ask({ host: SERVICE1, port: service1.port, headers: { 'x-request-id': 'after-health-1' } });
    await logLine(logger, 'after-health-1');
    assert.equal(logger.lines.some((line) => line.fields['requestId'] === 'health-1'), false);
  });

  it('answers GET /healthz with 200 ok without calling service2', async () => {
    const before = service2.requests.length;
    const reply = await ask({ host: SERVICE1, port: service1.port, path: '/healthz' });
    assert.equal(reply.status, 200);
    assert.equal(reply.body, 'ok\n');
    assert.equal(service2.requests.length, before);
  });

  it('answers an unknown path with 404', async () => {
    const reply = await ask({ host: SERVICE1, port: service1.port, path: '/service2' });
    assert.equal(reply.status, 404);
    assert.equal(reply.body, 'not found\n');
  });

  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
    it(`answers ${method} / with 405 and Allow: GET, HEAD`, async () => {
      const reply = await ask({ host: SERVICE1, port: service1.port, method });
      assert.equal(reply.status, 405);
      assert.equal(reply.headers.allow, 'GET, HEAD');
      assert.equal(reply.body, 'method not allowed\n');
    });
  }
});

describe('service1 when service2 cannot answer', { timeout: 10_000 }, () => {
  it('answers 502 when nothing listens on service2\'s port', async () => {
    const refusing = await freePort(SERVICE2);
    const { reply, port } = await askService1(new URL(`http://${SERVICE2}:${refusing}/`));
    assert.equal(reply.status, 502);
    assert.equal(reply.body, `${ownLine(reply, port)}service2 refused the connection (ECONNREFUSED)\n`);
  });

  it('answers 504 when service2 accepts but never answers within the timeout', async () => {
    const silent = await silentServer(SERVICE2);
    try {
      const { reply, port } = await askService1(new URL(`http://${SERVICE2}:${silent.port}/`), 200);
      assert.equal(reply.status, 504);
      assert.equal(reply.body, `${ownLine(reply, port)}service2 did not answer within 200 ms\n`);
    } finally {
      await silent.stop();
    }
  });

  it('stays up and answers the next request after a failure', async () => {
    const refusing = await freePort(SERVICE2);
    const server = createServer(configFor(new URL(`http://${SERVICE2}:${refusing}/`)), new RecordingLogger());
    const port = await listen(server, SERVICE1);
    const agent = new Agent({ keepAlive: true });
    try {
      for (let i = 0; i < 3; i += 1) assert.equal((await ask({ host: SERVICE1, port, agent })).status, 502);
      assert.equal((await ask({ host: SERVICE1, port, path: '/healthz', agent })).status, 200);
    } finally {
      agent.destroy();
      await close(server);
    }
  });
});

describe('service1 and pooled connections that service2 closes', { timeout: 10_000 }, () => {
  // service2 answers the first request on each connection and drops the
  // connection when a second one arrives on it: what a server does when its
  // keep-alive timeout fires just as a request comes in.
  async function start(): Promise<{ service2: FakeService2; server: Server; port: number; logger: RecordingLogger }> {
    const service2 = await new FakeService2(SERVICE2).start();
    const served = new WeakSet<Socket>();
    service2.behaviour = (req, res) => {
      if (served.has(req.socket)) {
        req.socket.destroy();
        return;
      }
      served.add(req.socket);
      likeService2(req, res);
    };
    const logger = new RecordingLogger();
    const server = createServer(configFor(service2.url), logger);
    return { service2, server, port: await listen(server, SERVICE1), logger };
  }

  it('retries, once, a call that fails because service2 closed the pooled connection it went out on', async () => {
    const { service2, server, port, logger } = await start();
    try {
      assert.equal((await ask({ host: SERVICE1, port })).status, 200);
      const reply = await ask({ host: SERVICE1, port, from: CLIENT, headers: { 'x-request-id': 'retried-1' } });
      assert.equal(reply.status, 200);
      assert.equal(reply.body, ownLine(reply, port) + SERVICE2_LINE);
      assert.equal(service2.requests.length, 3, 'the first call, the dropped one, the retry');
      assert.equal((await logLine(logger, 'retried-1'))['upstreamRetried'], true);
    } finally {
      await close(server);
      await service2.stop();
    }
  });

  it('does not retry a call that fails on a new connection', async () => {
    const service2 = await new FakeService2(SERVICE2).start();
    service2.behaviour = (req) => req.socket.destroy();
    const server = createServer(configFor(service2.url), new RecordingLogger());
    const port = await listen(server, SERVICE1);
    try {
      const reply = await ask({ host: SERVICE1, port, from: CLIENT });
      assert.equal(reply.status, 502);
      assert.equal(reply.body, `${ownLine(reply, port)}service2 reset the connection (ECONNRESET)\n`);
      assert.equal(service2.requests.length, 1);
    } finally {
      await close(server);
      await service2.stop();
    }
  });
});

describe('service1 holds no more connections after a fault than before it', { timeout: 20_000 }, () => {
  const faults: ReadonlyArray<readonly [string, Behaviour, number]> = [
    ['answers 500', (_req, res) => { res.writeHead(500); res.end('no\n'); }, 502],
    ['sends too much', (_req, res) => res.end('x'.repeat(MAX_BODY_BYTES + 1)), 502],
    ['drops the connection', (req) => req.socket.destroy(), 502],
    ['stops mid-answer', (req, res) => { res.writeHead(200, { 'content-length': 100 }); res.write('Hello'); setTimeout(() => req.socket.destroy(), 10); }, 502],
  ];
  for (const [name, fault, status] of faults) {
    it(`when service2 ${name}`, async () => {
      const service2 = await new FakeService2(SERVICE2).start();
      const server = createServer(configFor(service2.url, 300), new RecordingLogger());
      const port = await listen(server, SERVICE1);
      try {
        // At rest, service1 keeps one connection to service2 open in its pool.
        assert.equal((await ask({ host: SERVICE1, port })).status, 200);
        assert.equal(service2.openConnections, 1);
        service2.behaviour = fault;
        assert.equal((await ask({ host: SERVICE1, port })).status, status);
        service2.behaviour = likeService2;
        assert.equal((await ask({ host: SERVICE1, port })).status, 200);
        await eventually(() => service2.openConnections === 1, 2_000, 'one open connection to service2');
      } finally {
        await close(server);
        await service2.stop();
      }
    });
  }

  it('when service2 stops answering on a pooled connection: that call ends at the deadline, and is not sent again', async () => {
    const service2 = await new FakeService2(SERVICE2).start();
    const server = createServer(configFor(service2.url, 200), new RecordingLogger());
    const port = await listen(server, SERVICE1);
    try {
      assert.equal((await ask({ host: SERVICE1, port })).status, 200);
      service2.behaviour = () => {};
      assert.equal((await ask({ host: SERVICE1, port })).status, 504);
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(service2.requests.length, 2);
    } finally {
      await close(server);
      await service2.stop();
    }
  });

  it('when service2 never answers: the connection is closed at the deadline', async () => {
    const silent = await silentServer(SERVICE2);
    const server = createServer(configFor(new URL(`http://${SERVICE2}:${silent.port}/`), 200), new RecordingLogger());
    const port = await listen(server, SERVICE1);
    try {
      for (let i = 0; i < 3; i += 1) assert.equal((await ask({ host: SERVICE1, port })).status, 504);
      await eventually(() => silent.openConnections() === 0, 2_000, 'no open connection to service2');
    } finally {
      await close(server);
      await silent.stop();
    }
  });
});

/** The one log line of a request, once it is written. */
async function logLine(logger: RecordingLogger, requestId: string): Promise<Readonly<Record<string, unknown>>> {
  await eventually(() => logger.lines.some((line) => line.fields['requestId'] === requestId), 2_000, `a log line for ${requestId}`);
  const lines = logger.lines.filter((line) => line.fields['requestId'] === requestId);
  assert.equal(lines.length, 1);
  return lines[0]?.fields ?? {};
}
