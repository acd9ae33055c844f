import type { LineSink } from './output.ts';

/** Log levels, least severe first. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** How much a log line matters. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * What a log line carries besides its time, level, service and event, which
 * no field may replace.
 */
export type LogFields = Readonly<Record<string, string | number | boolean | undefined>> & {
  readonly time?: never;
  readonly level?: never;
  readonly service?: never;
  readonly event?: never;
};

/** Where a service says what happens. */
export interface Logger {
  /** Writes one line, if `level` is at least the logger's level. */
  log(level: LogLevel, event: string, fields?: LogFields): void;
  /** Whether a line at `level` would be written: a caller can skip building one that would not. */
  enabled(level: LogLevel): boolean;
  /** Lines it could not write so far: dropped while their reader lagged, or lost with it. */
  dropped(): number;
}

/** Where log lines go: debug and info to `out`, warn and error to `err`. */
export interface LogSinks {
  readonly out: LineSink;
  readonly err: LineSink;
}

/**
 * A logger that writes one JSON object per line:
 * `{"time":…,"level":…,"service":…,"event":…,…fields}`, fields whose value
 * is undefined left out. Lines below `least` are dropped.
 */
export function createLogger(service: string, least: LogLevel, sinks: LogSinks): Logger {
  const threshold = LOG_LEVELS.indexOf(least);
  let told = false;
  const logger: Logger = {
    log(level, event, fields) {
      if (!logger.enabled(level)) return;
      // JSON.stringify of a fresh object: as fast as a template here, and escapes for us (docs/performance.md).
      const line = `${JSON.stringify({ time: new Date().toISOString(), level, service, event, ...fields })}\n`;
      if (level === 'warn' || level === 'error') {
        sinks.err.write(line);
        return;
      }
      sinks.out.write(line);
      // Once, on the other stream: stdout's reader lags, and an operator should know why lines are missing.
      if (!told && sinks.out.dropped > 0) {
        told = true;
        logger.log('error', 'log lines dropped', { stream: 'stdout', reason: DROPPED_REASON });
      }
    },
    enabled: (level) => LOG_LEVELS.indexOf(level) >= threshold,
    dropped: () => sinks.out.dropped + sinks.err.dropped,
  };
  return logger;
}

const DROPPED_REASON = 'its reader fell behind, or went away; log_lines_dropped_total in /metrics counts the lines lost';
