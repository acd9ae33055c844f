import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

const YIELD_EVERY_MS = 10;

/**
 * Holds `server` to `max` open connections. One more makes room by closing
 * the connection that has gone longest with no request in flight, if it has
 * been so for `idleMs` at least; else the newcomer is closed at once. So no
 * flood holds more than `max` connections, and clients that connect and say
 * nothing cannot lock out one that asks.
 */
export function capConnections(server: Server, max: number, idleMs: number): void {
  const open = new Set<Socket>();
  // Requests in flight, by connection: weakly held, as a closed connection's count no longer matters.
  const busy = new WeakMap<Socket, number>();
  // Connections with no request in flight, and since when: the longest idle first.
  const idle = new Map<Socket, number>();

  let lastYield = Number.NEGATIVE_INFINITY;
  server.on('connection', (socket: Socket) => {
    if (open.size >= max) {
      const now = performance.now();
      const oldest = idle.entries().next().value;
      // One a YIELD_EVERY_MS at most: a storm of newcomers delays the event loop, and a
      // connection whose request has arrived, unread, would look idle all that time.
      if (oldest === undefined || now - oldest[1] < idleMs || now - lastYield < YIELD_EVERY_MS) {
        socket.destroy();
        return;
      }
      lastYield = now;
      // Its 'close' takes it off the books.
      oldest[0].destroy();
    }
    open.add(socket);
    idle.set(socket, performance.now());
    socket.once('close', () => {
      open.delete(socket);
      idle.delete(socket);
    });
  });

  server.on('request', (req, res) => {
    const { socket } = req;
    busy.set(socket, (busy.get(socket) ?? 0) + 1);
    idle.delete(socket);
    res.once('finish', () => {
      const left = (busy.get(socket) ?? 1) - 1;
      busy.set(socket, left);
      if (left === 0) idle.set(socket, performance.now());
    });
  });
}
