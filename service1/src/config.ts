import { ConfigError, integer, loadServerConfig, setting } from '@two-services/service-kit';
import type { Env, ServerConfig } from '@two-services/service-kit';

/** The port service1 listens on unless `PORT` says otherwise. */
export const DEFAULT_PORT = 8001;

/** How service1 runs, read once at start from the environment. */
export interface Config extends ServerConfig {
  /** Where service2 answers (`SERVICE2_URL`, default http://service2:8002/). */
  readonly service2Url: URL;
  /** How long a call to service2 may take, connection to last byte (`UPSTREAM_TIMEOUT_MS`, default 2000). */
  readonly upstreamTimeoutMs: number;
}

/** Reads and validates the configuration; throws a ConfigError that names a bad variable. */
export function loadConfig(env: Env = process.env): Config {
  return {
    ...loadServerConfig(env, DEFAULT_PORT),
    service2Url: httpUrl(env, 'SERVICE2_URL', 'http://service2:8002/'),
    upstreamTimeoutMs: integer(env, 'UPSTREAM_TIMEOUT_MS', 2_000, 1, 60_000),
  };
}

// Credentials would be sent in the clear, and a fragment means nothing to a server.
function httpUrl(env: Env, name: string, fallback: string): URL {
  const raw = setting(env, name) ?? fallback;
  const url = URL.canParse(raw) ? new URL(raw) : undefined;
  if (url?.protocol !== 'http:' || url.username !== '' || url.password !== '' || url.hash !== '') {
    throw new ConfigError(`${name} must be an http:// URL without credentials or fragment, got ${JSON.stringify(raw)}`);
  }
  return url;
}
