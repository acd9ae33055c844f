import type { AddressInfo } from 'node:net';
import { ConfigError, loadConfig, SERVICE_NAME } from './config.js';
import type { Config } from './config.js';
import { formatEndpoint } from './greeting.js';
import { jsonLogger as log } from './log.js';
import { createServer } from './server.js';

// Past this, connections still open at shutdown are cut so that the process
// exits well inside Docker's 10 s grace period.
const SHUTDOWN_GRACE_MS = 5_000;
const IDLE_SWEEP_MS = 50;

function readConfig(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${SERVICE_NAME}: ${error.message}\n`);
    process.exit(1);
  }
}

const config = readConfig();
const server = createServer(config);

server.on('error', (error) => {
  log.error('server failed', { error: error.message });
  process.exit(1);
});

server.listen({ port: config.port, host: config.host }, () => {
  const { address, port } = server.address() as AddressInfo;
  log.info('listening', { address: formatEndpoint(address, port), service2: config.service2Url.href });
});

function shutdown(signal: NodeJS.Signals): void {
  log.info('stopping', { signal });
  // close() stops accepting and waits for requests in flight. A keep-alive
  // connection would hold it open until its idle timeout, so idle ones are
  // closed now and each busy one as soon as its response has gone out.
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS).unref();
  setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS).unref();
}

process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
