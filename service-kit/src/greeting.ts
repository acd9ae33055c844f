/** The two ends of a TCP connection, as `net.Socket` reports them. */
export interface SocketEnds {
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
  readonly localAddress?: string | undefined;
  readonly localPort?: number | undefined;
}

// A dual-stack socket (one listening on `::`) sees IPv4 peers as IPv4-mapped
// IPv6 addresses; the kernel always spells the prefix in lower case.
const MAPPED_IPV4_PREFIX = '::ffff:';

/**
 * Writes an address and port the way people read them: IPv4 dotted
 * (`172.18.0.1:8001`), an IPv4-mapped IPv6 address as the IPv4 address it
 * carries, and IPv6 in brackets (`[fd00::2]:8001`).
 */
export function formatEndpoint(address: string, port: number): string {
  if (!address.includes(':')) return `${address}:${port}`;
  if (address.startsWith(MAPPED_IPV4_PREFIX) && !address.includes(':', MAPPED_IPV4_PREFIX.length)) {
    return `${address.slice(MAPPED_IPV4_PREFIX.length)}:${port}`;
  }
  return `[${address}]:${port}`;
}

/**
 * `Hello from <remote> to <local>\n` for a connection, or undefined when the
 * socket no longer knows its ends (it was closed before it was asked).
 */
export function greetingLine(socket: SocketEnds): string | undefined {
  const { remoteAddress, remotePort, localAddress, localPort } = socket;
  if (remoteAddress === undefined || remotePort === undefined) return undefined;
  if (localAddress === undefined || localPort === undefined) return undefined;
  return `Hello from ${formatEndpoint(remoteAddress, remotePort)} to ${formatEndpoint(localAddress, localPort)}\n`;
}
