import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, OutgoingHttpHeaders, RequestListener, Server, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { formatEndpoint } from './greeting.js';
import type { ConnectionLimits } from './config.js';
import type { LogFields, Logger } from './log.js';

/** What a handler answers: the router sends it, so no handler can leave a response open. */
export interface Reply {
  readonly status: number;
  /** Plain text, sent as `text/plain; charset=utf-8` with its Content-Length. */
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Fields for the request's log line. */
  readonly log?: Readonly<LogFields>;
}

/**
 * Answers one request. `requestId` is the caller's `X-Request-Id` when it is
 * sane, else a new one; it goes back in the response. A handler that throws or
 * rejects gets a 500 in its place.
 */
export type Handler = (req: IncomingMessage, requestId: string) => Reply | Promise<Reply>;

/** One path the service answers, with GET and HEAD. */
export interface Route {
  readonly handle: Handler;
  /** False for health checks: asked every few seconds, a line each would drown the log. */
  readonly logged?: boolean;
}

const NOT_FOUND: Reply = { status: 404, body: 'not found\n' };
const METHOD_NOT_ALLOWED: Reply = { status: 405, body: 'method not allowed\n', headers: { allow: 'GET, HEAD' } };
const INTERNAL_ERROR: Reply = { status: 500, body: 'internal server error\n' };
const MAX_REQUEST_ID_LENGTH = 128;

/**
 * An HTTP server, not yet listening, that answers with `routes` and holds
 * clients to `limits`: slow or idle ones are answered 408 or closed.
 */
export function createRoutedServer(routes: ReadonlyMap<string, Route>, limits: ConnectionLimits, logger: Logger): Server {
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      // How often Node looks for connections past those timeouts (30 s by default).
      connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs / 4),
    },
    createRouter(routes, logger),
  );
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  return server;
}

/**
 * Turns a route table into a request listener that gives every request exactly
 * one response with an explicit status: the handler's reply, 404 for unknown
 * paths, 405 for other methods, 500 when a handler fails. Each response carries
 * the request id, and each request, unless its route says otherwise, gets one
 * JSON log line.
 */
export function createRouter(routes: ReadonlyMap<string, Route>, logger: Logger): RequestListener {
  return (req, res) => {
    const started = performance.now();
    const requestId = requestIdOf(req);
    const path = pathOf(req.url);
    const route = routes.get(path);
    // Read now: once the client has gone, its socket no longer knows its address.
    const remote = formatEndpoint(req.socket.remoteAddress ?? 'unknown', req.socket.remotePort ?? 0);

    const respond = (reply: Reply): void => {
      let sent = reply;
      try {
        send(res, reply, requestId);
      } catch (error) {
        // A reply Node refuses to write (a status out of range, a header with
        // a line break) is the handler's failure, not a reason to crash.
        logger.error('reply refused', { requestId, method: req.method, path, error: String(error) });
        sent = INTERNAL_ERROR;
        send(res, INTERNAL_ERROR, requestId);
      }
      if (route?.logged === false) return;
      const durationMs = Math.round((performance.now() - started) * 100) / 100;
      const fields: LogFields = { requestId, method: req.method, path, status: sent.status, durationMs, remote };
      if (sent.log !== undefined) Object.assign(fields, sent.log);
      if (req.socket.destroyed) fields['aborted'] = true;
      logger.info('request', fields);
    };
    // The last line of defence: a failure is logged on stderr and the client
    // gets a generic 500, never the error itself.
    const fail = (error: unknown): void => {
      logger.error('handler failed', { requestId, method: req.method, path, error: String(error) });
      respond(INTERNAL_ERROR);
    };

    if (route === undefined) return respond(NOT_FOUND);
    if (req.method !== 'GET' && req.method !== 'HEAD') return respond(METHOD_NOT_ALLOWED);
    let reply: Reply | Promise<Reply>;
    try {
      reply = route.handle(req, requestId);
    } catch (error) {
      return fail(error);
    }
    if (reply instanceof Promise) reply.then(respond, fail);
    else respond(reply);
  };
}

// Node leaves the body out of a HEAD response and keeps its headers.
function send(res: ServerResponse, reply: Reply, requestId: string): void {
  const headers: OutgoingHttpHeaders = {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(reply.body),
    'x-request-id': requestId,
  };
  if (reply.headers !== undefined) Object.assign(headers, reply.headers);
  res.writeHead(reply.status, headers);
  res.end(reply.body);
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
