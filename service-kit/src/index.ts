// What both services run: configuration from the environment, JSON logs,
// metrics, the greeting line, routing, and the process's life cycle. Only
// what the services use is exported; the kit's own tests import its modules.
export { LIMITS, loadServerConfig } from './config.ts';
export type { ConnectionLimits, ServerConfig } from './config.ts';
export { ConfigError, integer, setting } from './env.ts';
export type { Env } from './env.ts';
export { greetingLine } from './greeting.ts';
export { runService } from './lifecycle.ts';
export type { Logger, LogLevel } from './log.ts';
export { Registry } from './metrics.ts';
export { createHttpServer, DURATION_BUCKETS, HEALTH_ROUTE, metricsRoute } from './router.ts';
export type { Reply, Routes } from './router.ts';
