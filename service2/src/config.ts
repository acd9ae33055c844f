import { loadServerConfig } from '@two-services/service-kit';
import type { Env, ServerConfig } from '@two-services/service-kit';

/** The port service2 listens on unless `PORT` says otherwise. */
export const DEFAULT_PORT = 8002;

/** How service2 runs: `PORT` (default 8002), `HOST`, `LOG_LEVEL`, read once at start. */
export type Config = ServerConfig;

/** Reads and validates the configuration; throws a ConfigError that names a bad variable. */
export function loadConfig(env: Env = process.env): Config {
  return loadServerConfig(env, DEFAULT_PORT);
}
