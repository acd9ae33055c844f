import { Agent, request } from 'node:http';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { createConnection } from 'node:net';
import type { NetConnectOpts, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { AddressRotation, lookupAll } from './addresses.js';
import type { LookupAll } from './addresses.js';

/** What a call to service2 came to: its greeting line, or why there is none. */
export type UpstreamResult = (
  | { readonly ok: true; readonly greeting: string }
  | { readonly ok: false; readonly status: 502 | 504; readonly problem: string }
) & {
  /** The status service2 answered with, if it answered. */
  readonly upstreamStatus: number | undefined;
  /** From the call to its result, retry included. */
  readonly durationMs: number;
  /** Whether it was sent a second time, after a first try that never reached service2. */
  readonly retried: boolean;
};

/** The client service1 uses to call service2. */
export interface Upstream {
  /** Asks service2 for its greeting, passing the request id on. Always settles, within the timeout. */
  fetchGreeting(requestId: string): Promise<UpstreamResult>;
  /** Closes the pooled connections. */
  close(): void;
}

/** service2 answers one short line; anything far larger is not service2. */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * How long an idle pooled connection is kept. Shorter than service2's
 * keep-alive timeout (15 s), so that service1 closes idle connections and
 * seldom sends a request on one that service2 is closing at that moment.
 */
export const IDLE_CONNECTION_MS = 10_000;

/** At most this many connections to each service2 replica at once; further calls queue for one. */
export const MAX_CONNECTIONS = 256;

/**
 * A connection to a replica on the same network opens in well under a
 * millisecond. One that is not open after this long goes to an address that
 * is gone (a replica stopped since the last lookup), and is given up.
 */
export const CONNECT_TIMEOUT_MS = 500;

// Why a call failed, by the error code Node gives, in words for the response.
const CAUSES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'refused the connection',
  ECONNRESET: 'reset the connection',
  EPIPE: 'closed the connection',
  ENOTFOUND: 'is not known to DNS',
  EAI_AGAIN: 'could not be looked up in DNS',
  EHOSTUNREACH: 'is unreachable',
  ENETUNREACH: 'is on an unreachable network',
  ETIMEDOUT: 'did not accept the connection',
};

type Outcome =
  | { readonly ok: true; readonly greeting: string; readonly upstreamStatus: number }
  | { readonly ok: false; readonly status: 502 | 504; readonly problem: string; readonly upstreamStatus?: number };

/**
 * Creates the service2 client: calls go to each of the addresses behind the
 * URL's host name in turn, each address with its own keep-alive connection
 * pool, under a deadline of `timeoutMs` over the whole call, from connecting
 * to the last byte.
 */
export function createUpstream(url: URL, timeoutMs: number, lookupAllOf: LookupAll = lookupAll): Upstream {
  const agent = new UpstreamAgent({ keepAlive: true, scheduling: 'lifo', maxSockets: MAX_CONNECTIONS, timeout: IDLE_CONNECTION_MS });
  // URL keeps the brackets of an IPv6 literal; a socket address has none.
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const addresses = new AddressRotation(hostname, lookupAllOf);
  const port = url.port === '' ? 80 : Number(url.port);
  const path = `${url.pathname}${url.search}`;

  function fetchGreeting(requestId: string): Promise<UpstreamResult> {
    const started = performance.now();
    return new Promise((resolve) => {
      let current: ClientRequest | undefined;
      let retried = false;
      let settled = false;
      const settle = (outcome: Outcome): void => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        const durationMs = performance.now() - started;
        const { upstreamStatus } = outcome;
        // Two literal shapes rather than a spread: this runs once per request.
        resolve(outcome.ok
          ? { ok: true, greeting: outcome.greeting, upstreamStatus, durationMs, retried }
          : { ok: false, status: outcome.status, problem: outcome.problem, upstreamStatus, durationMs, retried });
      };
      const deadline = setTimeout(() => {
        settle({ ok: false, status: 504, problem: `service2 did not answer within ${timeoutMs} ms` });
        // Destroyed, not left to finish: a frozen service2 must not pile up sockets.
        current?.destroy();
      }, timeoutMs);

      const attempt = (address: string): void => {
        if (settled) return;
        // Headers as a flat list go straight into the request head, without a
        // setHeader() per name: this runs once per request.
        const req = request({ agent, host: address, port, path, headers: ['host', url.host, 'x-request-id', requestId] }, (res) => {
          readGreeting(res, () => req.destroy(), settle);
        });
        req.on('error', (error: NodeJS.ErrnoException) => {
          // The deadline destroys the request, which fails it: nothing left to do.
          if (settled) return;
          if (!retried && neverReachedService2(req, error)) {
            retried = true;
            // The replica may be gone: look the name up again before retrying.
            addresses.forget();
            start(addresses.next());
          } else {
            settle(failure(error));
          }
        });
        req.end();
        current = req;
      };
      const start = (address: string | Promise<string>): void => {
        if (typeof address === 'string') attempt(address);
        else address.then(attempt, (error: NodeJS.ErrnoException) => settle(failure(error)));
      };
      start(addresses.next());
    });
  }

  return { fetchGreeting, close: () => agent.destroy() };
}

/**
 * Whether a call failed before service2 could have seen it, so that sending it
 * again cannot make service2 answer twice. Only these are retried, once:
 * - a pooled connection that service2 closed just as the request went out on
 *   it (the race Node's documentation describes for `req.reusedSocket`);
 * - a connection that never opened: refused (a replica stopping), unreachable
 *   or not accepted in time (a replica gone since the last lookup).
 */
function neverReachedService2(req: ClientRequest, error: NodeJS.ErrnoException): boolean {
  switch (error.code) {
    case 'ECONNRESET':
      return req.reusedSocket;
    case 'ECONNREFUSED':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ETIMEDOUT':
      return true;
    default:
      return false;
  }
}

/** A keep-alive agent whose new connections must open within CONNECT_TIMEOUT_MS. */
class UpstreamAgent extends Agent {
  // Only new connections pass through here, so pooled calls pay nothing for
  // it. The socket is returned, so Node itself takes it from here.
  override createConnection(options: NetConnectOpts): Socket {
    const socket = createConnection(options);
    const timer = setTimeout(() => {
      socket.destroy(Object.assign(new Error(`connection not accepted within ${CONNECT_TIMEOUT_MS} ms`), { code: 'ETIMEDOUT' }));
    }, CONNECT_TIMEOUT_MS);
    const stop = (): void => clearTimeout(timer);
    socket.once('connect', stop);
    socket.once('close', stop);
    return socket;
  }
}

function readGreeting(res: IncomingMessage, abort: () => void, settle: (outcome: Outcome) => void): void {
  const upstreamStatus = res.statusCode ?? 0;
  if (upstreamStatus !== 200) {
    // Drain the body so the connection can go back to the pool.
    res.resume();
    settle({ ok: false, status: 502, problem: `service2 answered ${upstreamStatus}`, upstreamStatus });
    return;
  }
  const tooLarge: Outcome = { ok: false, status: 502, problem: `service2 sent more than ${MAX_BODY_BYTES} bytes`, upstreamStatus };
  if (Number(res.headers['content-length'] ?? 0) > MAX_BODY_BYTES) {
    abort();
    settle(tooLarge);
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  res.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) {
      chunks.push(chunk);
      return;
    }
    abort();
    settle(tooLarge);
  });
  res.on('end', () => {
    const body = Buffer.concat(chunks, size).toString('utf8');
    // The response promises two lines, so service2's part must be exactly one.
    settle(body.endsWith('\n') && body.indexOf('\n') === body.length - 1
      ? { ok: true, greeting: body, upstreamStatus }
      : { ok: false, status: 502, problem: 'service2 did not answer with one line', upstreamStatus });
  });
  res.on('error', (error) => settle({ ...failure(error), upstreamStatus }));
  // A connection that ends before the body did leaves the call unanswered.
  res.on('close', () => settle({ ok: false, status: 502, problem: 'service2 closed the connection mid-answer', upstreamStatus }));
}

function failure(error: NodeJS.ErrnoException): Outcome & { readonly ok: false } {
  const cause = error.code === undefined ? undefined : CAUSES[error.code];
  const problem = cause === undefined ? `service2 failed: ${error.code ?? error.message}` : `service2 ${cause} (${error.code})`;
  return { ok: false, status: 502, problem };
}
