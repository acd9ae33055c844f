// service1's connections to service2: kept alive and reused, one pool per
// replica, a bound on how long a new one may take to open, and on how many
// calls may wait for one.
import { Agent } from 'node:http';
import type { AgentOptions } from 'node:http';
import { createConnection } from 'node:net';
import type { NetConnectOpts, Socket } from 'node:net';
import { LIMITS } from '@two-services/service-kit';

/** How many connections to one replica, and how many calls waiting for one. */
export interface PoolLimits {
  /** Connections to each replica at once; further calls wait for one. */
  readonly maxConnections: number;
  /** Calls that may wait for a connection to one replica; one more is not sent (503). */
  readonly maxWaiting: number;
}

/**
 * service2 answers in well under a millisecond, so 32 connections a replica
 * carry all service1 can send, in less memory than more would; 256 waiting
 * bound the memory and the time a call can wait (docs/performance.md).
 */
export const POOL_LIMITS: PoolLimits = { maxConnections: 32, maxWaiting: 256 };

/** An idle pooled connection is closed after this long: before service2 would close it. */
export const IDLE_CONNECTION_MS = LIMITS.keepAliveTimeoutMs - 5_000;

/**
 * A connection to a replica on the same network opens at once. One that is
 * not open after this long goes to an address that is gone (a replica
 * stopped since the last lookup), and is given up.
 */
export const CONNECT_TIMEOUT_MS = 500;

/** The error a connection not open within CONNECT_TIMEOUT_MS fails with. */
export class NotAccepted extends Error {
  override readonly name = 'NotAccepted';
}

/** Keep-alive connections to service2's replicas, each pool keyed by address and port. */
export class Pool extends Agent {
  /** Calls that may wait for a connection to one replica. */
  readonly maxWaiting: number;

  constructor(limits: PoolLimits) {
    const options: AgentOptions = { keepAlive: true, maxSockets: limits.maxConnections, timeout: IDLE_CONNECTION_MS };
    super(options);
    this.maxWaiting = limits.maxWaiting;
  }

  /** Whether as many calls to `address` wait for a connection as may. */
  isFull(address: string, port: string): boolean {
    return (this.requests[this.getName({ host: address, port })]?.length ?? 0) >= this.maxWaiting;
  }

  // Only new connections pass through here, so pooled calls pay nothing for the bound.
  override createConnection(options: NetConnectOpts): Socket {
    const socket = createConnection(options);
    const timer = setTimeout(
      () => socket.destroy(new NotAccepted(`connection not accepted within ${CONNECT_TIMEOUT_MS} ms`)),
      CONNECT_TIMEOUT_MS,
    );
    const stop = (): void => clearTimeout(timer);
    socket.once('connect', stop);
    socket.once('close', stop);
    return socket;
  }
}
