import { spawn } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { connect, createServer as createNetServer } from 'node:net';
import type { Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { close, listen } from '@two-services/service-kit/testing';
import { MAX_BODY_BYTES } from '../src/attempt.ts';

/** How the fake answers one request. */
export type Behaviour = (req: IncomingMessage, res: ServerResponse) => void;

/** The line the fake answers with when it behaves like service2. */
export const SERVICE2_LINE = 'Hello from 10.0.0.3:40000 to 10.0.0.2:8002\n';

/** Answers like service2 would, with a fixed line. */
export const likeService2: Behaviour = (_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(SERVICE2_LINE) });
  res.end(SERVICE2_LINE);
};

/** Answers `status` with a line, as a service2 in trouble would. */
export function answers(status: number): Behaviour {
  return (_req, res) => {
    res.writeHead(status);
    res.end('no\n');
  };
}

/** Sends one byte too many, chunked, so that only the count of what arrives can tell. */
export const streamsTooMuch: Behaviour = (_req, res) => {
  res.writeHead(200, { 'transfer-encoding': 'chunked' });
  res.write('x'.repeat(MAX_BODY_BYTES));
  res.end('x\n');
};

/** Announces one byte too many, sends a few, then nothing: only the announced length can tell, before the deadline. */
export const announcesTooMuch: Behaviour = (_req, res) => {
  res.writeHead(200, { 'content-length': MAX_BODY_BYTES + 1 });
  res.write('x');
};

/** Drops the connection without a word. */
export const drops: Behaviour = (req) => req.socket.destroy();

/** Drops the connection once the headers and a few bytes have gone out. */
export const stopsMidAnswer: Behaviour = (req, res) => {
  res.writeHead(200, { 'content-length': 100 });
  res.write('Hello', () => req.socket.destroy());
};

/** A behaviour that holds the call until the test releases it, then answers like service2. */
export interface Hold {
  readonly behaviour: Behaviour;
  /** Settles once a request is held. */
  readonly held: Promise<void>;
  /** Answers every held request. */
  release(): void;
}

export function holding(): Hold {
  const held = Promise.withResolvers<void>();
  const waiting: Array<() => void> = [];
  let released = false;
  return {
    behaviour: (req, res) => {
      if (released) return likeService2(req, res);
      waiting.push(() => likeService2(req, res));
      held.resolve();
    },
    held: held.promise,
    release: () => {
      released = true;
      for (const answer of waiting.splice(0)) answer();
    },
  };
}

/** A real HTTP server standing in for service2, whose behaviour a test can change. */
export class FakeService2 {
  behaviour: Behaviour = likeService2;
  readonly requests: IncomingMessage[] = [];
  /** Every connection it has accepted, open or closed. */
  readonly connections: Socket[] = [];
  readonly server: Server;
  readonly host: string;
  port = 0;
  readonly #open = new Set<Socket>();
  readonly #changes = new EventEmitter();

  constructor(host = '127.0.0.1') {
    this.host = host;
    this.server = createServer((req, res) => {
      this.requests.push(req);
      this.behaviour(req, res);
    });
    this.server.on('connection', (socket: Socket) => {
      this.connections.push(socket);
      this.#open.add(socket);
      socket.on('close', () => {
        this.#open.delete(socket);
        this.#changes.emit('close');
      });
    });
  }

  /** How many connections to it are open now (their 'close' not yet seen). */
  get openConnections(): number {
    return this.#open.size;
  }

  /** Settles once no more than `count` connections are open, as their 'close' events come. */
  async untilOpen(count: number): Promise<void> {
    while (this.#open.size > count) await once(this.#changes, 'close');
  }

  get url(): URL {
    return new URL(`http://${this.host}:${this.port}/`);
  }

  /** Listens on `port` of its host, by default a free one. */
  async start(port = 0): Promise<this> {
    this.port = await listen(this.server, this.host, port);
    return this;
  }

  stop(): Promise<void> {
    return close(this.server);
  }
}

/** A TCP server that accepts connections, reads what comes and never answers: a frozen service2. */
export interface SilentServer {
  readonly port: number;
  /** Every connection accepted, open or closed. */
  readonly sockets: Socket[];
  readonly openConnections: () => number;
  /** Settles once no more than `count` connections are open, as their 'close' events come. */
  readonly untilOpen: (count: number) => Promise<void>;
  /** Settles once a connection is accepted. */
  readonly accepted: () => Promise<Socket>;
  readonly stop: () => Promise<void>;
}

export async function silentServer(host = '127.0.0.1', port = 0): Promise<SilentServer> {
  const sockets: Socket[] = [];
  const open = new Set<Socket>();
  const changes = new EventEmitter();
  const server = createNetServer((socket) => {
    // Read and drop what comes, so that the client's close is seen.
    socket.resume();
    sockets.push(socket);
    open.add(socket);
    socket.on('close', () => {
      open.delete(socket);
      changes.emit('close');
    });
  });
  const listening = await listen(server, host, port);
  return {
    port: listening,
    sockets,
    openConnections: () => open.size,
    untilOpen: async (count) => {
      while (open.size > count) await once(changes, 'close');
    },
    accepted: async () => ((await once(server, 'connection')) as [Socket])[0],
    stop: async () => {
      for (const socket of open) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

/** A port on 127.0.0.1 whose listener's accept queue is full: a new connection to it never opens. */
export interface Unaccepting {
  readonly port: number;
  stop(): void;
}

// A listener with the smallest queue, in a process that stops itself once it
// has said its port, so that nothing accepts: connections the kernel has
// completed fill the queue, and it drops the SYNs that come after them.
const STOPPED_LISTENER = `
const server = require('node:net').createServer();
server.listen({ host: '127.0.0.1', port: 0, backlog: 1 }, () => {
  process.stdout.write(server.address().port + '\\n', () => process.kill(process.pid, 'SIGSTOP'));
});`;

// How long a connection to a listener with room in its queue may take to open, on loopback.
const OPENS_WITHIN_MS = 300;

/**
 * A port whose connections hang in SYN_SENT, or why none could be made here
 * (a kernel that resets instead of dropping, or a queue that never fills).
 */
export async function unaccepting(): Promise<Unaccepting | string> {
  const child = spawn(process.execPath, ['-e', STOPPED_LISTENER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const filling: Socket[] = [];
  const stop = (): void => {
    for (const socket of filling) socket.destroy();
    child.kill('SIGKILL');
  };
  const said = once(createInterface({ input: child.stdout }), 'line').then(([line]) => Number(line));
  const died = once(child, 'exit').then(
    ([code]) => `the listener process ended (${String(code)}) before it said its port`,
    (error: Error) => `the listener process did not start (${error.message})`,
  );
  const port = await Promise.race([said, died]);
  if (typeof port === 'string') return port;
  // Connections open until the queue is full; the first that does not is the proof.
  for (let i = 0; i < 16; i += 1) {
    const socket = connect({ host: '127.0.0.1', port });
    filling.push(socket);
    // Once open, nothing more is expected of it; the listener's end may vanish with the child.
    socket.on('error', () => {});
    const timer = Promise.withResolvers<'hangs'>();
    const timeout = setTimeout(() => timer.resolve('hangs'), OPENS_WITHIN_MS);
    const opened = once(socket, 'connect').then(
      () => 'opens' as const,
      (error: NodeJS.ErrnoException) => error.code ?? error.message,
    );
    const result = await Promise.race([opened, timer.promise]);
    clearTimeout(timeout);
    if (result === 'hangs') return { port, stop };
    if (result !== 'opens') {
      stop();
      return `a connection to a full accept queue fails here (${result}) instead of hanging`;
    }
  }
  stop();
  return 'the accept queue of a stopped listener did not fill here';
}

/** An IPv4 multicast address: no TCP connection can go there, and Linux says so at once (ENETUNREACH). */
export const MULTICAST = '224.0.0.1';

/** Why a connection to MULTICAST does not fail at once with ENETUNREACH on this machine, or false when it does. */
export async function noUnreachableNetwork(): Promise<string | false> {
  const socket = connect({ host: MULTICAST, port: 9 });
  socket.setTimeout(OPENS_WITHIN_MS);
  const outcome = await new Promise<string>((resolve) => {
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    socket.once('connect', () => resolve('it opened'));
    socket.once('timeout', () => resolve(`nothing within ${OPENS_WITHIN_MS} ms`));
  });
  socket.destroy();
  return outcome === 'ENETUNREACH' ? false : `needs a connection to ${MULTICAST} to fail with ENETUNREACH (here: ${outcome})`;
}
