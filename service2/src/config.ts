import { isIP } from 'node:net';

/** The name every log line carries, so that merged logs say who wrote them. */
export const SERVICE_NAME = 'service2';

/** Bounds on inbound connections, so that slow or idle clients cannot hold the server. */
export interface ConnectionLimits {
  /** A request's headers must have arrived this long after it started. */
  readonly headersTimeoutMs: number;
  /** A whole request must have arrived this long after it started. */
  readonly requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this long. */
  readonly keepAliveTimeoutMs: number;
}

/** How service2 runs, read once at start from the environment. */
export interface Config {
  /** TCP port to listen on (`PORT`, default 8002). */
  readonly port: number;
  /** Address to listen on (`HOST`); absent means every interface, IPv4 and IPv6. */
  readonly host?: string;
  readonly limits: ConnectionLimits;
}

/**
 * Fixed, not configured. The keep-alive timeout is longer than the time
 * service1 keeps an idle connection to service2 (10 s), so that service1,
 * not service2, closes idle connections, and a request rarely races a close.
 */
export const LIMITS: ConnectionLimits = { headersTimeoutMs: 10_000, requestTimeoutMs: 15_000, keepAliveTimeoutMs: 15_000 };

/** A setting in the environment that the service cannot run with. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Reads and validates the configuration. An unset or empty variable takes its
 * default; an invalid one throws a ConfigError that names it and its value.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = integer(env, 'PORT', 8002, 1, 65_535);
  const host = setting(env, 'HOST');
  if (host === undefined) return { port, limits: LIMITS };
  if (isIP(host) === 0) throw new ConfigError(`HOST must be an IP address, got ${JSON.stringify(host)}`);
  return { port, host, limits: LIMITS };
}

function setting(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  return value === '' ? undefined : value;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = setting(env, name);
  if (raw === undefined) return fallback;
  const value = /^[0-9]+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(value >= min && value <= max)) {
    throw new ConfigError(`${name} must be an integer ${min}-${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}
