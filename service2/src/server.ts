import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, OutgoingHttpHeaders, Server, ServerResponse } from 'node:http';
import type { Config } from './config.js';
import { greetingLine } from './greeting.js';
import { logError } from './log.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Every path the service answers. Each answers GET and HEAD; nothing else. */
const routes: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  ['/', greet],
  ['/healthz', (_req, res) => send(res, 200, 'ok\n')],
]);

const ALLOWED_METHODS = 'GET, HEAD';

/**
 * Builds service2's HTTP server, not yet listening: the caller picks the
 * address, so tests can listen on port 0 and `main` on the configured one.
 */
export function createServer(_config: Config): Server {
  return createHttpServer(dispatch);
}

function greet(req: IncomingMessage, res: ServerResponse): void {
  const line = greetingLine(req.socket);
  if (line === undefined) throw new Error('the connection closed before its addresses were read');
  send(res, 200, line);
}

function dispatch(req: IncomingMessage, res: ServerResponse): void {
  const handler = routes.get(pathOf(req.url));
  if (handler === undefined) {
    send(res, 404, 'not found\n');
  } else if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, 405, 'method not allowed\n', { allow: ALLOWED_METHODS });
  } else {
    try {
      handler(req, res);
    } catch (error) {
      fail(req, res, error);
    }
  }
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
function fail(req: IncomingMessage, res: ServerResponse, error: unknown): void {
  logError('handler failed', { method: req.method, path: req.url, error: String(error) });
  if (res.headersSent) res.destroy();
  else send(res, 500, 'internal server error\n');
}
