// service1, as the exercise asks for it: GET / answers with the two ends of
// the connection it was asked on, then the line service2 answers for the call
// service1 makes to it. How that call holds up when service2 does not:
// service2-client.ts, and below it attempt.ts, pool.ts and replicas.ts.
import type { IncomingMessage, Server } from 'node:http';
import { createHttpServer, DURATION_BUCKETS, greetingLine, HEALTH_ROUTE, metricsRoute, Registry } from '@two-services/service-kit';
import type { ConnectionLimits, Logger, Reply } from '@two-services/service-kit';
import type { Config } from './config.ts';
import { Service2Client } from './service2-client.ts';
import type { Call } from './service2-client.ts';

/** A client told 503 is asked to wait this long before it asks again. */
const RETRY_LATER = { 'retry-after': '1' };

/**
 * Builds service1's HTTP server, not yet listening: the caller picks the
 * address (tests listen on port 0, `main` on the configured one). Closing the
 * server closes its connections to service2 too.
 */
export function createServer(config: Config, logger: Logger): Server {
  const service2 = new Service2Client(config.service2Url, config.upstreamTimeoutMs);
  const server = serveWith(service2, config.limits, logger);
  server.on('close', () => service2.close());
  return server;
}

/** service1's server, calling service2 through `service2`. */
export function serveWith(service2: Service2Client, limits: ConnectionLimits, logger: Logger): Server {
  const metrics = new Registry();
  const count = countCalls(metrics);

  async function relay(req: IncomingMessage, requestId: string): Promise<Reply> {
    // Read before the call: by the time service2 answers, the client may have
    // gone, and its socket forgotten its ends.
    const own = greetingLine(req.socket);
    if (own === undefined) throw new Error('the connection closed before its addresses were read');
    const call = await service2.call(requestId);
    count(call);
    const log = {
      upstreamStatus: call.upstreamStatus,
      upstreamMs: Math.round(call.durationMs * 100) / 100,
      upstreamRetried: call.retried || undefined,
    };
    if (call.ok) return { status: 200, body: own + call.greeting, log };
    return {
      status: call.status,
      body: `${own}${call.reason}\n`,
      ...(call.status === 503 ? { headers: RETRY_LATER } : {}),
      log: { ...log, upstreamError: call.reason },
    };
  }

  const routes = {
    '/': { handle: relay },
    '/healthz': HEALTH_ROUTE,
    '/metrics': metricsRoute(metrics),
  };
  return createHttpServer(routes, limits, { logger, metrics });
}

/** service1's own metrics: each call to service2 by outcome, its duration, and those sent more than once. */
function countCalls(metrics: Registry): (call: Call) => void {
  const calls = metrics.counter('service2_calls_total', 'Calls to service2, by outcome: ok, or why not.');
  const durations = metrics.histogram(
    'service2_call_duration_seconds',
    'Time from the call to its result, retries included.',
    DURATION_BUCKETS,
  );
  const retried = metrics.counter('service2_retries_total', 'Calls to service2 sent more than once.');
  return (call) => {
    calls.inc({ outcome: call.outcome });
    durations.observe({}, call.durationMs / 1000);
    if (call.retried) retried.inc();
  };
}
