import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { ConnectionLimits } from './config.ts';
import { capConnections } from './connections.ts';
import { formatEndpoint } from './greeting.ts';
import type { LogFields, Logger, LogLevel } from './log.ts';
import { METRICS_CONTENT_TYPE } from './metrics.ts';
import type { Registry } from './metrics.ts';

/** What a handler answers. The router sends it, so no handler can leave a response open. */
export interface Reply {
  readonly status: number;
  /** Sent with its Content-Length, as `text/plain; charset=utf-8` unless `headers` say otherwise. */
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Fields for the request's log line. */
  readonly log?: LogFields;
}

/**
 * Answers one request. `requestId` is the caller's `X-Request-Id` when it is
 * sane, else a new one; it goes back in the response. A handler that throws
 * or rejects is answered 500 in its place.
 */
export type Handler = (req: IncomingMessage, requestId: string) => Promise<Reply>;

/** One path a service answers, with GET and HEAD. */
export interface Route {
  readonly handle: Handler;
  /** Asked every few seconds by machines (health checks, scrapes): logged at `debug` only. */
  readonly logAtDebug?: boolean;
}

/** A service's paths and what answers each. */
export type Routes = Readonly<Record<string, Route>>;

/** What the server reports to. */
export interface Observers {
  readonly logger: Logger;
  /** Gets the request counts and durations. */
  readonly metrics: Registry;
}

/** `GET /healthz`: 200 while the process serves at all. */
export const HEALTH_ROUTE: Route = { handle: async () => ({ status: 200, body: 'ok\n' }), logAtDebug: true };

/** `GET /metrics`: the registry in the Prometheus text format. */
export function metricsRoute(metrics: Registry): Route {
  return {
    handle: async () => ({ status: 200, body: metrics.render(), headers: { 'content-type': METRICS_CONTENT_TYPE } }),
    logAtDebug: true,
  };
}

/**
 * The label value that stands for every path no route has, so that a scanner
 * asking for a million paths makes one series, not a million.
 */
export const UNKNOWN_ROUTE = 'unknown';

/** Upper bounds of the request duration buckets, in seconds: from 0.5 ms to 10 s. */
export const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const NOT_FOUND: Reply = { status: 404, body: 'not found\n' };
const METHOD_NOT_ALLOWED: Reply = { status: 405, body: 'method not allowed\n', headers: { allow: 'GET, HEAD' } };
const INTERNAL_ERROR: Reply = { status: 500, body: 'internal server error\n' };
// Request ids travel into logs and headers: only short ones of safe characters are taken.
const SANE_REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * An HTTP server, not yet listening, that answers with `routes` and holds
 * clients to `limits`: slow or idle ones are answered 408 or closed, and
 * connections beyond the cap are closed.
 */
export function createHttpServer(routes: Routes, limits: ConnectionLimits, observers: Observers): Server {
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      // How often Node looks for connections past those timeouts (30 s by default).
      connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs / 4),
    },
    createRouter(routes, observers),
  );
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  capConnections(server, limits.maxConnections, limits.idleYieldMs);
  return server;
}

/**
 * Turns a route table into a request listener that gives every request exactly
 * one response with an explicit status: the handler's reply, 404 for unknown
 * paths, 405 for other methods, 500 when a handler fails. Each response
 * carries the request id; each request is counted, timed and logged in one
 * JSON line.
 */
export function createRouter(routes: Routes, { logger, metrics }: Observers): RequestListener {
  const table = new Map(Object.entries(routes));
  const requests = metrics.counter('http_requests_total', 'Requests answered, by route and status code.');
  const durations = metrics.histogram('http_request_duration_seconds', 'Time from request to answer sent, by route.', DURATION_BUCKETS);
  metrics.readAtScrape('log_lines_dropped_total', 'Log lines not written: their reader fell behind, or went away.', 'counter', () =>
    logger.dropped(),
  );

  return (req, res) => {
    const started = performance.now();
    const requestId = requestIdOf(req);
    // Always there on a request a server received (only a client's response has none).
    const path = pathOf(req.url as string);
    const route = table.get(path);
    // Read now: once the client has gone, its socket no longer knows its address.
    const { remoteAddress = 'unknown', remotePort = 0 } = req.socket;

    const respond = (reply: Reply): void => {
      const aborted = req.socket.destroyed;
      const sent = send(res, reply, requestId, (error) => {
        // A reply Node refuses to write (a bad status or header) is the handler's failure.
        logger.log('error', 'reply refused', { requestId, method: req.method, path, error: String(error) });
      });
      const retryAfter = sent.headers?.['retry-after'];
      if (retryAfter !== undefined) holdConnection(req.socket, Number(retryAfter) * 1000);
      const seconds = (performance.now() - started) / 1000;
      const routeLabel = route === undefined ? UNKNOWN_ROUTE : path;
      requests.inc({ route: routeLabel, status: String(sent.status) });
      durations.observe({ route: routeLabel }, seconds);
      const level: LogLevel = sent.status >= 500 ? 'error' : route?.logAtDebug === true ? 'debug' : 'info';
      // Made only when it is written: at LOG_LEVEL=warn a request that went well costs no line at all.
      if (!logger.enabled(level)) return;
      logger.log(level, 'request', {
        requestId,
        method: req.method,
        path,
        status: sent.status,
        durationMs: Math.round(seconds * 100_000) / 100,
        remote: formatEndpoint(remoteAddress, remotePort),
        ...sent.log,
        aborted: aborted || undefined,
      });
    };

    let answer: Promise<Reply>;
    if (route === undefined) answer = Promise.resolve(NOT_FOUND);
    else if (req.method !== 'GET' && req.method !== 'HEAD') answer = Promise.resolve(METHOD_NOT_ALLOWED);
    // One promise chain is the 500 boundary: it catches a throw as well as a rejection.
    else answer = new Promise<Reply>((resolve) => resolve(route.handle(req, requestId)));
    void answer
      .catch((error: unknown) => {
        logger.log('error', 'handler failed', { requestId, method: req.method, path, error: String(error) });
        return INTERNAL_ERROR;
      })
      .then(respond);
  };
}

// Node leaves the body out of a HEAD response and keeps its headers.
function send(res: ServerResponse, reply: Reply, requestId: string, refused: (error: unknown) => void): Reply {
  let sent = reply;
  try {
    writeHead(res, reply, requestId);
  } catch (error) {
    refused(error);
    sent = INTERNAL_ERROR;
    writeHead(res, sent, requestId);
  }
  res.end(sent.body);
  return sent;
}

function writeHead(res: ServerResponse, reply: Reply, requestId: string): void {
  res.writeHead(reply.status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(reply.body),
    'x-request-id': requestId,
    ...reply.headers,
  });
}

// A client told to retry later gets no further request read on that
// connection until then: one that asks again at once costs nothing meanwhile.
function holdConnection(socket: Socket, ms: number): void {
  socket.pause();
  setTimeout(() => socket.resume(), ms).unref();
}

/** The path of a request target, without its query string. */
function pathOf(target: string): string {
  const query = target.indexOf('?');
  return query === -1 ? target : target.slice(0, query);
}

function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : randomUUID();
}
