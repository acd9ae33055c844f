import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { describe, it } from 'node:test';
import { setImmediate } from 'node:timers/promises';
import { LIMITS } from '@two-services/service-kit';
import { freePort, sample, unavailable } from '@two-services/service-kit/testing';
import { MAX_BODY_BYTES } from '../src/attempt.ts';
import { CONNECT_TIMEOUT_MS, IDLE_CONNECTION_MS } from '../src/pool.ts';
import { Replicas } from '../src/replicas.ts';
import { Service2Client } from '../src/service2-client.ts';
import {
  announcesTooMuch,
  answers,
  drops,
  FakeService2,
  holding,
  likeService2,
  MULTICAST,
  noUnreachableNetwork,
  SERVICE2_LINE,
  silentServer,
  stopsMidAnswer,
  streamsTooMuch,
  unaccepting,
} from './fake-service2.ts';
import type { Behaviour } from './fake-service2.ts';
import { inFrontOfFakeService2, metricsOf, resolver, runningTimers, startService1, within } from './helpers.ts';
import type { Service1 } from './helpers.ts';

const noIPv6 = await unavailable('::1');
const noUnreachable = await noUnreachableNetwork();
// A short deadline for the tests that wait for it.
const SHORT_DEADLINE_MS = 200;

// Answers the first request on each connection and drops the connection when a
// second one arrives on it: what a server does when its keep-alive timeout
// fires just as a request comes in.
function answersOncePerConnection(): Behaviour {
  const served = new WeakSet<Socket>();
  return (req, res) => {
    if (served.has(req.socket)) {
      req.socket.destroy();
      return;
    }
    served.add(req.socket);
    likeService2(req, res);
  };
}

/** Runs `test` with a fake service2 and service1 in front of it, both on 127.0.0.1, then stops both. */
async function withPair(test: (service1: Service1, service2: FakeService2) => Promise<void>, upstreamTimeoutMs?: number): Promise<void> {
  const service2 = await new FakeService2().start();
  const service1 = await startService1(service2.url, upstreamTimeoutMs === undefined ? {} : { upstreamTimeoutMs });
  try {
    await test(service1, service2);
  } finally {
    await service1.stop();
    await service2.stop();
  }
}

describe('service1 in front of a service2 that answers', { timeout: 10_000 }, () => {
  const stack = inFrontOfFakeService2();

  it("answers GET / with its own line followed by service2's, with their Content-Length", async () => {
    const answer = await stack.service1.ask();
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(answer.body, stack.service1.ownLine(answer) + SERVICE2_LINE);
    assert.equal(answer.headers['content-length'], String(Buffer.byteLength(answer.body)));
  });

  it('answers HEAD / with the headers GET has and no body, and calls service2 with GET', async () => {
    const earlier = stack.service2.requests.length;
    const answer = await stack.service1.ask({ method: 'HEAD' });
    assert.equal(answer.status, 200);
    assert.equal(answer.body, '');
    assert.equal(answer.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(answer.headers['content-length'], String(Buffer.byteLength(stack.service1.ownLine(answer) + SERVICE2_LINE)));
    assert.equal(stack.service2.requests[earlier]?.method, 'GET');
  });

  it('calls service2 with GET / and its address as Host', async () => {
    const earlier = stack.service2.requests.length;
    assert.equal((await stack.service1.ask()).status, 200);
    const call = stack.service2.requests[earlier];
    assert.equal(call?.method, 'GET');
    assert.equal(call?.url, '/');
    assert.equal(call?.headers.host, `127.0.0.1:${stack.service2.port}`);
    assert.equal(stack.service2.requests.length, earlier + 1);
  });

  it("passes the caller's X-Request-Id on to service2 and back to the caller", async () => {
    const earlier = stack.service2.requests.length;
    const answer = await stack.service1.ask({ headers: { 'x-request-id': 'trace-42' } });
    assert.equal(answer.headers['x-request-id'], 'trace-42');
    assert.equal(stack.service2.requests[earlier]?.headers['x-request-id'], 'trace-42');
  });

  for (const [why, headers] of [
    ['gave none', {}],
    ['gave one that is not sane', { 'x-request-id': 'a'.repeat(129) }],
  ] as const) {
    it(`sends service2 the request id it made when the caller ${why}, and gives it back`, async () => {
      const earlier = stack.service2.requests.length;
      const answer = await stack.service1.ask({ headers });
      assert.match(String(answer.headers['x-request-id']), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      assert.equal(stack.service2.requests[earlier]?.headers['x-request-id'], answer.headers['x-request-id']);
    });
  }

  for (const status of [500, 404, 201]) {
    it(`answers 502 when service2 answers ${status}, and names it`, async () => {
      stack.service2.behaviour = (_req, res) => {
        res.writeHead(status);
        res.end(SERVICE2_LINE);
      };
      const answer = await stack.service1.ask();
      assert.equal(answer.status, 502);
      assert.equal(answer.body, `${stack.service1.ownLine(answer)}service2 answered ${status}\n`);
      assert.equal(answer.headers['content-length'], String(Buffer.byteLength(answer.body)));
    });
  }

  it(`answers 502 at once to a Content-Length over ${MAX_BODY_BYTES}, without waiting for the body`, async () => {
    stack.service2.behaviour = announcesTooMuch;
    const started = performance.now();
    const answer = await stack.service1.ask();
    const elapsed = performance.now() - started;
    assert.equal(answer.status, 502);
    assert.equal(answer.body, `${stack.service1.ownLine(answer)}service2 sent more than ${MAX_BODY_BYTES} bytes\n`);
    assert.ok(elapsed < 1_000, `answered after ${Math.round(elapsed)} ms`);
  });

  it(`answers 200 to a body of exactly ${MAX_BODY_BYTES} bytes`, async () => {
    const line = `${'x'.repeat(MAX_BODY_BYTES - 1)}\n`;
    stack.service2.behaviour = (_req, res) => {
      res.writeHead(200, { 'content-length': MAX_BODY_BYTES });
      res.end(line);
    };
    const answer = await stack.service1.ask();
    assert.equal(answer.status, 200);
    assert.equal(answer.body, stack.service1.ownLine(answer) + line);
  });

  for (const body of ['', 'no newline', 'two\nlines\n', '\nlate\n']) {
    it(`answers 502 when service2's body is not one line: ${JSON.stringify(body)}`, async () => {
      stack.service2.behaviour = (_req, res) => res.end(body);
      const answer = await stack.service1.ask();
      assert.equal(answer.status, 502);
      assert.equal(answer.body, `${stack.service1.ownLine(answer)}service2 did not answer with one line\n`);
    });
  }

  it('answers 200 again as soon as service2 recovers', async () => {
    stack.service2.behaviour = (_req, res) => {
      res.writeHead(503);
      res.end();
    };
    assert.equal((await stack.service1.ask()).status, 502);
    stack.service2.behaviour = likeService2;
    assert.equal((await stack.service1.ask()).status, 200);
  });

  it('answers GET /healthz with 200 ok without calling service2', async () => {
    const earlier = stack.service2.requests.length;
    const answer = await stack.service1.ask({ path: '/healthz' });
    assert.equal(answer.status, 200);
    assert.equal(answer.body, 'ok\n');
    assert.equal(stack.service2.requests.length, earlier);
  });

  it('answers an unknown path with 404 without calling service2', async () => {
    const earlier = stack.service2.requests.length;
    const answer = await stack.service1.ask({ path: '/service2' });
    assert.equal(answer.status, 404);
    assert.equal(stack.service2.requests.length, earlier);
  });

  it("answers nothing, and does not call service2, when the caller's connection closed before its addresses were read", async () => {
    const earlier = stack.service2.requests.length;
    // The caller is gone by the time service1 reads the two ends of its connection.
    const hangUp = (req: IncomingMessage): void => void req.socket.destroy();
    stack.service1.server.prependListener('request', hangUp);
    try {
      await assert.rejects(stack.service1.ask({ headers: { 'x-request-id': 'hung-up' } }), { code: 'ECONNRESET' });
    } finally {
      stack.service1.server.off('request', hangUp);
    }
    const failure = await within(
      stack.service1.logs.next((line) => line['requestId'] === 'hung-up' && line['event'] === 'handler failed'),
      1_000,
      'the log line of the failure',
    );
    assert.equal(failure['error'], 'Error: the connection closed before its addresses were read');
    assert.equal(stack.service2.requests.length, earlier);
  });

  it('answers POST / with 405 without calling service2', async () => {
    const earlier = stack.service2.requests.length;
    const answer = await stack.service1.ask({ method: 'POST' });
    assert.equal(answer.status, 405);
    assert.equal(stack.service2.requests.length, earlier);
  });
});

describe("service1's calls to service2", { timeout: 10_000 }, () => {
  it('keeps one connection to service2 open across calls', () =>
    withPair(async (service1, service2) => {
      for (let i = 0; i < 5; i += 1) assert.equal((await service1.ask()).status, 200);
      assert.equal(service2.requests.length, 5);
      assert.equal(service2.connections.length, 1);
      assert.equal(service2.openConnections, 1);
    }));

  it("calls service2 by name with GET on the URL's path and query, the URL's host as Host", async () => {
    const service2 = await new FakeService2().start();
    const dns = resolver(() => ['127.0.0.1']);
    const service1 = await startService1(new URL(`http://service2:${service2.port}/greet?x=1`), {
      replicas: new Replicas('service2', dns.lookup),
    });
    try {
      const answer = await service1.ask({ method: 'HEAD' });
      assert.equal(answer.status, 200);
      const call = service2.requests[0];
      assert.equal(call?.method, 'GET');
      assert.equal(call?.url, '/greet?x=1');
      assert.equal(call?.headers.host, `service2:${service2.port}`);
      assert.deepEqual(dns.hostnames, ['service2']);
    } finally {
      await service1.stop();
      await service2.stop();
    }
  });

  it('calls service2 at an IPv6 address written in brackets', { skip: noIPv6 }, async () => {
    const service2 = await new FakeService2('::1').start();
    const service1 = await startService1(new URL(`http://[::1]:${service2.port}/`));
    try {
      const answer = await service1.ask();
      assert.equal(answer.status, 200);
      assert.equal(answer.body, service1.ownLine(answer) + SERVICE2_LINE);
      assert.equal(service2.requests[0]?.headers.host, `[::1]:${service2.port}`);
    } finally {
      await service1.stop();
      await service2.stop();
    }
  });

  it('closes its connections to service2 when it closes', async () => {
    const service2 = await new FakeService2().start();
    const service1 = await startService1(service2.url);
    try {
      assert.equal((await service1.ask()).status, 200);
      assert.equal(service2.openConnections, 1);
    } finally {
      await service1.stop();
    }
    try {
      await within(service2.untilOpen(0), 1_000, 'no open connection to service2');
    } finally {
      await service2.stop();
    }
  });

  it(`waits for a slow answer on a connection that opened: the ${CONNECT_TIMEOUT_MS} ms bound is on opening it only`, async () => {
    const service2 = await new FakeService2().start();
    // A service2 that is slow on purpose: it answers once the connect bound has passed.
    service2.behaviour = (req, res) => void setTimeout(() => likeService2(req, res), CONNECT_TIMEOUT_MS + 150);
    const service1 = await startService1(service2.url);
    try {
      const answer = await service1.ask();
      assert.equal(answer.status, 200);
      assert.equal(answer.body, service1.ownLine(answer) + SERVICE2_LINE);
    } finally {
      await service1.stop();
      await service2.stop();
    }
  });

  it("answers 502 when nothing listens on service2's port", async () => {
    const service1 = await startService1(new URL(`http://127.0.0.1:${await freePort()}/`));
    try {
      const answer = await service1.ask();
      assert.equal(answer.status, 502);
      assert.equal(answer.body, `${service1.ownLine(answer)}service2 refused the connection (ECONNREFUSED)\n`);
    } finally {
      await service1.stop();
    }
  });

  it(`answers 504 when service2 accepts but never answers within the deadline, and closes that connection`, async () => {
    const silent = await silentServer();
    const service1 = await startService1(new URL(`http://127.0.0.1:${silent.port}/`), { upstreamTimeoutMs: SHORT_DEADLINE_MS });
    try {
      const answer = await service1.ask();
      assert.equal(answer.status, 504);
      assert.equal(answer.body, `${service1.ownLine(answer)}service2 did not answer within ${SHORT_DEADLINE_MS} ms\n`);
      assert.equal(silent.sockets.length, 1);
      await within(silent.untilOpen(0), 1_000, 'the connection to service2 closed');
    } finally {
      await service1.stop();
      await silent.stop();
    }
  });

  it(`answers 502 after ${CONNECT_TIMEOUT_MS} ms when a new connection is never accepted, long before the deadline, and does not try that address again`, async (t) => {
    const target = await unaccepting();
    if (typeof target === 'string') return t.skip(target);
    const service1 = await startService1(new URL(`http://127.0.0.1:${target.port}/`), { upstreamTimeoutMs: 5_000 });
    try {
      const started = performance.now();
      const answer = await service1.ask({ headers: { 'x-request-id': 'unaccepted' } });
      const elapsed = performance.now() - started;
      assert.equal(answer.status, 502);
      assert.equal(answer.body, `${service1.ownLine(answer)}service2 did not accept the connection within ${CONNECT_TIMEOUT_MS} ms\n`);
      // An address in the URL is the only one: a second try would wait as long for the same.
      assert.equal(service1.logs.of('unaccepted')[0]?.['upstreamRetried'], undefined);
      assert.equal(sample(await metricsOf(service1.port), 'service2_calls_total{outcome="unreachable"}'), 1);
      assert.ok(elapsed >= CONNECT_TIMEOUT_MS * 0.9 && elapsed < 2 * CONNECT_TIMEOUT_MS, `answered after ${Math.round(elapsed)} ms`);
    } finally {
      await service1.stop();
      target.stop();
    }
  });

  it('answers 502 when service2 is on a network it cannot reach, after one try', { skip: noUnreachable }, async () => {
    const service1 = await startService1(new URL(`http://${MULTICAST}:8002/`));
    try {
      const answer = await service1.ask({ headers: { 'x-request-id': 'unreachable' } });
      assert.equal(answer.status, 502);
      assert.equal(answer.body, `${service1.ownLine(answer)}service2 is on an unreachable network (ENETUNREACH)\n`);
      assert.equal(service1.logs.of('unreachable')[0]?.['upstreamRetried'], undefined);
      assert.equal(sample(await metricsOf(service1.port), 'service2_calls_total{outcome="unreachable"}'), 1);
    } finally {
      await service1.stop();
    }
  });

  it('does not send again a call that service2 answered with something not HTTP on a pooled connection', () =>
    withPair(async (service1, service2) => {
      const served = new WeakSet<Socket>();
      service2.behaviour = (req, res) => {
        if (!served.has(req.socket)) {
          served.add(req.socket);
          likeService2(req, res);
        } else req.socket.end('NOT HTTP\r\n\r\n');
      };
      assert.equal((await service1.ask()).status, 200);
      const answer = await service1.ask({ headers: { 'x-request-id': 'garbled' } });
      assert.equal(answer.status, 502);
      assert.equal(answer.body, `${service1.ownLine(answer)}service2 failed: HPE_INVALID_CONSTANT\n`);
      assert.equal(service2.requests.length, 2);
      assert.equal(sample(await metricsOf(service1.port), 'service2_calls_total{outcome="failed"}'), 1);
    }));

  it('ends a call whose lookup outlasts the deadline as a timeout, and sends nothing once the lookup answers', async () => {
    const service2 = await new FakeService2().start();
    let answerLookup: (addresses: readonly string[]) => void = () => {};
    const lookup = new Promise<readonly string[]>((resolve) => {
      answerLookup = resolve;
    });
    const client = new Service2Client(
      new URL(`http://service2:${service2.port}/`),
      SHORT_DEADLINE_MS,
      new Replicas('service2', () => lookup),
    );
    try {
      assert.equal((await client.call('looked up too late')).outcome, 'timeout');
      // A second call waits on the same lookup, so it goes out just after whatever the first would send.
      const second = client.call('after the lookup');
      answerLookup(['127.0.0.1']);
      assert.equal((await second).outcome, 'ok');
      // Connections are accepted in the order they were opened: a request sent
      // for the first call would have opened one before the second's.
      assert.equal(service2.connections.length, 1);
      assert.deepEqual(
        service2.requests.map((req) => req.headers['x-request-id']),
        ['after the lookup'],
      );
    } finally {
      client.close();
      await service2.stop();
    }
  });

  it('leaves no timer running once a call has its answer, however long its deadline', async () => {
    const service2 = await new FakeService2().start();
    const timersBefore = runningTimers();
    const client = new Service2Client(service2.url, 60_000);
    try {
      assert.equal((await client.call('answered')).outcome, 'ok');
      assert.equal(runningTimers(), timersBefore);
    } finally {
      client.close();
      await service2.stop();
    }
  });

  it('leaves no timer running once a connection was refused', async () => {
    const timersBefore = runningTimers();
    const client = new Service2Client(new URL(`http://127.0.0.1:${await freePort()}/`), 60_000);
    try {
      assert.equal((await client.call('refused')).outcome, 'unreachable');
      // A refused connection's 'close' comes once its handle has closed, at the end of the
      // event loop's turn: after the check phase of this turn, before that of the next.
      await setImmediate();
      await setImmediate();
      assert.equal(runningTimers(), timersBefore);
    } finally {
      client.close();
    }
  });

  it('keeps an idle pooled connection to service2 for less time than service2 keeps it open', () => {
    assert.ok(IDLE_CONNECTION_MS < LIMITS.keepAliveTimeoutMs);
  });

  it('retries, once, a call that fails because service2 closed the pooled connection it went out on', () =>
    withPair(async (service1, service2) => {
      service2.behaviour = answersOncePerConnection();
      assert.equal((await service1.ask()).status, 200);
      const answer = await service1.ask({ headers: { 'x-request-id': 'retried' } });
      assert.equal(answer.status, 200);
      assert.equal(answer.body, service1.ownLine(answer) + SERVICE2_LINE);
      assert.deepEqual(
        service2.requests.map((req) => req.headers['x-request-id']).slice(1),
        ['retried', 'retried'],
        'the dropped call, then the retry',
      );
      assert.equal(service2.connections.length, 2);
      assert.equal(service1.logs.of('retried')[0]?.['upstreamRetried'], true);
    }));

  it('does not retry a call that fails on a new connection', () =>
    withPair(async (service1, service2) => {
      service2.behaviour = drops;
      const answer = await service1.ask();
      assert.equal(answer.status, 502);
      assert.equal(answer.body, `${service1.ownLine(answer)}service2 reset the connection (ECONNRESET)\n`);
      assert.equal(service2.requests.length, 1);
    }));

  it('ends a call that service2 stops answering on a pooled connection at the deadline, and does not send it again', () =>
    withPair(async (service1, service2) => {
      assert.equal((await service1.ask()).status, 200);
      const hold = holding();
      service2.behaviour = hold.behaviour;
      const answer = await service1.ask({ headers: { 'x-request-id': 'held' } });
      assert.equal(answer.status, 504);
      assert.equal(answer.body, `${service1.ownLine(answer)}service2 did not answer within ${SHORT_DEADLINE_MS} ms\n`);
      // A later call is the bound: a resend would have reached service2 before it.
      service2.behaviour = likeService2;
      assert.equal((await service1.ask({ headers: { 'x-request-id': 'later' } })).status, 200);
      assert.deepEqual(service2.requests.map((req) => req.headers['x-request-id']).slice(1), ['held', 'later']);
      hold.release();
    }, SHORT_DEADLINE_MS));
});

describe('service1 holds no more connections to service2 after a fault than before it', { timeout: 10_000 }, () => {
  const faults: ReadonlyArray<readonly [string, Behaviour]> = [
    ['answers 500', answers(500)],
    ['sends too much', streamsTooMuch],
    ['announces too much and stalls', announcesTooMuch],
    ['drops the connection', drops],
    ['stops mid-answer', stopsMidAnswer],
  ];
  for (const [name, fault] of faults) {
    it(`when service2 ${name}`, () =>
      withPair(async (service1, service2) => {
        // At rest, service1 keeps one connection to service2 open in its pool.
        assert.equal((await service1.ask()).status, 200);
        assert.equal(service2.openConnections, 1);
        service2.behaviour = fault;
        assert.equal((await service1.ask()).status, 502);
        service2.behaviour = likeService2;
        assert.equal((await service1.ask()).status, 200);
        await within(service2.untilOpen(1), 1_000, 'one open connection to service2');
        assert.equal(service2.openConnections, 1);
      }));
  }
});
