import { Agent, request } from 'node:http';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';

/** What a call to service2 came to: its greeting line, or why there is none. */
export type UpstreamResult = (
  | { readonly ok: true; readonly greeting: string }
  | { readonly ok: false; readonly status: 502 | 504; readonly problem: string }
) & {
  /** The status service2 answered with, if it answered. */
  readonly upstreamStatus: number | undefined;
  /** From the call to its result, retry included. */
  readonly durationMs: number;
  /** Whether a stale pooled connection made it try a second time. */
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

/** At most this many connections to service2 at once; further calls queue for one. */
export const MAX_CONNECTIONS = 256;

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
 * Creates the service2 client: one keep-alive connection pool, and a deadline
 * of `timeoutMs` over each whole call, from connecting to the last byte.
 */
export function createUpstream(url: URL, timeoutMs: number): Upstream {
  const agent = new Agent({ keepAlive: true, scheduling: 'lifo', maxSockets: MAX_CONNECTIONS, timeout: IDLE_CONNECTION_MS });
  // URL keeps the brackets of an IPv6 literal; a socket address has none.
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
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

      const attempt = (): void => {
        // Headers as a flat list go straight into the request head, without a
        // setHeader() per name: this runs once per request.
        const req = request({ agent, host, port, path, headers: ['host', url.host, 'x-request-id', requestId] }, (res) => {
          readGreeting(res, () => req.destroy(), settle);
        });
        req.on('error', (error: NodeJS.ErrnoException) => {
          // The deadline destroys the request, which fails it: nothing left to do.
          if (settled) return;
          // A pooled connection can be closed by service2 just as a request goes
          // out on it. Node's documented remedy: try once more. Nothing else is
          // retried.
          if (!retried && req.reusedSocket && error.code === 'ECONNRESET') {
            retried = true;
            attempt();
          } else {
            settle(failure(error));
          }
        });
        req.end();
        current = req;
      };
      attempt();
    });
  }

  return { fetchGreeting, close: () => agent.destroy() };
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
