// Helpers of service1's tests that the kit's testing helpers do not have.
import type { Server } from 'node:http';
import { after, afterEach, before } from 'node:test';
import { LIMITS } from '@two-services/service-kit';
import type { LogLevel } from '@two-services/service-kit';
import { ask, captureLogs, close, listen } from '@two-services/service-kit/testing';
import type { Answer, Ask, CapturedLogs } from '@two-services/service-kit/testing';
import type { Config } from '../src/config.ts';
import type { PoolLimits } from '../src/pool.ts';
import { Replicas } from '../src/replicas.ts';
import type { LookupAll } from '../src/replicas.ts';
import { createServer, serveWith } from '../src/server.ts';
import { Service2Client } from '../src/service2-client.ts';
import { FakeService2, likeService2 } from './fake-service2.ts';

/** service1's configuration with service2 at `service2Url`. */
export function configFor(service2Url: URL, upstreamTimeoutMs = 2_000): Config {
  return { port: 8001, logLevel: 'debug', service2Url, upstreamTimeoutMs, limits: LIMITS };
}

/** Rejects with `what` if `promise` has not settled within `ms`: a bound on something that must happen. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A resolver that answers what the test says, and counts how often it is asked. */
export interface Resolver {
  readonly lookup: LookupAll;
  readonly calls: () => number;
  readonly hostnames: string[];
}

/** Looks names up with `answer(n)` for the n-th lookup (from 1): its addresses, or an error to reject with. */
export function resolver(answer: (n: number) => readonly string[] | Error): Resolver {
  const hostnames: string[] = [];
  return {
    lookup: async (hostname) => {
      hostnames.push(hostname);
      const addresses = answer(hostnames.length);
      if (addresses instanceof Error) throw addresses;
      return addresses;
    },
    calls: () => hostnames.length,
    hostnames,
  };
}

/** What getaddrinfo rejects with for a name it does not know. */
export function notFound(hostname = 'service2'): Error {
  return Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
}

/** service2's replicas behind its name as `lookup` answers, on `clock` (one that stands still unless given). */
export function replicasOf(lookup: LookupAll, clock: FakeClock = fakeClock()): Replicas {
  return new Replicas('service2', lookup, clock.now);
}

/** A client for service2 by name on `port`, its replicas as `lookup` answers, on `clock`, with a 2 s deadline. */
export function clientOf(port: number, lookup: LookupAll, clock?: FakeClock): Service2Client {
  return new Service2Client(new URL(`http://service2:${port}/`), 2_000, replicasOf(lookup, clock));
}

/** A clock that moves only when the test moves it. */
export interface FakeClock {
  readonly now: () => number;
  advance(ms: number): void;
}

export function fakeClock(): FakeClock {
  let time = 0;
  return {
    now: () => time,
    advance: (ms) => {
      time += ms;
    },
  };
}

/** How many timers keep the process alive now. */
export function runningTimers(): number {
  return process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
}

/** Reads service1's /metrics page. */
export async function metricsOf(port: number): Promise<string> {
  return (await ask({ port, path: '/metrics' })).body;
}

/** service1, listening, in front of a service2. */
export interface Service1 {
  readonly server: Server;
  readonly host: string;
  readonly port: number;
  readonly logs: CapturedLogs;
  /** Asks service1 (by default GET / over a new connection from 127.0.0.1). */
  ask(options?: Omit<Ask, 'host' | 'port'>): Promise<Answer>;
  /** The line service1 writes for the connection an answer came on, the client at `from`. */
  ownLine(answer: Answer, from?: string): string;
  stop(): Promise<void>;
}

export interface Service1Options {
  readonly upstreamTimeoutMs?: number;
  /** Where service1 listens (default 127.0.0.1). */
  readonly host?: string;
  /** service2's replicas, where the test gives them a resolver or a clock of its own. */
  readonly replicas?: Replicas;
  /** Its pool's bounds, where the test makes them small. */
  readonly pool?: PoolLimits;
  readonly logLevel?: LogLevel;
}

/**
 * service1 in front of a fake service2, for the tests of one describe block:
 * started before them, stopped after them, the fake's behaviour reset to
 * service2's own after each.
 */
export function inFrontOfFakeService2(): { readonly service2: FakeService2; readonly service1: Service1 } {
  const service2 = new FakeService2();
  let service1: Service1 | undefined;
  before(async () => {
    await service2.start();
    service1 = await startService1(service2.url);
  });
  afterEach(() => {
    service2.behaviour = likeService2;
  });
  after(async () => {
    await service1?.stop();
    await service2.stop();
  });
  return {
    service2,
    get service1(): Service1 {
      if (service1 === undefined) throw new Error('service1 starts before the first test');
      return service1;
    },
  };
}

/**
 * Builds service1 with createServer, as main does, or, with replicas or pool
 * bounds of the test's, around a client made with them; listens on a free port.
 */
export async function startService1(
  service2Url: URL,
  { upstreamTimeoutMs = 2_000, host = '127.0.0.1', replicas, pool, logLevel = 'debug' }: Service1Options = {},
): Promise<Service1> {
  const logs = captureLogs('service1', logLevel);
  const config = configFor(service2Url, upstreamTimeoutMs);
  let server: Server;
  if (replicas === undefined && pool === undefined) {
    server = createServer(config, logs.logger);
  } else {
    const client = new Service2Client(service2Url, upstreamTimeoutMs, replicas, pool);
    server = serveWith(client, config.limits, logs.logger);
    server.on('close', () => client.close());
  }
  const port = await listen(server, host);
  return {
    server,
    host,
    port,
    logs,
    ask: (options = {}) => ask({ ...options, host, port }),
    ownLine: (answer, from = '127.0.0.1') => `Hello from ${from}:${answer.clientPort} to ${host}:${port}\n`,
    stop: () => close(server),
  };
}
