import type { IncomingMessage, Server } from 'node:http';
import { createHttpServer, greetingLine, HEALTH_ROUTE, metricsRoute, Registry } from '@two-services/service-kit';
import type { Logger, Reply, Routes } from '@two-services/service-kit';
import type { Config } from './config.ts';

/**
 * Builds service2's HTTP server, not yet listening: the caller picks the
 * address, so tests can listen on port 0 and `main` on the configured one.
 */
export function createServer(config: Config, logger: Logger): Server {
  const metrics = new Registry();
  const routes: Routes = {
    '/': { handle: greet },
    '/healthz': HEALTH_ROUTE,
    '/metrics': metricsRoute(metrics),
  };
  return createHttpServer(routes, config.limits, { logger, metrics });
}

/** The two ends of the connection the request came on. */
async function greet(req: IncomingMessage): Promise<Reply> {
  const line = greetingLine(req.socket);
  if (line === undefined) throw new Error('the connection closed before its addresses were read');
  return { status: 200, body: line };
}
