import { SERVICE_NAME } from './config.js';

/** Values a log line can carry. */
export type LogFields = Record<string, string | number | boolean | undefined>;

/** Where the service reports what happens: `info` for events, `error` for failures. */
export interface Logger {
  info(event: string, fields?: Readonly<LogFields>): void;
  error(event: string, fields?: Readonly<LogFields>): void;
}

// Writing to stdout is a synchronous system call when it is a file or a pipe,
// as it is under Docker. One per request would cost a fifth of the service's
// throughput, so events are gathered and written once per turn of the event
// loop; a failure is written at once.
let pending = '';

function flush(): void {
  if (pending === '') return;
  const text = pending;
  pending = '';
  process.stdout.write(text);
}

// Whatever is gathered when the process exits, even by process.exit(), is written.
process.on('exit', flush);
// With nowhere left to write (a reader that closed the pipe), logging must not
// take the service down: an 'error' event nobody listens to would.
process.stdout.on('error', () => {});
process.stderr.on('error', () => {});

/** One JSON line per event: events on stdout, failures on stderr. */
export const jsonLogger: Logger = {
  info: (event, fields = {}) => {
    if (pending === '') setImmediate(flush);
    pending += line(event, fields);
  },
  error: (event, fields = {}) => process.stderr.write(line(event, fields)),
};

// {"time":…,"service":…,"event":…, then the fields}, without copying the
// fields into a new object first: this runs once per request.
function line(event: string, fields: Readonly<LogFields>): string {
  const rest = JSON.stringify(fields);
  const head = `{"time":"${timestamp()}","service":"${SERVICE_NAME}","event":${JSON.stringify(event)}`;
  return rest === '{}' ? `${head}}\n` : `${head},${rest.slice(1)}\n`;
}

// Under load many lines share a millisecond: format its timestamp once.
let stampedAt = 0;
let stamp = '';

function timestamp(): string {
  const now = Date.now();
  if (now !== stampedAt) {
    stampedAt = now;
    stamp = new Date(now).toISOString();
  }
  return stamp;
}
