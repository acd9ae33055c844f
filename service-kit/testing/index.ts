// Test helpers for the packages built on the kit: real servers on real
// sockets, real processes, real log lines. Not part of the images.
import { spawn } from 'node:child_process';
import type { ChildProcess, ChildProcessWithoutNullStreams } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { request } from 'node:http';
import type { Agent, IncomingHttpHeaders, IncomingMessage, Server } from 'node:http';
import { connect, createServer as createNetServer } from 'node:net';
import type { AddressInfo, Server as NetServer } from 'node:net';
import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import { createLogger } from '../src/log.ts';
import type { Logger, LogLevel } from '../src/log.ts';
import type { LineSink } from '../src/output.ts';

/** Starts a server on `port` (by default a free one) of `host` and returns the port. */
export async function listen(server: NetServer, host = '127.0.0.1', port = 0): Promise<number> {
  server.listen(port, host);
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** Stops a server and every connection it still holds. */
export async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  server.close();
  await once(server, 'close');
}

/** A port that was free a moment ago on `host`, for a process that must be told its port. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const probe = createNetServer();
  const port = await listen(probe, host);
  probe.close();
  await once(probe, 'close');
  return port;
}

/**
 * Why tests that bind every one of `addresses` cannot run on this machine, or
 * false when they can. For `skip`: a Mac has 127.0.0.1 alone on its loopback,
 * and some containers have no IPv6.
 */
export async function unavailable(...addresses: string[]): Promise<string | false> {
  for (const address of addresses) {
    const probe = createNetServer();
    try {
      await listen(probe, address);
      probe.close();
    } catch (error) {
      return `needs ${addresses.join(', ')} on this machine (${address}: ${(error as NodeJS.ErrnoException).code})`;
    }
  }
  return false;
}

/** The value of one series (name and labels, as written) in a Prometheus text page, 0 when it is not there yet. */
export function sample(page: string, series: string): number {
  const line = page.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

/** What came back for one request, and the client's own port. */
export interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly clientPort: number;
}

/** One request. */
export interface Ask {
  readonly host?: string;
  readonly port: number;
  readonly path?: string;
  readonly method?: string;
  /** The address the client binds to, so the server sees a known remote end. */
  readonly from?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Keep-alive pool to use; by default the request opens a connection of its own. */
  readonly agent?: Agent;
}

/** Sends one request and reads the whole answer. */
export async function ask({ host = '127.0.0.1', port, path = '/', method = 'GET', from, headers = {}, agent }: Ask): Promise<Answer> {
  const req = request({ host, port, path, method, headers, agent: agent ?? false, ...(from === undefined ? {} : { localAddress: from }) });
  req.end();
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  const clientPort = res.socket.localPort ?? 0;
  res.setEncoding('utf8');
  let body = '';
  for await (const chunk of res) body += chunk as string;
  return { status: res.statusCode ?? 0, headers: res.headers, body, clientPort };
}

/** Writes raw bytes on a new connection and reads everything until the server closes it. */
export async function exchange(host: string, port: number, bytes: string): Promise<string> {
  const socket = connect({ host, port });
  await once(socket, 'connect');
  socket.end(bytes);
  socket.setEncoding('latin1');
  let received = '';
  for await (const chunk of socket) received += chunk as string;
  return received;
}

/** A sink that keeps each line as it is written, in `into`. */
export function collect(into: string[]): LineSink {
  return { write: (line) => void into.push(line), dropped: 0 };
}

/** The JSON lines of what was written, parsed. */
export function parseLines(writes: readonly string[]): LogLine[] {
  return writes
    .join('')
    .split('\n')
    .filter((text) => text !== '')
    .map((text) => JSON.parse(text) as LogLine);
}

/** A parsed JSON log line. */
export type LogLine = Readonly<Record<string, unknown>>;

/** A real logger whose lines, on either stream, are kept parsed as they are written. */
export interface CapturedLogs {
  readonly logger: Logger;
  readonly lines: LogLine[];
  /** The lines of one request. */
  of(requestId: string): LogLine[];
  /** Settles with the first line, written or to come, that `matches`. */
  next(matches: (line: LogLine) => boolean): Promise<LogLine>;
}

/** A logger that keeps its lines for the test to read. */
export function captureLogs(service = 'test', least: LogLevel = 'debug'): CapturedLogs {
  const lines: LogLine[] = [];
  const written = new EventEmitter();
  const sink: LineSink = {
    write(line) {
      lines.push(JSON.parse(line) as LogLine);
      written.emit('written');
    },
    dropped: 0,
  };
  return {
    logger: createLogger(service, least, { out: sink, err: sink }),
    lines,
    of: (requestId) => lines.filter((line) => line['requestId'] === requestId),
    async next(matches) {
      for (;;) {
        const line = lines.find(matches);
        if (line !== undefined) return line;
        await once(written, 'written');
      }
    },
  };
}

/** A service started as its image starts it: `node <main>`, configured by environment. */
export interface RunningService {
  readonly child: ChildProcess;
  /** The first line it wrote to stdout, parsed. */
  readonly started: LogLine;
  /** Every later line on stdout, parsed, as it comes. */
  readonly lines: LogLine[];
  /** Emits each of those lines under the name of its event, as it comes. */
  readonly events: EventEmitter;
}

/** How long a service run to its end may take: one that refuses its configuration exits at once. */
const RUN_TO_EXIT_MS = 5_000;

// The processes a test file started, killed when it exits: a test that fails
// or times out must leave none running, nor keep the run waiting on one.
const children = new Set<ChildProcess>();
const killChildren = (): void => {
  for (const child of children) child.kill('SIGKILL');
};

/**
 * Runs a TypeScript file with this Node, its sources by the "source" export
 * condition, in an environment of PATH and `env` alone, its output on pipes;
 * it is killed if still running when this test file's process exits.
 */
export function spawnNode(
  file: string,
  env: Readonly<Record<string, string>>,
  options: { timeout?: number } = {},
): ChildProcessWithoutNullStreams {
  const child = spawn(process.execPath, ['--conditions=source', file], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    killSignal: 'SIGKILL',
    ...options,
  });
  if (children.size === 0) process.once('exit', killChildren);
  children.add(child);
  child.once('exit', () => {
    children.delete(child);
    if (children.size === 0) process.off('exit', killChildren);
  });
  return child;
}

function spawnMain(main: URL, env: Readonly<Record<string, string>>, options: { timeout?: number } = {}): ChildProcess {
  return spawnNode(main.pathname, env, options);
}

/** Starts `main` and waits for its first line on stdout. */
export async function startService(main: URL, env: Readonly<Record<string, string>>): Promise<RunningService> {
  const child = spawnMain(main, env);
  child.stderr?.resume();
  const reader = createInterface({ input: child.stdout ?? new PassThrough() });
  const first = await new Promise<string>((resolve, reject) => {
    reader.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`${main.pathname} exited with ${String(code)} before it wrote a line`)));
  });
  const lines: LogLine[] = [];
  const events = new EventEmitter();
  reader.on('line', (text: string) => {
    const line = JSON.parse(text) as LogLine;
    lines.push(line);
    events.emit(String(line['event']), line);
  });
  return { child, started: JSON.parse(first) as LogLine, lines, events };
}

/** Runs `main` to its end and returns its exit code and output; one still running after RUN_TO_EXIT_MS is killed (code null). */
export async function runToExit(
  main: URL,
  env: Readonly<Record<string, string>>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnMain(main, env, { timeout: RUN_TO_EXIT_MS });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr?.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

/** Sends a signal and waits for the process to end; resolves to its exit code (null when a signal ended it). */
export async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  const exited = once(child, 'exit');
  child.kill(signal);
  const [code] = (await exited) as [number | null];
  return code;
}
