import { once } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { Socket } from 'node:net';
import { close, listen } from './helpers.js';

/** How the fake answers one request. */
export type Behaviour = (req: IncomingMessage, res: ServerResponse) => void;

/** The line the fake answers with when it behaves like service2. */
export const SERVICE2_LINE = 'Hello from 10.0.0.3:40000 to 10.0.0.2:8002\n';

/** Answers like service2 would, with a fixed line. */
export const likeService2: Behaviour = (_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': SERVICE2_LINE.length });
  res.end(SERVICE2_LINE);
};

/** A real HTTP server standing in for service2, whose behaviour a test can change. */
export class FakeService2 {
  behaviour: Behaviour = likeService2;
  readonly requests: IncomingMessage[] = [];
  /** Every connection service2 has accepted, open or closed. */
  readonly connections: Socket[] = [];
  readonly server: Server = createServer((req, res) => {
    this.requests.push(req);
    this.behaviour(req, res);
  });
  readonly host: string;
  port = 0;

  constructor(host: string) {
    this.host = host;
    this.server.on('connection', (socket: Socket) => this.connections.push(socket));
  }

  /** How many connections to service2 are open now. */
  get openConnections(): number {
    return this.connections.filter((socket) => !socket.destroyed).length;
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

/** A TCP server that accepts connections and never says a word: a frozen service2. */
export async function silentServer(host: string): Promise<{ port: number; openConnections: () => number; stop: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    // Read and drop what comes, so that the client's close is seen.
    socket.resume();
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await listen(server, host);
  const stop = async (): Promise<void> => {
    for (const socket of sockets) socket.destroy();
    server.close();
    await once(server, 'close');
  };
  return { port, openConnections: () => sockets.size, stop };
}
