import assert from 'node:assert/strict';
import { Agent, Server } from 'node:http';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Config } from '../src/config.js';
import { createServer } from '../src/server.js';
import { MAX_BODY_BYTES } from '../src/upstream.js';
import { FakeService2, likeService2, SERVICE2_LINE, silentServer } from './fake-service2.js';
import { ask, close, freePort, listen } from './helpers.js';
import type { Reply } from './helpers.js';

// Three loopback addresses, so a swapped remote and local end cannot pass.
const SERVICE1 = '127.0.0.2';
const CLIENT = '127.0.0.3';
const SERVICE2 = '127.0.0.4';

function configFor(service2Url: URL, upstreamTimeoutMs = 2_000): Config {
  return { port: 8001, service2Url, upstreamTimeoutMs };
}

/** Starts service1 in front of `service2Url` and asks it once from CLIENT. */
async function askService1(service2Url: URL, upstreamTimeoutMs?: number): Promise<{ reply: Reply; port: number }> {
  const server = createServer(configFor(service2Url, upstreamTimeoutMs));
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

describe('service1 in front of a working service2', () => {
  const service2 = new FakeService2(SERVICE2);
  const service1 = { server: new Server(), port: 0 };
  before(async () => {
    await service2.start();
    service1.server = createServer(configFor(service2.url));
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

describe('service1 when service2 cannot answer', () => {
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
    const server = createServer(configFor(new URL(`http://${SERVICE2}:${refusing}/`)));
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
