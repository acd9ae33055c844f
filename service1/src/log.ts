/** The name every log line carries, so merged logs say who wrote them. */
export const SERVICE_NAME = 'service1';

type Fields = Readonly<Record<string, string | number | boolean | undefined>>;

/** Writes one JSON line about something that happened to stdout. */
export function logInfo(event: string, fields: Fields = {}): void {
  process.stdout.write(line(event, fields));
}

/** Writes one JSON line about something that went wrong to stderr. */
export function logError(event: string, fields: Fields = {}): void {
  process.stderr.write(line(event, fields));
}

function line(event: string, fields: Fields): string {
  return `${JSON.stringify({ time: new Date().toISOString(), service: SERVICE_NAME, event, ...fields })}\n`;
}
