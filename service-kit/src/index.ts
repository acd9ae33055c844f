// What both services run: configuration from the environment, JSON logs,
// metrics, the greeting line, routing, and the process's life cycle.
export { LIMITS, loadServerConfig } from './config.ts';
export type { ConnectionLimits, ServerConfig } from './config.ts';
export { ConfigError, integer, ipAddress, oneOf, setting } from './env.ts';
export type { Env } from './env.ts';
export { formatEndpoint, greetingLine } from './greeting.ts';
export type { SocketEnds } from './greeting.ts';
export { runService, SHUTDOWN_GRACE_MS, shutDown } from './lifecycle.ts';
export type { Service, ServiceProcess } from './lifecycle.ts';
export { createLogger, LOG_LEVELS } from './log.ts';
export type { LogFields, Logger, LogLevel, LogStreams } from './log.ts';
export { Counter, Histogram, METRICS_CONTENT_TYPE, Registry } from './metrics.ts';
export type { Labels } from './metrics.ts';
export { createHttpServer, createRouter, DURATION_BUCKETS, HEALTH_ROUTE, metricsRoute, UNKNOWN_ROUTE } from './router.ts';
export type { Handler, Observers, Reply, Route, Routes } from './router.ts';
