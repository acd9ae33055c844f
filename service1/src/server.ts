import type { IncomingMessage, Server } from 'node:http';
import { createHttpServer, DURATION_BUCKETS, greetingLine, HEALTH_ROUTE, metricsRoute, Registry } from '@two-services/service-kit';
import type { Logger, Reply, Routes } from '@two-services/service-kit';
import type { Config } from './config.ts';
import { Service2Client } from './service2-client.ts';
import type { ClientOptions } from './service2-client.ts';

/** How long a client told 503 should wait before it asks again. */
const RETRY_AFTER_SECONDS = '1';

/**
 * Builds service1's HTTP server, not yet listening: the caller picks the
 * address, so tests can listen on port 0 and `main` on the configured one.
 * Closing the server closes its connections to service2 too. The `client`
 * options (service2's addresses, the client's bounds) are for tests.
 */
export function createServer(config: Config, logger: Logger, client: ClientOptions = {}): Server {
  const metrics = new Registry();
  const service2 = new Service2Client(config.service2Url, config.upstreamTimeoutMs, client);
  const calls = metrics.counter('service2_calls_total', 'Calls to service2, by outcome: ok, or why not.');
  const callDurations = metrics.histogram(
    'service2_call_duration_seconds',
    'Time from the call to its result, retries included.',
    DURATION_BUCKETS,
  );
  const retries = metrics.counter('service2_retries_total', 'Calls to service2 sent again, after a try that cannot have reached it.');

  // service1's own line is read before the call: by the time service2 answers,
  // the client may have gone and its socket forgotten its ends.
  async function relay(req: IncomingMessage, requestId: string): Promise<Reply> {
    const own = greetingLine(req.socket);
    if (own === undefined) throw new Error('the connection closed before its addresses were read');
    const call = await service2.call(requestId);
    calls.inc({ outcome: call.outcome });
    callDurations.observe({}, call.durationMs / 1000);
    if (call.retried) retries.inc();
    const log = {
      upstreamStatus: call.upstreamStatus,
      upstreamMs: Math.round(call.durationMs * 100) / 100,
      upstreamRetried: call.retried || undefined,
    };
    if (call.outcome === 'ok') return { status: 200, body: own + call.greeting, log };
    const failed = { body: `${own}${call.reason}\n`, log: { ...log, upstreamError: call.reason } };
    if (call.outcome === 'overloaded') return { status: 503, headers: { 'retry-after': RETRY_AFTER_SECONDS }, ...failed };
    return { status: call.outcome === 'timeout' ? 504 : 502, ...failed };
  }

  const routes: Routes = {
    '/': { handle: relay },
    '/healthz': HEALTH_ROUTE,
    '/metrics': metricsRoute(metrics),
  };
  const server = createHttpServer(routes, config.limits, { logger, metrics });
  server.on('close', () => service2.close());
  return server;
}
