import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServerConfig } from './config.ts';
import { ConfigError } from './env.ts';
import { formatEndpoint } from './greeting.ts';
import { createLogger } from './log.ts';
import type { LogFields, Logger } from './log.ts';
import { FdOutput } from './output.ts';

/** How long requests in flight get to finish at shutdown: well inside Docker's 10 s before it kills. */
export const SHUTDOWN_GRACE_MS = 5_000;

// While stopping, how often connections that have gone idle since are closed.
const IDLE_SWEEP_MS = 50;

/**
 * Stops accepting connections and resolves once the server has closed: each
 * open connection is closed as soon as it is idle, so requests in flight
 * finish, and whatever is still open after `graceMs` is cut.
 */
export async function shutDown(server: Server, graceMs = SHUTDOWN_GRACE_MS): Promise<void> {
  const closed = once(server, 'close');
  // close() closes the connections idle at that moment; a busy one goes idle
  // after its response, and would otherwise stay open until its keep-alive timeout.
  server.close();
  const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
  const cut = setTimeout(() => server.closeAllConnections(), graceMs);
  try {
    await closed;
  } finally {
    clearInterval(sweep);
    clearTimeout(cut);
  }
}

/** What `runService` needs to know of a service. */
export interface Service<C extends ServerConfig> {
  /** Its name, which starts every log line and error message. */
  readonly name: string;
  /** Reads its configuration from the environment; throws a ConfigError when it cannot run with it. */
  readonly loadConfig: () => C;
  /** Builds its server, not yet listening. */
  readonly createServer: (config: C, logger: Logger) => Server;
  /** Fields for the line logged once it listens. */
  readonly describe?: (config: C) => LogFields;
}

/**
 * Runs a service as its image does: reads the configuration (a bad setting
 * sets exit code 1 and writes one line that names it), listens, logs where,
 * and on SIGTERM or SIGINT stops gracefully, so that the process exits 0.
 * Log lines go to stdout and stderr in batches, off the event loop
 * (FdOutput), and what waits is written as the process exits, whatever the
 * cause. Returns the server, or undefined when the configuration was refused.
 */
export function runService<C extends ServerConfig>(service: Service<C>): Server | undefined {
  const out = new FdOutput(1);
  const err = new FdOutput(2);
  process.once('exit', () => {
    out.flushSync();
    err.flushSync();
  });
  let config: C;
  try {
    config = service.loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    err.write(`${service.name}: ${error.message}\n`);
    process.exitCode = 1;
    return undefined;
  }
  const logger = createLogger(service.name, config.logLevel, { out, err });
  const server = service.createServer(config, logger);

  server.on('error', (error) => {
    logger.log('error', 'server failed', { error: error.message });
    process.exitCode = 1;
  });
  server.listen({ port: config.port, host: config.host }, () => {
    const { address, port } = server.address() as AddressInfo;
    logger.log('info', 'listening', { address: formatEndpoint(address, port), ...service.describe?.(config) });
  });

  // Once: a second signal ends the process at once, as Node does by default.
  const stop = (signal: NodeJS.Signals): void => {
    logger.log('info', 'stopping', { signal });
    void shutDown(server);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return server;
}
