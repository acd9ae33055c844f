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
}

/** Where log lines go: debug and info to `out`, warn and error to `err`. */
export interface LogStreams {
  readonly out: NodeJS.WritableStream;
  readonly err: NodeJS.WritableStream;
}

/**
 * A logger that writes one JSON object per line:
 * `{"time":…,"level":…,"service":…,"event":…,…fields}`.
 * Lines below `least` are dropped.
 */
export function createLogger(service: string, least: LogLevel, streams: LogStreams): Logger {
  const threshold = LOG_LEVELS.indexOf(least);
  const out = batched(streams.out);
  return {
    log(level, event, fields) {
      if (LOG_LEVELS.indexOf(level) < threshold) return;
      const line = `${JSON.stringify({ time: new Date().toISOString(), level, service, event, ...fields })}\n`;
      // Failures are written at once: they must not wait on a turn that may never come.
      if (level === 'debug' || level === 'info') out(line);
      else streams.err.write(line);
    },
  };
}

/**
 * Gathers the lines of one turn of the event loop and writes them in one
 * write() at its end: one system call, and one read by Docker, for many lines
 * (what that buys: docs/performance.md).
 */
function batched(stream: NodeJS.WritableStream): (line: string) => void {
  let pending = '';
  const flush = (): void => {
    stream.write(pending);
    pending = '';
  };
  return (line) => {
    if (pending === '') setImmediate(flush);
    pending += line;
  };
}
