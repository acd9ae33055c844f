import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, OutgoingHttpHeaders, Server, ServerResponse } from 'node:http';
import type { Config } from './config.js';
import { greetingLine } from './greeting.js';
import { logError } from './log.js';
import { createUpstream } from './upstream.js';
import type { Upstream } from './upstream.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

const ALLOWED_METHODS = 'GET, HEAD';

/**
 * Builds service1's HTTP server, not yet listening: the caller picks the
 * address, so tests can listen on port 0 and `main` on the configured one.
 * Closing the server closes its connections to service2 too.
 */
export function createServer(config: Config): Server {
  const upstream = createUpstream(config.service2Url, config.upstreamTimeoutMs);

  /** Every path the service answers. Each answers GET and HEAD; nothing else. */
  const routes: ReadonlyMap<string, Handler> = new Map<string, Handler>([
    ['/', (req, res) => relay(upstream, req, res)],
    ['/healthz', (_req, res) => send(res, 200, 'ok\n')],
  ]);

  const server = createHttpServer((req, res) => {
    const handler = routes.get(pathOf(req.url));
    if (handler === undefined) send(res, 404, 'not found\n');
    else if (req.method !== 'GET' && req.method !== 'HEAD') send(res, 405, 'method not allowed\n', { allow: ALLOWED_METHODS });
    else void run(handler, req, res);
  });
  server.on('close', () => upstream.close());
  return server;
}

// service1's own line is read before the call: by the time service2 answers,
// the client may have gone and its socket forgotten its ends.
async function relay(upstream: Upstream, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const own = greetingLine(req.socket);
  if (own === undefined) throw new Error('the connection closed before its addresses were read');
  const result = await upstream.fetchGreeting();
  if (result.ok) send(res, 200, own + result.greeting);
  else send(res, result.status, `${own}${result.problem}\n`);
}

/** The path of a request target, without its query string. */
function pathOf(target = '/'): string {
  const query = target.indexOf('?');
  return query === -1 ? target : target.slice(0, query);
}

// Node leaves the body out of HEAD responses by itself and keeps the headers,
// Content-Length included, so HEAD needs no handler of its own.
function send(res: ServerResponse, status: number, body: string, headers: OutgoingHttpHeaders = {}): void {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

// The last line of defence: whatever a handler throws is logged and the client
// gets a generic 500, never the error itself and never a response left open.
async function run(handler: Handler, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    await handler(req, res);
  } catch (error) {
    logError('handler failed', { method: req.method, path: req.url, error: String(error) });
    if (res.headersSent) res.destroy();
    else send(res, 500, 'internal server error\n');
  }
}
