// The call service1 makes to service2 for each GET /, and what it comes to.
//
// - A deadline runs over the whole call, from the lookup to the last byte: at
//   it the call ends (504) and its connection is destroyed, so that a frozen
//   service2 holds no sockets.
// - Each try goes to the next replica (replicas.ts) on a kept-alive connection
//   (pool.ts). Where another replica could take the call, one silent for
//   TRY_TIMEOUT_MS is given up; a lone one is waited for, to the deadline.
// - A failed try is sent again, up to MAX_TRIES in all, only where it can
//   fare otherwise: a replica that looks gone (refused, unreachable, not
//   accepting, silent) is set aside and the call goes to one that is not, if
//   the name, looked up again, has one; a kept-alive connection that closed
//   just as the request went out (the race Node's documentation describes for
//   `req.reusedSocket`) is replaced by a new one. A replica that answered,
//   however wrongly, has had its call: it is not asked again.
// - The client is told 200 and the greeting; 503 at once when as many calls
//   wait for a connection as may; 504 at the deadline; 502 otherwise, why in words.
import type { ClientRequest } from 'node:http';
import { performance } from 'node:perf_hooks';
import { attempt, failureOf } from './attempt.ts';
import type { Failed, Failure, Target } from './attempt.ts';
import { Pool, POOL_LIMITS } from './pool.ts';
import type { PoolLimits } from './pool.ts';
import { Replicas } from './replicas.ts';

/**
 * A replica answers at once. One that has not begun to answer after this long
 * is taken for gone (its node lost, its network cut) while another remains.
 */
export const TRY_TIMEOUT_MS = 500;

/**
 * Tries a call at most: a rolling update can leave two replicas failing at
 * one moment (docs/swarm.md), and the third try goes to one that answers.
 */
export const MAX_TRIES = 3;

/** How a call to service2 ended: `ok`, or why not. Bounded, so it can label a metric. */
export type Outcome = 'ok' | Failure | 'timeout' | 'overloaded';

/** A call answered with service2's greeting. */
interface Answered {
  readonly ok: true;
  readonly outcome: 'ok';
  readonly status: 200;
  /** service2's line, with its newline. */
  readonly greeting: string;
  readonly upstreamStatus: number;
}

/** A call that came to no greeting, and what service1 answers for it. */
interface NotAnswered {
  readonly ok: false;
  readonly outcome: Exclude<Outcome, 'ok'>;
  readonly status: 502 | 503 | 504;
  /** What went wrong, in words. */
  readonly reason: string;
  /** The status service2 answered with, if it answered. */
  readonly upstreamStatus: number | undefined;
}

/** What one call to service2 came to. */
export type Call = (Answered | NotAnswered) & {
  /** From the call to its result, every try included. */
  readonly durationMs: number;
  /** Whether it was sent more than once. */
  readonly retried: boolean;
};

function failed({ failure, reason, upstreamStatus }: Failed): NotAnswered {
  return { ok: false, outcome: failure, status: 502, reason, upstreamStatus };
}

/** The client service1 calls service2 with. */
export class Service2Client {
  readonly #url: URL;
  readonly #deadlineMs: number;
  readonly #replicas: Replicas;
  readonly #pool: Pool;

  /** Calls `url`, each call within `deadlineMs`; `replicas` are those behind the URL's host unless given. */
  constructor(url: URL, deadlineMs: number, replicas?: Replicas, limits: PoolLimits = POOL_LIMITS) {
    this.#url = url;
    this.#deadlineMs = deadlineMs;
    // URL keeps the brackets of an IPv6 literal; a socket address has none.
    this.#replicas = replicas ?? new Replicas(url.hostname.replace(/^\[(.*)\]$/, '$1'));
    this.#pool = new Pool(limits);
  }

  /**
   * Asks service2 for its greeting, passing the request id on. Never rejects;
   * settles by the deadline. One promise a call, settled by the first of its
   * ends, not an AbortController and a race, which cost CPU on every call
   * (docs/performance.md).
   */
  call(requestId: string): Promise<Call> {
    const started = performance.now();
    const port = this.#url.port || '80';
    const target = (address: string): Target => ({
      address,
      port,
      path: this.#url.pathname + this.#url.search,
      headers: { host: this.#url.host, 'x-request-id': requestId },
    });
    return new Promise((resolve) => {
      let tries = 0;
      let current: ClientRequest | undefined;
      let settled = false;
      const settle = (result: Answered | NotAnswered): void => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        resolve({ ...result, durationMs: performance.now() - started, retried: tries > 1 });
      };
      const deadline = setTimeout(() => {
        const reason = `service2 did not answer within ${this.#deadlineMs} ms`;
        settle({ ok: false, outcome: 'timeout', status: 504, reason, upstreamStatus: undefined });
        current?.destroy();
      }, this.#deadlineMs);
      const lookupFailed = (error: NodeJS.ErrnoException): void => settle(failed(failureOf(error)));

      const send = (address: string): void => {
        if (settled) return;
        tries += 1;
        if (this.#pool.isFull(address, port)) {
          const reason = `service1 is overloaded: ${this.#pool.maxWaiting} calls to service2 wait already`;
          settle({ ok: false, outcome: 'overloaded', status: 503, reason, upstreamStatus: undefined });
          return;
        }
        const answerWithinMs = this.#replicas.hasAlternativeTo(address) ? TRY_TIMEOUT_MS : undefined;
        current = attempt(this.#pool, target(address), answerWithinMs, (result) => {
          if (result.ok)
            return settle({ ok: true, outcome: 'ok', status: 200, greeting: result.greeting, upstreamStatus: result.upstreamStatus });
          if (tries >= MAX_TRIES) return settle(failed(result));
          if (result.failure === 'unreachable') {
            this.#replicas.setAside(address);
            // No replica left that is not set aside: this try's failure stands.
            this.#replicas.nextNotAside().then((next) => (next === undefined ? settle(failed(result)) : send(next)), lookupFailed);
          } else if (result.failure === 'reset' && result.reusedSocket) {
            this.#replicas.next().then(send, lookupFailed);
          } else {
            settle(failed(result));
          }
        });
      };
      this.#replicas.next().then(send, lookupFailed);
    });
  }

  /** Closes the pooled connections. */
  close(): void {
    this.#pool.destroy();
  }
}
