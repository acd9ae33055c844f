import type { IncomingMessage, Server } from 'node:http';
import type { Config } from './config.js';
import { greetingLine } from './greeting.js';
import { jsonLogger } from './log.js';
import type { LogFields, Logger } from './log.js';
import { createRoutedServer } from './router.js';
import type { Reply, Route } from './router.js';
import { createUpstream } from './upstream.js';
import type { Upstream } from './upstream.js';

const HEALTHY: Reply = { status: 200, body: 'ok\n' };

/**
 * Builds service1's HTTP server, not yet listening: the caller picks the
 * address, so tests can listen on port 0 and `main` on the configured one.
 * Requests are logged to `logger`, one line each. Closing the server closes
 * its connections to service2 too.
 */
export function createServer(config: Config, logger: Logger = jsonLogger): Server {
  const upstream = createUpstream(config.service2Url, config.upstreamTimeoutMs);

  /** Every path service1 answers. Each answers GET and HEAD; nothing else. */
  const routes: ReadonlyMap<string, Route> = new Map<string, Route>([
    ['/', { handle: (req, requestId) => relay(upstream, req, requestId) }],
    ['/healthz', { handle: () => HEALTHY, logged: false }],
  ]);

  const server = createRoutedServer(routes, config.limits, logger);
  server.on('close', () => upstream.close());
  return server;
}

// service1's own line is read before the call: by the time service2 answers,
// the client may have gone and its socket forgotten its ends.
async function relay(upstream: Upstream, req: IncomingMessage, requestId: string): Promise<Reply> {
  const own = greetingLine(req.socket);
  if (own === undefined) throw new Error('the connection closed before its addresses were read');
  const result = await upstream.fetchGreeting(requestId);
  const log: LogFields = { upstreamStatus: result.upstreamStatus, upstreamMs: Math.round(result.durationMs * 100) / 100 };
  if (result.retried) log['upstreamRetried'] = true;
  if (result.ok) return { status: 200, body: own + result.greeting, log };
  log['upstreamError'] = result.problem;
  return { status: result.status, body: `${own}${result.problem}\n`, log };
}
