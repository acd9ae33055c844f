import type { IncomingMessage, Server } from 'node:http';
import type { Config } from './config.js';
import { greetingLine } from './greeting.js';
import { jsonLogger } from './log.js';
import type { Logger } from './log.js';
import { createRoutedServer } from './router.js';
import type { Reply, Route } from './router.js';

const HEALTHY: Reply = { status: 200, body: 'ok\n' };

/** Every path service2 answers. Each answers GET and HEAD; nothing else. */
const routes: ReadonlyMap<string, Route> = new Map<string, Route>([
  ['/', { handle: greet }],
  ['/healthz', { handle: () => HEALTHY, logged: false }],
]);

/**
 * Builds service2's HTTP server, not yet listening: the caller picks the
 * address, so tests can listen on port 0 and `main` on the configured one.
 * Requests are logged to `logger`, one line each.
 */
export function createServer({ limits }: Config, logger: Logger = jsonLogger): Server {
  return createRoutedServer(routes, limits, logger);
}

function greet(req: IncomingMessage): Reply {
  const line = greetingLine(req.socket);
  if (line === undefined) throw new Error('the connection closed before its addresses were read');
  return { status: 200, body: line };
}
