// One try: one GET of service2's greeting, on one connection to one replica.
// It ends with the first of: the greeting (a 200 of exactly one line), an
// answer that is not one, the connection failing, or, when a time is given,
// silence that long. Nothing here decides whether to try again.
import { request } from 'node:http';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { CONNECT_TIMEOUT_MS, NotAccepted } from './pool.ts';
import type { Pool } from './pool.ts';

/** service2 answers one short line; anything far larger is not service2. */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * Why a call did not come to a greeting, a bounded set that labels a metric:
 * - `dns`: the name does not resolve;
 * - `unreachable`: the replica looks gone: it refused, was unreachable, did not
 *   accept the connection in time, or was silent while another could answer;
 * - `reset`: the connection broke;
 * - `bad_answer`: service2 answered, but not a greeting;
 * - `failed`: anything else.
 */
export type Failure = 'dns' | 'unreachable' | 'reset' | 'bad_answer' | 'failed';

/** How a try (or a lookup) failed. */
export interface Failed {
  readonly ok: false;
  readonly failure: Failure;
  /** What went wrong, in words, for the answer's second line. */
  readonly reason: string;
  /** The status service2 answered with, if it answered. */
  readonly upstreamStatus: number | undefined;
}

/** service2's greeting, as one try got it. */
export interface Greeting {
  readonly ok: true;
  /** service2's line, with its newline. */
  readonly greeting: string;
  readonly upstreamStatus: number;
}

/** How one try ended. */
export type TryResult = (Greeting | Failed) & {
  /** Whether it went out on a kept-alive connection: one service2 may have closed just then. */
  readonly reusedSocket: boolean;
};

// By the code Node gives an error: what kind of failure, and the words for it.
const BY_CODE: Readonly<Record<string, readonly [Failure, string]>> = {
  ENOTFOUND: ['dns', 'is not known to DNS'],
  EAI_AGAIN: ['dns', 'could not be looked up in DNS'],
  ECONNREFUSED: ['unreachable', 'refused the connection'],
  EHOSTUNREACH: ['unreachable', 'is unreachable'],
  ENETUNREACH: ['unreachable', 'is on an unreachable network'],
  ETIMEDOUT: ['unreachable', 'did not accept the connection'],
  ECONNRESET: ['reset', 'reset the connection'],
  EPIPE: ['reset', 'closed the connection'],
};

/** A failed lookup or connection, in the words of service1's answer. */
export function failureOf(error: NodeJS.ErrnoException): Failed {
  if (error instanceof NotAccepted) {
    return {
      ok: false,
      failure: 'unreachable',
      reason: `service2 did not accept the connection within ${CONNECT_TIMEOUT_MS} ms`,
      upstreamStatus: undefined,
    };
  }
  const known = BY_CODE[error.code ?? ''];
  if (known === undefined)
    return { ok: false, failure: 'failed', reason: `service2 failed: ${error.code ?? error.message}`, upstreamStatus: undefined };
  return { ok: false, failure: known[0], reason: `service2 ${known[1]} (${error.code})`, upstreamStatus: undefined };
}

/** Where a try goes, and what it sends. */
export interface Target {
  readonly address: string;
  readonly port: string;
  /** Path and query. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * Sends one GET to `target` through `pool`; `done` hears how it ended, once.
 * With `answerWithinMs`, a replica that has said nothing for that long is
 * given up as `unreachable` (it may have seen the request). Returns the
 * request, so that the caller can cut it short.
 */
export function attempt(pool: Pool, target: Target, answerWithinMs: number | undefined, done: (result: TryResult) => void): ClientRequest {
  let ended = false;
  const end = (result: TryResult): void => {
    if (ended) return;
    ended = true;
    done(result);
  };
  const req = request({ agent: pool, host: target.address, port: target.port, path: target.path, headers: target.headers }, (res) =>
    readGreeting(
      res,
      () => req.destroy(),
      (result) => end({ ...result, reusedSocket: req.reusedSocket }),
    ),
  );
  req.on('error', (error: NodeJS.ErrnoException) => end({ ...failureOf(error), reusedSocket: req.reusedSocket }));
  if (answerWithinMs !== undefined) {
    req.setTimeout(answerWithinMs, () => {
      const reason = `service2 did not answer within ${answerWithinMs} ms`;
      end({ ok: false, failure: 'unreachable', reason, upstreamStatus: undefined, reusedSocket: req.reusedSocket });
      req.destroy();
    });
  }
  req.end();
  return req;
}

type Read = Greeting | Failed;

// Reads the answer: a 200 of exactly one line of at most MAX_BODY_BYTES is a greeting.
function readGreeting(res: IncomingMessage, abort: () => void, resolve: (read: Read) => void): void {
  const upstreamStatus = res.statusCode ?? 0;
  const bad = (reason: string): Read => ({ ok: false, failure: 'bad_answer', reason, upstreamStatus });
  if (upstreamStatus !== 200) {
    // Drained, so that the connection can go back to the pool.
    res.resume();
    resolve(bad(`service2 answered ${upstreamStatus}`));
    return;
  }
  const tooLarge = (): void => {
    abort();
    resolve(bad(`service2 sent more than ${MAX_BODY_BYTES} bytes`));
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
    if (/^[^\n]*\n$/.test(body)) resolve({ ok: true, greeting: body, upstreamStatus });
    else resolve(bad('service2 did not answer with one line'));
  });
  // Also a connection that ends before the body did: Node reports it as a reset.
  res.on('error', (error: NodeJS.ErrnoException) => resolve({ ...failureOf(error), upstreamStatus }));
}
