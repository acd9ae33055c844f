import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Agent, request } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server } from 'node:http';
import { connect, createServer as createNetServer } from 'node:net';
import type { AddressInfo, Server as NetServer } from 'node:net';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { LogFields, Logger } from '../src/log.js';

/** Starts a server on `port` of `host` (by default a free one) and returns the port. */
export async function listen(server: NetServer, host: string, port = 0): Promise<number> {
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

/** What came back for one request, and the client's own port. */
export interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly clientPort: number;
}

/** Options of one request over a new connection. */
export interface Ask {
  readonly host: string;
  readonly port: number;
  readonly path?: string;
  readonly method?: string;
  /** The address the client binds to, so the server sees a known remote end. */
  readonly from?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Keep-alive pool to reuse; by default the request opens a connection of its own. */
  readonly agent?: Agent;
}

/** Sends one request and reads the whole reply. */
export async function ask({ host, port, path = '/', method = 'GET', from, headers = {}, agent }: Ask): Promise<Reply> {
  const req = request({ host, port, path, method, headers, agent: agent ?? false, ...(from === undefined ? {} : { localAddress: from }) });
  req.end();
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  const clientPort = res.socket.localPort;
  if (clientPort === undefined) throw new Error('the client socket closed before its port was read');
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), clientPort };
}

/** A port that was free a moment ago on `host`, for a process that must be told its port. */
export async function freePort(host: string): Promise<number> {
  const probe = createNetServer();
  probe.listen(0, host);
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  probe.close();
  await once(probe, 'close');
  return port;
}

/** A service started as its image starts it: `node <main.js>`, configured by environment. */
export interface RunningService {
  readonly child: ChildProcess;
  /** The first line it wrote to stdout, parsed. */
  readonly started: Readonly<Record<string, unknown>>;
  /** Every later line it writes to stdout, parsed, as it comes. */
  readonly lines: ReadonlyArray<Readonly<Record<string, unknown>>>;
}

const MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));

/** Starts main.js and waits for its first line on stdout. */
export async function startService(env: Readonly<Record<string, string>>): Promise<RunningService> {
  const child = spawn(process.execPath, [MAIN], { env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout as Readable });
  const [first] = (await once(lines, 'line')) as [string];
  const later: Array<Record<string, unknown>> = [];
  lines.on('line', (line: string) => later.push(JSON.parse(line) as Record<string, unknown>));
  return { child, started: JSON.parse(first) as Record<string, unknown>, lines: later };
}

/** Runs main.js to its end and returns its exit code and output. */
export async function runService(env: Readonly<Record<string, string>>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [MAIN], { env: { PATH: process.env['PATH'] ?? '', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

/** Sends a signal and waits for the process to end; resolves to its exit code. */
export async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  const exited = once(child, 'exit');
  child.kill(signal);
  const [code] = (await exited) as [number | null];
  return code;
}

/** Writes raw bytes on a new connection and reads everything until the server closes it. */
export async function exchange(host: string, port: number, bytes: string | Buffer): Promise<string> {
  const socket = connect({ host, port });
  await once(socket, 'connect');
  socket.end(bytes);
  socket.setEncoding('latin1');
  let received = '';
  for await (const chunk of socket) received += chunk as string;
  return received;
}

/** Waits until `condition` holds, checking every few milliseconds; rejects after `timeoutMs`. */
export async function eventually(condition: () => boolean, timeoutMs = 2_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what} did not hold within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A logger that keeps what it is told, for tests to read. */
export class RecordingLogger implements Logger {
  readonly lines: Array<{ readonly level: 'info' | 'error'; readonly event: string; readonly fields: Readonly<LogFields> }> = [];

  info(event: string, fields: Readonly<LogFields> = {}): void {
    this.lines.push({ level: 'info', event, fields });
  }

  error(event: string, fields: Readonly<LogFields> = {}): void {
    this.lines.push({ level: 'error', event, fields });
  }
}
