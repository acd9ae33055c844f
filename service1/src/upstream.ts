import { Agent, request } from 'node:http';
import type { IncomingMessage, RequestOptions } from 'node:http';

/** What a call to service2 came to: its greeting line, or why there is none. */
export type UpstreamResult =
  | { readonly ok: true; readonly greeting: string }
  | { readonly ok: false; readonly status: 502 | 504; readonly problem: string };

/** The client service1 uses to call service2. */
export interface Upstream {
  /** Asks service2 for its greeting. Always settles, within the timeout. */
  fetchGreeting(): Promise<UpstreamResult>;
  /** Closes the pooled connections. */
  close(): void;
}

/** service2 answers one short line; anything far larger is not service2. */
export const MAX_BODY_BYTES = 64 * 1024;

// Why a call failed, by the error code Node gives, in words for the response.
const CAUSES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'refused the connection',
  ECONNRESET: 'reset the connection',
  EPIPE: 'closed the connection',
  ENOTFOUND: 'has a name that was not found',
  EAI_AGAIN: 'has a name that could not be looked up',
  EHOSTUNREACH: 'is unreachable',
  ENETUNREACH: 'is on an unreachable network',
  ETIMEDOUT: 'did not accept the connection',
};

/**
 * Creates the service2 client: one keep-alive connection pool, and a deadline
 * of `timeoutMs` over each whole call, from connecting to the last byte.
 */
export function createUpstream(url: URL, timeoutMs: number): Upstream {
  const agent = new Agent({ keepAlive: true, scheduling: 'lifo' });
  const options: RequestOptions = {
    agent,
    // URL keeps the brackets of an IPv6 literal; a socket address has none.
    host: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
    port: url.port === '' ? 80 : Number(url.port),
    path: `${url.pathname}${url.search}`,
    headers: { host: url.host },
  };

  function fetchGreeting(): Promise<UpstreamResult> {
    return new Promise((resolve) => {
      let settled = false;
      const settle = (result: UpstreamResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        resolve(result);
      };

      const req = request(options, (res) => readGreeting(res, req.destroy.bind(req), settle));
      req.on('error', (error) => settle(failure(error)));
      const deadline = setTimeout(() => {
        settle({ ok: false, status: 504, problem: `service2 did not answer within ${timeoutMs} ms` });
        req.destroy();
      }, timeoutMs);
      req.end();
    });
  }

  return { fetchGreeting, close: () => agent.destroy() };
}

function readGreeting(res: IncomingMessage, abort: () => void, settle: (result: UpstreamResult) => void): void {
  if (res.statusCode !== 200) {
    // Drain the body so the connection can go back to the pool.
    res.resume();
    settle({ ok: false, status: 502, problem: `service2 answered ${res.statusCode}` });
    return;
  }
  const tooLarge: UpstreamResult = { ok: false, status: 502, problem: `service2 sent more than ${MAX_BODY_BYTES} bytes` };
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
      ? { ok: true, greeting: body }
      : { ok: false, status: 502, problem: 'service2 did not answer with one line' });
  });
  res.on('error', (error) => settle(failure(error)));
  // A connection that ends before the body did leaves the call unanswered.
  res.on('close', () => settle({ ok: false, status: 502, problem: 'service2 closed the connection mid-answer' }));
}

function failure(error: Error & { code?: string }): UpstreamResult {
  const cause = error.code === undefined ? undefined : CAUSES[error.code];
  const problem = cause === undefined ? `service2 failed: ${error.code ?? error.message}` : `service2 ${cause} (${error.code})`;
  return { ok: false, status: 502, problem };
}
