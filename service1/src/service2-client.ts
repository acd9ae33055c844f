import { Agent, request } from 'node:http';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { createConnection } from 'node:net';
import type { NetConnectOpts, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { LIMITS } from '@two-services/service-kit';
import { AddressRotation } from './addresses.ts';
import type { RotationSources } from './addresses.ts';

/** How a call to service2 ended: `ok`, or why not. Bounded, so it can label a metric. */
export type Outcome =
  | 'ok'
  | 'dns'
  | 'refused'
  | 'unreachable'
  | 'connect_timeout'
  | 'unanswered'
  | 'reset'
  | 'bad_status'
  | 'too_large'
  | 'not_one_line'
  | 'failed'
  | 'timeout'
  | 'overloaded';

/** Why a call did not come to a greeting. */
type Failure = Exclude<Outcome, 'ok'>;

/** One try's result, before the call's duration and retry are known. */
type Attempt =
  | {
      readonly outcome: 'ok';
      /** service2's greeting line, with its newline. */
      readonly greeting: string;
      readonly upstreamStatus: number;
    }
  | {
      readonly outcome: Failure;
      /** What went wrong, in words. */
      readonly reason: string;
      /** The status service2 answered with, if it answered. */
      readonly upstreamStatus: number | undefined;
    };

/** What one call to service2 came to. */
export type CallResult = Attempt & {
  /** From the call to its result, retries included. */
  readonly durationMs: number;
  /** Whether it was sent again, after a try that cannot have reached service2. */
  readonly retried: boolean;
};

/** service2 answers one short line; anything far larger is not service2. */
export const MAX_BODY_BYTES = 64 * 1024;

/** An idle pooled connection is closed after this long: before service2 would close it. */
export const IDLE_CONNECTION_MS = LIMITS.keepAliveTimeoutMs - 5_000;

/**
 * At most this many connections to each service2 replica at once; further
 * calls queue for one. service2 answers in well under a millisecond, so 32
 * carry all service1 can send, in less memory than more would
 * (docs/performance.md).
 */
export const MAX_CONNECTIONS = 32;

/**
 * At most this many calls wait for a connection to one replica, once all
 * MAX_CONNECTIONS are in use; a call beyond them is not sent, and service1
 * answers 503 at once. A bound on the memory and the time a call can wait.
 */
export const MAX_WAITING = 256;

/**
 * A connection to a replica on the same network opens in well under a
 * millisecond. One that is not open after this long goes to an address that
 * is gone (a replica stopped since the last lookup), and is given up.
 */
export const CONNECT_TIMEOUT_MS = 500;

/**
 * A replica answers in well under a millisecond. One that has not begun to
 * answer a call after this long, on a connection new or kept alive, is taken
 * for gone (its node lost, its network cut) while another replica remains:
 * the call goes there instead, and this one is set aside. With no other, the
 * call waits for it to the deadline.
 */
export const TRY_TIMEOUT_MS = 500;

/**
 * At most this many tries a call, while another replica is in the turns: a
 * rolling update can leave two addresses failing at one moment (docs/swarm.md),
 * and the third try goes to one that answers. With one address, two tries.
 */
export const MAX_TRIES = 3;

// A replica that failed so is left out of the turns a while (SET_ASIDE_MS), and the call sent to another.
const GONE: ReadonlySet<Outcome> = new Set<Failure>(['refused', 'unreachable', 'connect_timeout', 'unanswered']);

// Why a connection failed, by the error code Node gives: the outcome, and words for the answer.
const FAILURES: Readonly<Record<string, readonly [Failure, string]>> = {
  ECONNREFUSED: ['refused', 'refused the connection'],
  ECONNRESET: ['reset', 'reset the connection'],
  EPIPE: ['reset', 'closed the connection'],
  ENOTFOUND: ['dns', 'is not known to DNS'],
  EAI_AGAIN: ['dns', 'could not be looked up in DNS'],
  EHOSTUNREACH: ['unreachable', 'is unreachable'],
  ENETUNREACH: ['unreachable', 'is on an unreachable network'],
  ETIMEDOUT: ['connect_timeout', 'did not accept the connection'],
  EUNANSWERED: ['unanswered', `did not answer within ${TRY_TIMEOUT_MS} ms`],
};

/** What the tests may set of a client: the address sources, and its bounds. */
export interface ClientOptions extends RotationSources {
  /** Connections to each replica at once; MAX_CONNECTIONS unless set. */
  readonly maxConnections?: number;
  /** Calls that may wait for one of them; MAX_WAITING unless set. */
  readonly maxWaiting?: number;
}

/**
 * The client service1 calls service2 with: each call goes to the next of the
 * addresses behind the URL's host name, each address with its own keep-alive
 * connection pool, under a deadline over the whole call, from the lookup to
 * the last byte.
 */
export class Service2Client {
  readonly #url: URL;
  readonly #timeoutMs: number;
  readonly #addresses: AddressRotation;
  readonly #agent: ConnectTimeoutAgent;
  readonly #maxWaiting: number;

  constructor(url: URL, timeoutMs: number, { maxConnections = MAX_CONNECTIONS, maxWaiting = MAX_WAITING, ...sources }: ClientOptions = {}) {
    this.#url = url;
    this.#timeoutMs = timeoutMs;
    // URL keeps the brackets of an IPv6 literal; a socket address has none.
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    this.#addresses = new AddressRotation(host, sources);
    this.#agent = new ConnectTimeoutAgent({ keepAlive: true, maxSockets: maxConnections, timeout: IDLE_CONNECTION_MS });
    this.#maxWaiting = maxWaiting;
  }

  /**
   * Asks service2 for its greeting, passing the request id on. Never rejects;
   * settles within the deadline. One promise per call, settled by the first
   * of its ends, not an AbortController and a race, which cost service1 CPU on
   * every call (docs/performance.md).
   */
  call(requestId: string): Promise<CallResult> {
    const started = performance.now();
    return new Promise((resolve) => {
      let current: ClientRequest | undefined;
      let tries = 0;
      let settled = false;
      // The first to call it decides: a promise keeps its first result.
      const settle = (attempt: Attempt): void => {
        settled = true;
        clearTimeout(deadline);
        resolve({ ...attempt, durationMs: performance.now() - started, retried: tries > 1 });
      };
      const deadline = setTimeout(() => {
        settle({ outcome: 'timeout', reason: `service2 did not answer within ${this.#timeoutMs} ms`, upstreamStatus: undefined });
        // Destroyed, not left to finish: a frozen service2 must not pile up sockets.
        current?.destroy();
      }, this.#timeoutMs);
      const attempt = (): void => {
        this.#addresses.next().then(
          (address) => {
            if (settled) return;
            tries += 1;
            current = this.#send(address, requestId, (result, reusedSocket) => {
              // The replica may be gone: leave it out a while, and look the name up again before retrying.
              if (GONE.has(result.outcome)) this.#addresses.setAside(address);
              const again = tries === 1 || (tries < MAX_TRIES && this.#addresses.hasOther(address));
              if (!again || !isRetriable(result, reusedSocket)) return settle(result);
              this.#addresses.forget();
              attempt();
            });
          },
          (error: NodeJS.ErrnoException) => settle(failure(error)),
        );
      };
      attempt();
    });
  }

  /** Closes the pooled connections. */
  close(): void {
    this.#agent.destroy();
  }

  // One try; `done` hears how it ended, and whether it went out on a pooled connection.
  // Not sent when as many calls to that address wait already as may.
  #send(address: string, requestId: string, done: (attempt: Attempt, reusedSocket: boolean) => void): ClientRequest | undefined {
    const port = this.#url.port || '80';
    if ((this.#agent.requests[this.#agent.getName({ host: address, port })]?.length ?? 0) >= this.#maxWaiting) {
      const reason = `service1 is overloaded: ${this.#maxWaiting} calls to service2 wait already`;
      done({ outcome: 'overloaded', reason, upstreamStatus: undefined }, false);
      return undefined;
    }
    const headers = { host: this.#url.host, 'x-request-id': requestId };
    const req = request({ agent: this.#agent, host: address, port, path: this.#url.pathname + this.#url.search, headers }, (res) =>
      readGreeting(
        res,
        () => req.destroy(),
        (attempt) => done(attempt, req.reusedSocket),
      ),
    );
    req.on('error', (error: NodeJS.ErrnoException) => done(failure(error), req.reusedSocket));
    // Only where another replica could take the call: else it waits for this one to the deadline.
    if (this.#addresses.hasOther(address)) {
      req.setTimeout(TRY_TIMEOUT_MS, () =>
        req.destroy(Object.assign(new Error(`no answer within ${TRY_TIMEOUT_MS} ms`), { code: 'EUNANSWERED' })),
      );
    }
    req.end();
    return req;
  }
}

/**
 * Whether a try is worth sending again (up to MAX_TRIES), elsewhere where it can:
 * - a pooled connection that service2 closed just as the request went out on
 *   it (the race Node's documentation describes for `req.reusedSocket`);
 * - a connection that never opened: refused (a replica stopping), unreachable
 *   or not accepted in time (a replica gone since the last lookup);
 * - a replica that did not answer in time while another remains. That one
 *   may have seen the call: a GET of a greeting is safe to ask twice.
 */
function isRetriable(attempt: Attempt, reusedSocket: boolean): boolean {
  return GONE.has(attempt.outcome) || (attempt.outcome === 'reset' && reusedSocket);
}

/** A keep-alive agent whose new connections must open within CONNECT_TIMEOUT_MS. */
class ConnectTimeoutAgent extends Agent {
  // Only new connections pass through here, so pooled calls pay nothing for it.
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

// The first of these to happen decides the try; the promise ignores the rest.
function readGreeting(res: IncomingMessage, abort: () => void, resolve: (attempt: Attempt) => void): void {
  const upstreamStatus = res.statusCode;
  if (upstreamStatus !== 200) {
    // Drained, so that the connection can go back to the pool.
    res.resume();
    resolve({ outcome: 'bad_status', reason: `service2 answered ${upstreamStatus}`, upstreamStatus });
    return;
  }
  const tooLarge = (): void => {
    abort();
    resolve({ outcome: 'too_large', reason: `service2 sent more than ${MAX_BODY_BYTES} bytes`, upstreamStatus });
  };
  // Announced: refused before a byte of it is read.
  if (Number(res.headers['content-length']) > MAX_BODY_BYTES) {
    tooLarge();
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  res.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) tooLarge();
    else chunks.push(chunk);
  });
  res.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    // service1 promises two lines, so service2's part must be exactly one.
    if (/^[^\n]*\n$/.test(body)) resolve({ outcome: 'ok', greeting: body, upstreamStatus });
    else resolve({ outcome: 'not_one_line', reason: 'service2 did not answer with one line', upstreamStatus });
  });
  // Also a connection that ends before the body did: Node reports it as a reset.
  res.on('error', (error: NodeJS.ErrnoException) => resolve({ ...failure(error), upstreamStatus }));
}

function failure(error: NodeJS.ErrnoException): Attempt {
  const known = FAILURES[error.code ?? ''];
  if (known === undefined)
    return { outcome: 'failed', reason: `service2 failed: ${error.code ?? error.message}`, upstreamStatus: undefined };
  return { outcome: known[0], reason: `service2 ${known[1]} (${error.code})`, upstreamStatus: undefined };
}
