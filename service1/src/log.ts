import { SERVICE_NAME } from './config.js';

/** Values a log line can carry. */
export type LogFields = Record<string, string | number | boolean | undefined>;

/** Where the service reports what happens: `info` for events, `error` for failures. */
export interface Logger {
  info(event: string, fields?: Readonly<LogFields>): void;
  error(event: string, fields?: Readonly<LogFields>): void;
}

/** One JSON line per event: events on stdout, failures on stderr. */
export const jsonLogger: Logger = {
  info: (event, fields = {}) => process.stdout.write(line(event, fields)),
  error: (event, fields = {}) => process.stderr.write(line(event, fields)),
};

function line(event: string, fields: Readonly<LogFields>): string {
  return `${JSON.stringify({ time: new Date().toISOString(), service: SERVICE_NAME, event, ...fields })}\n`;
}
