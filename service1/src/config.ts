import { isIP } from 'node:net';

/** The name every log line carries, so that merged logs say who wrote them. */
export const SERVICE_NAME = 'service1';

/** Bounds on inbound connections, so that slow or idle clients cannot hold the server. */
export interface ConnectionLimits {
  /** A request's headers must have arrived this long after it started. */
  readonly headersTimeoutMs: number;
  /** A whole request must have arrived this long after it started. */
  readonly requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this long. */
  readonly keepAliveTimeoutMs: number;
}

/** Fixed, not configured: bounds for clients on the open network. */
export const LIMITS: ConnectionLimits = { headersTimeoutMs: 10_000, requestTimeoutMs: 15_000, keepAliveTimeoutMs: 5_000 };

/** How service1 runs, read once at start from the environment. */
export interface Config {
  /** TCP port to listen on (`PORT`, default 8001). */
  readonly port: number;
  /** Address to listen on (`HOST`); absent means every interface, IPv4 and IPv6. */
  readonly host?: string;
  /** Where service2 answers (`SERVICE2_URL`, default http://service2:8002/). */
  readonly service2Url: URL;
  /** How long a call to service2 may take, connection to last byte (`UPSTREAM_TIMEOUT_MS`, default 2000). */
  readonly upstreamTimeoutMs: number;
  readonly limits: ConnectionLimits;
}

/** A setting in the environment that the service cannot run with. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Reads and validates the configuration. An unset or empty variable takes its
 * default; an invalid one throws a ConfigError that names it and its value.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = integer(env, 'PORT', 8001, 1, 65_535);
  const service2Url = httpUrl(env, 'SERVICE2_URL', 'http://service2:8002/');
  const upstreamTimeoutMs = integer(env, 'UPSTREAM_TIMEOUT_MS', 2_000, 1, 60_000);
  const host = setting(env, 'HOST');
  if (host === undefined) return { port, service2Url, upstreamTimeoutMs, limits: LIMITS };
  if (isIP(host) === 0) throw new ConfigError(`HOST must be an IP address, got ${JSON.stringify(host)}`);
  return { port, host, service2Url, upstreamTimeoutMs, limits: LIMITS };
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

function httpUrl(env: NodeJS.ProcessEnv, name: string, fallback: string): URL {
  const raw = setting(env, name) ?? fallback;
  const url = URL.canParse(raw) ? new URL(raw) : undefined;
  if (url?.protocol !== 'http:' || url.username !== '' || url.password !== '' || url.hash !== '') {
    throw new ConfigError(`${name} must be an http:// URL without credentials or fragment, got ${JSON.stringify(raw)}`);
  }
  return url;
}
