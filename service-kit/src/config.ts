import { integer, ipAddress, oneOf } from './env.ts';
import type { Env } from './env.ts';
import { LOG_LEVELS } from './log.ts';
import type { LogLevel } from './log.ts';

/** Bounds on inbound connections, so that slow or idle clients cannot hold a server. */
export interface ConnectionLimits {
  /** A request's headers must have arrived this long after it started. */
  readonly headersTimeoutMs: number;
  /** A whole request must have arrived this long after it started. */
  readonly requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this long. */
  readonly keepAliveTimeoutMs: number;
  /** At most this many connections are open at once; more are closed at once. */
  readonly maxConnections: number;
  /** At the cap, a connection with no request in flight for this long gives way to a new one. */
  readonly idleYieldMs: number;
}

/**
 * Fixed, not configured. A client that pools connections to one of these
 * servers (service1 to service2) must drop idle ones sooner than
 * `keepAliveTimeoutMs`, so that it, not the server, closes them, and a request
 * seldom goes out on a connection the server is closing. The cap on
 * connections and the images' heap limits are chosen together, so that a
 * flood cannot outgrow the heap (docs/performance.md); a client idle for a
 * quarter of a second is not in the middle of a request.
 */
export const LIMITS: ConnectionLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 15_000,
  keepAliveTimeoutMs: 15_000,
  maxConnections: 512,
  idleYieldMs: 250,
};

/** What every service reads: where to listen, how much to log. */
export interface ServerConfig {
  /** TCP port to listen on (`PORT`). */
  readonly port: number;
  /** Address to listen on (`HOST`); absent means every interface, IPv4 and IPv6. */
  readonly host?: string;
  /** The least level of the log lines written (`LOG_LEVEL`, default `info`). */
  readonly logLevel: LogLevel;
  readonly limits: ConnectionLimits;
}

/** Reads `PORT` (default `defaultPort`), `HOST` and `LOG_LEVEL`; throws a ConfigError naming a bad one. */
export function loadServerConfig(env: Env, defaultPort: number): ServerConfig {
  const port = integer(env, 'PORT', defaultPort, 1, 65_535);
  const host = ipAddress(env, 'HOST');
  const logLevel = oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info');
  return host === undefined ? { port, logLevel, limits: LIMITS } : { port, host, logLevel, limits: LIMITS };
}
