// How the host's port reaches service1, and every sentence that depends on
// it: who takes the connection on the host, who opens the one service1
// accepts, and so where line 1 starts.
import type { ContainerJson, Endpoint, Forwarding, ProcessFacts, ProxyListener, Recording } from '../types.ts';
import { endpoint } from './networks.ts';
import { join } from './sentences.ts';

function flag(args: readonly string[], name: string): string {
  const at = args.indexOf(name);
  return at === -1 ? '' : (args[at + 1] ?? '');
}

function listenersOf(proxies: readonly ProcessFacts[]): ProxyListener[] {
  return proxies.map(({ pid, args }) => ({
    pid,
    listen: endpoint(flag(args, '-host-ip'), flag(args, '-host-port')),
    target: endpoint(flag(args, '-container-ip'), flag(args, '-container-port')),
  }));
}

/** How the port reaches service1 (`publisher`), from what the engine and the host's /proc say. */
export function forwardingOf({ host, engine, ranIn }: Recording, publisher: ContainerJson): Forwarding {
  // The host's /proc does not show Desktop's VM; explain's container, on the VM's processes, does.
  if (engine.os === 'Docker Desktop' && host.proxies.length === 0) return { kind: 'desktop' };
  if (engine.kind === 'podman') {
    if (!engine.rootless) return { kind: 'nat', evidence: "Podman's netavark forwards published ports by NAT rules" };
    const netns = host.containerNetns?.[publisher.Id];
    const inside = (host.rootlessports ?? []).find((port) => netns != null && port.netns === netns);
    return { kind: 'rootlessport', pid: (inside ?? host.rootlessports?.[0])?.pid, sharesNamespace: inside !== undefined };
  }
  if (engine.rootless) {
    const args = host.rootlesskit?.args ?? [];
    const driver = args.find((arg) => arg.startsWith('--port-driver='))?.slice('--port-driver='.length) ?? 'builtin';
    return {
      kind: 'rootlesskit',
      pid: host.rootlesskit?.pid,
      portDriver: driver,
      listeners: listenersOf(host.proxies),
      fromInside: ranIn === 'container',
    };
  }
  if (host.proxies.length > 0) return { kind: 'docker-proxy', listeners: listenersOf(host.proxies) };
  let configured: unknown;
  try {
    configured = (JSON.parse(host.daemonJson ?? '{}') as Record<string, unknown>)['userland-proxy'];
  } catch {
    // An unreadable daemon.json says nothing either way.
  }
  if (configured === false) return { kind: 'nat', evidence: '"userland-proxy": false in /etc/docker/daemon.json' };
  if (host.dockerd?.includes('--userland-proxy=false') === true)
    return { kind: 'nat', evidence: 'dockerd runs with --userland-proxy=false' };
  // dockerd is in sight but no docker-proxy serves the port: the proxy is off.
  if (host.dockerd !== null) return { kind: 'nat', evidence: 'no docker-proxy process serves the port' };
  return { kind: 'unknown' };
}

/** What the explanation says of one kind of forwarding. */
export interface ForwardingWords {
  /** Who serves the host port, for the summary. */
  readonly by: string;
  /** Line 1's heading. */
  readonly heading: string;
  /** The bridge that holds a network's gateway address, and where it is: on the host, or in a namespace or VM. */
  bridge(name: string): string;
  /** Line 1's source port, given this tool's own and the host's ephemeral range. */
  fromPort(port: string, own: number, range: string): string;
  /** The host port, sent on to service1 at `target`. */
  hostPort(target: string): string;
  /** This tool's own end of its connection to `server`, after "this tool's own end of". */
  client(server: string): string;
  /** Why line 1 starts where it does: this tool reached `server`, service1 listens at `service1`, from `bridge`. */
  why(server: Endpoint, service1: string, bridge: string): string;
}

const GATEWAY_SOURCE = `either way the source is the network's gateway`;

/** "pid 2525 on 0.0.0.0:8001 and pid 2530 on [::]:8001" */
function pidsOn(listeners: readonly ProxyListener[]): string {
  return join(listeners.map((l) => `pid ${l.pid} on ${l.listen}`));
}

function proxies(listeners: readonly ProxyListener[], target: string): string {
  return new Set(listeners.map((l) => l.target)).size > 1
    ? join(listeners.map((l) => `pid ${l.pid} on ${l.listen} to ${l.target}`))
    : `${pidsOn(listeners)}, to ${target}`;
}

/** The docker-proxy that took a connection to `server`: the one listening on its family. */
function proxyFor(listeners: readonly ProxyListener[], server: Endpoint): string {
  const pid = listeners.find((l) => l.listen.startsWith('[') === server.address.includes(':'))?.pid;
  return pid === undefined ? 'docker-proxy' : `docker-proxy (pid ${pid})`;
}

const WORDS: { readonly [K in Forwarding['kind']]: (forwarding: Extract<Forwarding, { readonly kind: K }>) => ForwardingWords } = {
  'docker-proxy': ({ listeners }) => ({
    by: 'docker-proxy',
    heading: 'the connection docker-proxy opened to service1',
    bridge: (name) => `the host's address on bridge ${name}`,
    fromPort: (_port, own, hostRange) => `docker-proxy's ephemeral port on the host${hostRange}; this tool's own was ${own}`,
    hostPort: (target) => `docker-proxy ${proxies(listeners, target)}`,
    client: (server) => `the first connection, to ${server}: docker-proxy ends it; no container sees it`,
    why: (server, service1, bridge) =>
      `this tool connected to ${endpoint(server.address, server.port)}, where ${proxyFor(listeners, server)} listens. docker-proxy ends that connection and opens its own to ${service1}, from ${bridge}, whose address is the network's gateway.`,
  }),
  nat: ({ evidence }) => ({
    by: 'NAT, no userland proxy',
    heading: "this tool's connection as service1 got it, through NAT",
    bridge: (name) => `the host's address on bridge ${name}`,
    fromPort: (port, own) =>
      Number(port) === own
        ? `this tool's own ephemeral port: NAT rewrote the address and kept the port`
        : `the port NAT gave this tool's connection (its own, ${own}, was taken)`,
    hostPort: (target) => `no process forwards it (${evidence}); NAT rules send it to ${target}`,
    client: (server) => `its connection to ${server}: NAT rewrites the address before service1 sees it`,
    why: (_server, service1, bridge) =>
      `no userland proxy forwards the port (${evidence}). NAT rules send this tool's connection on to ${service1} and, as it comes from the host itself, masquerade its source as the address of ${bridge}, the network's gateway, keeping the port when it is free.`,
  }),
  desktop: () => ({
    by: "Docker Desktop's port forwarding",
    heading: 'the connection service1 accepted, forwarded by Docker Desktop',
    bridge: (name) => `the address of bridge ${name} in Docker Desktop's VM`,
    fromPort: (_port, own) => `the ephemeral port of the connection made inside Docker Desktop's VM (this tool's own was ${own})`,
    hostPort: (target) => `Docker Desktop listens on it on this machine and forwards it into its VM, to ${target}`,
    client: (server) => `its connection to ${server}: Docker Desktop's forwarding ends it; no container sees it`,
    why: (_server, service1, bridge) =>
      `Docker Desktop runs the engine in a VM. Its own process takes the connection on this machine and hands it into the VM, where the engine connects to ${service1} from ${bridge} (docker-proxy, or NAT: which one is not in sight from here); ${GATEWAY_SOURCE}.`,
  }),
  rootlesskit: ({ pid, portDriver, listeners, fromInside }) => {
    const kit = pid === undefined ? 'rootlesskit' : `rootlesskit (pid ${pid})`;
    const proxy = listeners.length === 0 ? 'the engine' : `docker-proxy (${pidsOn(listeners)})`;
    return {
      by: `rootlesskit's ${portDriver} port driver, then docker-proxy in rootlesskit's namespace`,
      heading: 'the connection docker-proxy opened to service1, inside rootlesskit',
      bridge: (name) => `the address of bridge ${name} in rootlesskit's network namespace (the host has no such bridge)`,
      fromPort: (_port, own) => `docker-proxy's ephemeral port, in rootlesskit's network namespace (this tool's own was ${own})`,
      hostPort: (target) =>
        `${kit} listens on it on the host; its ${portDriver} port driver connects, inside rootlesskit's network namespace, to ${proxy}, which connects to ${target}`,
      client: (server) =>
        fromInside
          ? `its connection to ${server}, inside rootlesskit's namespace: docker-proxy ends it; no container sees it`
          : `its connection to ${server}: rootlesskit ends it on the host; no container sees it`,
      why: (_server, service1, bridge) =>
        `${
          fromInside
            ? `the engine runs rootless, in network namespaces of rootlesskit's, where this tool ran: it reached ${proxy} directly (from the host, ${kit} takes the connection first and hands it in)`
            : `the engine runs rootless, in network namespaces of rootlesskit's. ${kit} takes the connection on the host and hands it into its namespace, to ${proxy}`
        }, which opens its own connection to ${service1} from ${bridge}, whose address is the network's gateway.`,
    };
  },
  rootlessport: ({ pid, sharesNamespace }) => {
    const port = pid === undefined ? 'rootlessport' : `rootlessport (pid ${pid})`;
    const where = sharesNamespace ? "in service1's own network namespace, as /proc shows" : "in service1's own network namespace";
    return {
      by: "rootlessport, from inside service1's network namespace",
      heading: "the connection rootlessport opened to service1, from inside service1's own namespace",
      bridge: (name) => `the address of bridge ${name} in Podman's rootless network namespace`,
      fromPort: (_port, own) => `rootlessport's ephemeral port, in service1's namespace (this tool's own was ${own})`,
      hostPort: (target) => `${port} takes it on the host and connects, ${where}, to ${target}`,
      client: (server) => `its connection to ${server}: rootlessport ends it; service1 sees rootlessport's`,
      why: (_server, service1) =>
        `Podman runs rootless: ${port} takes the connection on the host and opens its own to ${service1} ${where}. A connection between two addresses of one namespace starts at the address it goes to, so line 1 starts at one of service1's own addresses: the one Podman gave rootlessport to connect to, on either of its networks.`,
    };
  },
  node: ({ node }) => ({
    by: `NAT on node ${node}`,
    heading: `this tool's connection as service1 got it, through NAT on node ${node}`,
    bridge: (name) => `${node}'s address on bridge ${name}`,
    fromPort: (_port, own) => `this tool's own ephemeral port (${own}), which NAT kept`,
    hostPort: (target) => `no process of ${node} stands in the way: its NAT rules send it to ${target}`,
    client: (server) => `its connection to ${server}: ${node}'s NAT rules send it on to service1 as it is, but for its destination`,
    why: (server, service1) =>
      `this tool connected to ${endpoint(server.address, server.port)} from another machine than ${node}. ${node}'s NAT rules send the connection on to ${service1}, changing its destination only, so service1 sees this tool's own address and port. (From ${node} itself, docker-proxy would take it, and line 1 would start at the gateway of its docker_gwbridge.)`,
  }),
  unknown: () => ({
    by: 'the engine',
    heading: 'the connection service1 accepted from the host',
    bridge: (name) => `the address of bridge ${name} on the engine's host`,
    fromPort: (_port, own) => `the ephemeral port of the connection the host forwarded (this tool's own was ${own})`,
    hostPort: (target) => `the engine forwards it to ${target} (its processes are not in sight here)`,
    client: (server) => `its connection to ${server}: docker-proxy or NAT stands between it and service1`,
    why: (_server, service1, bridge) =>
      `the engine forwards the host port to ${service1} from ${bridge}, through docker-proxy or by NAT (which one is not in sight here); ${GATEWAY_SOURCE}.`,
  }),
};

/** The words of the forwarding the host port goes through. */
export function forwardingWords(forwarding: Forwarding): ForwardingWords {
  // Each entry takes its own kind of forwarding, a pairing TypeScript cannot follow through an index.
  return (WORDS[forwarding.kind] as (of: Forwarding) => ForwardingWords)(forwarding);
}
