import { randomUUID } from 'node:crypto';
import type { IncomingMessage, OutgoingHttpHeaders, RequestListener, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { formatEndpoint } from './greeting.js';
import type { LogFields, Logger } from './log.js';

/** What a handler knows of its request besides the request itself. */
export interface RequestContext {
  /** The caller's `X-Request-Id` when it is sane, else a new one; echoed in the response. */
  readonly requestId: string;
  /** Fields the handler adds to the request's log line. */
  readonly log: LogFields;
}

/** Answers one request. It may throw or reject: the router answers 500 then. */
export type Handler = (req: IncomingMessage, res: ServerResponse, context: RequestContext) => void | Promise<void>;

/** One path the service answers, with GET and HEAD. */
export interface Route {
  readonly handle: Handler;
  /** False for health checks: asked every few seconds, a line each would drown the log. */
  readonly logged?: boolean;
}

const ALLOWED_METHODS = 'GET, HEAD';
const MAX_REQUEST_ID_LENGTH = 128;

/**
 * Turns a route table into a request listener that gives every request an
 * explicit status: 404 for unknown paths, 405 for other methods, 500 when a
 * handler fails. Each request gets a request id and, unless its route says
 * otherwise, one JSON log line on stdout when its response closes.
 */
export function createRouter(routes: ReadonlyMap<string, Route>, logger: Logger): RequestListener {
  return (req, res) => {
    const started = performance.now();
    const path = pathOf(req.url);
    const route = routes.get(path);
    const context: RequestContext = { requestId: requestIdOf(req), log: {} };
    res.setHeader('x-request-id', context.requestId);
    if (route?.logged !== false) {
      // Read now: once the client has gone, its socket no longer knows its address.
      const remote = formatEndpoint(req.socket.remoteAddress ?? 'unknown', req.socket.remotePort ?? 0);
      res.once('close', () => {
        logger.info('request', {
          requestId: context.requestId,
          method: req.method,
          path,
          status: res.statusCode,
          durationMs: Math.round((performance.now() - started) * 100) / 100,
          remote,
          ...context.log,
          ...(res.writableFinished ? {} : { aborted: true }),
        });
      });
    }
    if (route === undefined) send(res, 404, 'not found\n');
    else if (req.method !== 'GET' && req.method !== 'HEAD') send(res, 405, 'method not allowed\n', { allow: ALLOWED_METHODS });
    else void run(route.handle, req, res, context, logger);
  };
}

/**
 * Sends a complete plain-text response. Node leaves the body out of HEAD
 * responses by itself and keeps the headers, Content-Length included, so HEAD
 * needs no handler of its own.
 */
export function send(res: ServerResponse, status: number, body: string, headers: OutgoingHttpHeaders = {}): void {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

// The last line of defence: whatever a handler throws is logged on stderr and
// the client gets a generic 500, never the error and never a response left open.
async function run(handle: Handler, req: IncomingMessage, res: ServerResponse, context: RequestContext, logger: Logger): Promise<void> {
  try {
    await handle(req, res, context);
  } catch (error) {
    logger.error('handler failed', { requestId: context.requestId, method: req.method, path: req.url, error: String(error) });
    if (res.headersSent) res.destroy();
    else send(res, 500, 'internal server error\n');
  }
}

/** The path of a request target, without its query string. */
function pathOf(target = '/'): string {
  const query = target.indexOf('?');
  return query === -1 ? target : target.slice(0, query);
}

// A request id travels into logs and response headers, so only short ids of
// letters, digits and - _ . : are taken as they come; anything else is replaced.
function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && isSaneRequestId(given) ? given : randomUUID();
}

function isSaneRequestId(id: string): boolean {
  if (id.length === 0 || id.length > MAX_REQUEST_ID_LENGTH) return false;
  for (let i = 0; i < id.length; i += 1) {
    const c = id.charCodeAt(i);
    const alphanumeric = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
    if (!alphanumeric && c !== 45 && c !== 95 && c !== 46 && c !== 58) return false;
  }
  return true;
}
