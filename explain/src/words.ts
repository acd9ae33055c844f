// Every sentence npm run explain writes, one place each: the facts come from
// model.ts, the wording is here, so that it can change without the logic.
import type { Endpoint, Forwarding } from './facts.ts';

/** host:port, IPv6 in brackets. */
export function endpoint(address: string, port: number | string): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** "a", "a and b", "a, b and c". */
export function join(words: readonly string[]): string {
  return words.length < 2 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
}

/** " (range 32768-60999)", or nothing when the range is not known. */
export function range(portRange: readonly [number, number] | null | undefined): string {
  return portRange === null || portRange === undefined ? '' : ` (range ${portRange[0]}-${portRange[1]})`;
}

/** What the explanation says of how the host port reaches service1: every sentence of one kind of forwarding together. */
interface ForwardingWords {
  /** Who serves the host port, for the summary. */
  readonly by: string;
  /** Line 1's heading. */
  readonly heading: string;
  /** Line 1's source port, given this tool's own and the host's ephemeral range. */
  fromPort(port: string, own: number, range: string): string;
  /** The host port, sent on to service1 at `target`. */
  hostPort(target: string): string;
  /** This tool's own end of its connection to `server`, after "this tool's own end of". */
  client(server: string): string;
  /** Why line 1 starts at the gateway: this tool reached `server`, service1 listens at `service1`, the gateway is `bridge`. */
  why(server: Endpoint, service1: string, bridge: string): string;
}

const GATEWAY_SOURCE = `either way the source is the network's gateway`;

/** The words of each kind of forwarding, from what it carries. */
const WORDS: { readonly [K in Forwarding['kind']]: (forwarding: Extract<Forwarding, { readonly kind: K }>) => ForwardingWords } = {
  'docker-proxy': ({ listeners }) => ({
    by: 'docker-proxy',
    heading: 'the connection docker-proxy opened to service1',
    fromPort: (_port, own, hostRange) => `docker-proxy's ephemeral port on the host${hostRange}; this tool's own was ${own}`,
    hostPort: (target) =>
      new Set(listeners.map((l) => l.target)).size > 1
        ? `docker-proxy ${join(listeners.map((l) => `pid ${l.pid} on ${l.listen} to ${l.target}`))}`
        : `docker-proxy ${join(listeners.map((l) => `pid ${l.pid} on ${l.listen}`))}, to ${target}`,
    client: (server) => `the first connection, to ${server}: docker-proxy ends it; no container sees it`,
    why: (server, service1, bridge) => {
      const pid = listeners.find((l) => l.listen.startsWith('[') === server.address.includes(':'))?.pid;
      const who = pid === undefined ? 'docker-proxy' : `docker-proxy (pid ${pid})`;
      return `this tool connected to ${endpoint(server.address, server.port)}, where ${who} listens. docker-proxy ends that connection and opens its own to ${service1}, from ${bridge}, whose address is the network's gateway.`;
    },
  }),
  nat: ({ evidence }) => ({
    by: 'NAT, no userland proxy',
    heading: "this tool's connection as service1 got it, through NAT",
    fromPort: (port, own) =>
      Number(port) === own
        ? `this tool's own ephemeral port: NAT rewrote the address and kept the port`
        : `the port NAT gave this tool's connection (its own, ${own}, was taken)`,
    hostPort: (target) => `no process listens (${evidence}); NAT rules send it to ${target}`,
    client: (server) => `its connection to ${server}: NAT rewrites the address before service1 sees it`,
    why: (_server, service1, bridge) =>
      `no docker-proxy runs (${evidence}). NAT rules send this tool's connection on to ${service1} and, as it comes from the host itself, masquerade its source as the address of ${bridge}, the network's gateway, keeping the port when it is free.`,
  }),
  desktop: () => ({
    by: "Docker Desktop's port forwarding",
    heading: 'the connection service1 accepted, forwarded by Docker Desktop',
    fromPort: (_port, own) => `the ephemeral port of the connection made inside Docker Desktop's VM (this tool's own was ${own})`,
    hostPort: (target) => `Docker Desktop listens on it on this machine and forwards it into its VM, to ${target}`,
    client: (server) => `its connection to ${server}: Docker Desktop's forwarding ends it; no container sees it`,
    why: (_server, service1, bridge) =>
      `Docker Desktop runs the engine in a VM. Its own process takes the connection on this machine and hands it into the VM, where the engine connects to ${service1} from ${bridge} (docker-proxy, or NAT: which one is not in sight from here); ${GATEWAY_SOURCE}.`,
  }),
  rootless: () => ({
    by: "rootlesskit's port driver",
    heading: 'the connection service1 accepted, forwarded by rootlesskit',
    fromPort: (_port, own) => `the ephemeral port of the connection made inside rootlesskit's namespace (this tool's own was ${own})`,
    hostPort: (target) => `rootlesskit listens on it on this machine and forwards it into the engine's namespace, to ${target}`,
    client: (server) => `its connection to ${server}: rootlesskit's port driver ends it; no container sees it`,
    why: (_server, service1, bridge) =>
      `the engine runs rootless, in a network namespace of its own. rootlesskit's port driver takes the connection on this machine and hands it into that namespace, where it is sent on to ${service1} from ${bridge}; ${GATEWAY_SOURCE}.`,
  }),
  node: ({ node }) => ({
    by: `NAT on node ${node}`,
    heading: `this tool's connection as service1 got it, through NAT on node ${node}`,
    fromPort: (_port, own) => `this tool's own ephemeral port (${own}), which NAT kept`,
    hostPort: (target) => `no process of ${node} stands in the way: its NAT rules send it to ${target}`,
    client: (server) => `its connection to ${server}: ${node}'s NAT rules send it on to service1 as it is, but for its destination`,
    why: (server, service1) =>
      `this tool connected to ${endpoint(server.address, server.port)} from another machine than ${node}. ${node}'s NAT rules send the connection on to ${service1}, changing its destination only, so service1 sees this tool's own address and port. (From ${node} itself, docker-proxy would take it, and line 1 would start at the gateway of its docker_gwbridge.)`,
  }),
  unknown: () => ({
    by: 'the engine',
    heading: 'the connection service1 accepted from the host',
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

/** The rest of the sentences, by what they say. */
export const say = {
  // Line headings.
  notAGreeting: 'not a greeting: nothing to explain',
  secondLine: (swarm: boolean): string => `the connection service1 opened to ${swarm ? 'a replica of service2' : 'service2'}`,
  serviceOneOwnWords: (status: number): string => `service1's own words: service2 did not answer (status ${status})`,

  // Addresses and ports.
  onNoNetwork: 'on no network docker inspect shows here',
  inSubnetOfNone: (network: string): string => `in ${network}'s subnet, but no container here has it (a task on another node?)`,
  containerAddress: (who: string, iface: string | undefined, network: string, flags: string, extra: string): string =>
    `${who}, ${iface ?? 'its interface'} on ${network}${flags}${extra}`,
  serviceOfContainer: (service: string, name: string): string => `${service} (${name})`,
  notListening: 'no container here is known to listen on it',
  listening: (service: string, published: readonly string[]): string =>
    published.length > 0 ? `${service}'s listening port; published as ${join(published)}` : `${service}'s listening port; not published`,
  gateway: (network: string, subnets: readonly string[], bridge: string | undefined): string =>
    `gateway of ${network} (${subnets.join(', ')})${bridge === undefined ? '' : `, the host's address on bridge ${bridge}`}`,
  answeredOf: (others: readonly string[]): string =>
    others.length > 0 ? `; answered this time, of ${others.length + 1} replicas: the others are ${join(others)}` : '',
  replica: (addresses: string, name: string): string => `${addresses} (${name})`,
  replicaOnNode: (addresses: string, name: string, node: string): string => `${addresses} (${name} on ${node})`,
  taskAddress: (service: string, task: string, node: string, network: string, flags: string, extra: string): string =>
    `${service} (${task}) on node ${node}, on ${network}${flags}, as the manager reports it${extra}`,
  remoteGateway: (node: string): string =>
    `gateway of docker_gwbridge on node ${node}, the node asked: its host's side of the bridge its tasks publish through (out of sight from this engine)`,
  clientAddress: (node: string): string =>
    `this tool's own address, as ${node === '' ? 'the node' : node} saw it: a node forwards its host-mode port by NAT, which keeps the source of a connection from another machine`,
  clientPort: "this tool's own ephemeral port, which NAT kept",
  remoteListening: (service: string, node: string): string => `${service}'s listening port, on node ${node}; not published`,
  remoteFromPort: (node: string): string => `the ephemeral port of the connection ${node} opened to its task of service1`,
  remoteTask: (task: string | undefined, node: string): string =>
    `service1 (${task ?? 'its task'}) on node ${node}, on that node's docker_gwbridge; its interface there is out of sight from this engine`,
  callerPort: (service: string | undefined, portRange: string, swarm: boolean): string =>
    `${service ?? 'the caller'}'s ephemeral port${portRange}; ${swarm ? 'one kept-alive connection per replica' : 'the connection is kept alive and reused'}`,

  // What the answer leaves out.
  hostPortSubject: (port: number): string => `port ${port}`,
  hostPort: (how: string): string => `the host port: ${how}`,
  client: (connection: string): string => `this tool's own end (curl's, had curl asked) of ${connection}`,
  publishesNoPort: (ports: readonly string[]): string =>
    `publishes no port${ports.length === 0 ? '' : `: nothing on the host listens for ${join(ports)}`}`,
  ipv6Enabled: (remark: string): string => `; IPv6 enabled${remark}`,
  ipv6ProxyOverIpv4: ': docker-proxy still reaches service1 over IPv4',
  ipv6ProxyOverIpv6: (pid: number, listen: string, target: string): string =>
    `: asked over IPv6, docker-proxy (pid ${pid}, ${listen}) connects to ${target} and line 1 is IPv6`,
  ipv6BothFamilies: ': service2 has an IPv4 and an IPv6 address, which service1 takes in turn, so line 2 changes family from call to call',
  internalNetwork: (subnets: readonly string[], who: string, ipv6: string): string =>
    `internal (${subnets.join(', ')}): no route in or out, nothing published through it; on it: ${who}${ipv6}`,
  networkOffPath: (kind: string, who: string, overlay: boolean, ipv6: string): string =>
    `${kind}, ${who === '' ? 'no container of the stack' : who}: ${overlay ? 'carries traffic between nodes, not the published port' : 'not on the path of this answer'}${ipv6}`,
  networkOnPath: (kind: string, who: string, ipv6: string): string => `${kind}; on it: ${who}${ipv6}`,
  ingress: 'not used: a port published in host mode skips the routing mesh and reaches the task on this node',

  // The summary.
  engine: (version: string, rootless: boolean, os: string): string => `Docker Engine ${version}${rootless ? ', rootless,' : ''} on ${os}`,
  composeSummary: (engine: string, project: string, front: string, names: string, container: string, port: number, by: string): string =>
    `${engine}: Compose project ${project} (${front}, ${names} names: ${container}); host port ${port} served by ${by}.`,
  frontEnd: (cli: 'v1' | 'v2', version: string): string => (cli === 'v1' ? `docker-compose ${version}` : `docker compose ${version}`),
  swarmSummary: (engine: string, stack: string, tasks: string, port: number, by: string): string =>
    `${engine}: Swarm stack ${stack} (${tasks} on this node); host port ${port} published in host mode, served by ${by}.`,
  tasks: (service: string, n: number): string => `${service} × ${n}`,
  nodesSummary: (
    engine: string,
    stack: string,
    count: number,
    answering: { readonly hostname: string; readonly address: string },
    local: { readonly hostname: string },
    port: number,
  ): string =>
    `${engine}: Swarm stack ${stack} on ${count} nodes; node ${answering.hostname} (${answering.address}) answered, on port ${port} published there in host mode; this engine is ${local.hostname}'s, a manager${
      answering.hostname === local.hostname ? '' : ': what runs on other nodes comes from what it reports of them'
    }.`,
  nodes: (nodes: readonly string[], service1: readonly string[], service2: readonly string[], local: string): string =>
    `the swarm: ${join(nodes)}; service1: ${join(service1)}; service2: ${join(service2)}. Interfaces, bridges and port forwarding are read from ${local}'s engine only: on the other nodes, DOCKER_HOST pointing at theirs shows them`,

  // Why line 1 starts where it does.
  noGreeting: 'The answer has no greeting line to explain.',
  bridge: (network: string, bridge: string | undefined): string =>
    bridge === undefined ? `the host's side of ${network}` : `the host's side of ${network}, the bridge ${bridge}`,
  whyHead: (gateway: string, client: string): string => `Why line 1 starts at ${gateway} and not at ${client}:`,
  whyKept: (why: string): string => `Why line 1 starts at this tool's own end: ${why}`,
  whyTail: (swarm: boolean): string =>
    ` The host's loopback never reaches a container, which has a loopback of its own.${
      swarm ? ' Under Swarm, a port published in host mode goes through docker_gwbridge, the bridge of every task on this node.' : ''
    }`,
} as const;
