// The sentences explain writes of addresses, ports, networks and the stack,
// one place each, so that the wording can change without the logic; those
// that depend on how the port is forwarded are in forwarding.ts.

/** "a", "a and b", "a, b and c". */
export function join(words: readonly string[]): string {
  return words.length < 2 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
}

/** " (range 32768-60999)", or nothing when the range is not known. */
export function range(portRange: readonly [number, number] | null | undefined): string {
  return portRange === null || portRange === undefined ? '' : ` (range ${portRange[0]}-${portRange[1]})`;
}

/** The sentences, by what they say. */
export const sentence = {
  // Line headings.
  notAGreeting: 'not a greeting: nothing to explain',
  secondLine: (): string => 'the connection service1 opened to service2',
  serviceOneOwnWords: (status: number): string => `service1's own words: service2 did not answer (status ${status})`,

  // Addresses and ports.
  onNoNetwork: 'on no network the engine shows here',
  inSubnetOfNone: (network: string): string => `in ${network}'s subnet, but no container here has it (a task on another node?)`,
  containerAddress: (who: string, iface: string | undefined, network: string, flags: string, extra: string): string =>
    `${who}, ${iface ?? 'its interface'} on ${network}${flags}${extra}`,
  serviceOfContainer: (service: string, name: string): string => `${service} (${name})`,
  notListening: 'no container here is known to listen on it',
  listening: (service: string, published: readonly string[]): string =>
    published.length > 0 ? `${service}'s listening port; published as ${join(published)}` : `${service}'s listening port; not published`,
  gateway: (network: string, subnets: readonly string[], bridge: string | undefined): string =>
    `gateway of ${network} (${subnets.join(', ')})${bridge === undefined ? '' : `, ${bridge}`}`,
  ownAddress: (container: string): string => `${container}: service1's own address, which rootlessport connects from`,
  otherNetworkOfOwn: (network: string): string => ` (its address on ${network}, not on the network the port is published through)`,
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
  callerPort: (service: string | undefined, portRange: string, replicas: boolean): string =>
    `${service ?? 'the caller'}'s ephemeral port${portRange}; ${replicas ? 'one kept-alive connection per replica' : 'the connection is kept alive and reused by later calls until it has been idle a while'}`,

  // What the answer leaves out.
  hostPortSubject: (port: number): string => `port ${port}`,
  hostPort: (how: string): string => `the host port: ${how}`,
  client: (connection: string): string => `this tool's own end (curl's, had curl asked) of ${connection}`,
  publishesNoPort: (ports: readonly string[]): string =>
    `publishes no port${ports.length === 0 ? '' : `: nothing on the host listens for ${join(ports)}`}`,
  internalNetwork: (subnets: readonly string[], who: string): string =>
    `internal (${subnets.join(', ')}): no route in or out, nothing published through it; on it: ${who}`,
  networkOffPath: (kind: string, who: string, overlay: boolean): string =>
    `${kind}, ${who === '' ? 'no container of the stack' : who}: ${overlay ? 'carries traffic between nodes, not the published port' : 'not on the path of this answer'}`,
  networkOnPath: (kind: string, who: string): string => `${kind}; on it: ${who}`,
  ingress: 'not used: a port published in host mode skips the routing mesh and reaches the task on this node',

  // The summary.
  engine: (kind: 'docker' | 'podman', version: string, rootless: boolean, os: string): string =>
    `${kind === 'podman' ? 'Podman' : 'Docker Engine'} ${version}${rootless ? ', rootless,' : ''} on ${os}`,
  composeSummary: (engine: string, project: string, front: string, container: string, port: number, by: string): string =>
    `${engine}: Compose project ${project} (${front}: ${container}); host port ${port} served by ${by}.`,
  frontEnd: (cli: 'v1' | 'v2' | 'podman-compose', version: string): string =>
    cli === 'podman-compose'
      ? `podman-compose ${version}`
      : cli === 'v1'
        ? `docker-compose ${version}, v1 names`
        : `docker compose ${version}, v2 names`,
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

  // Which family each connection used, and why.
  firstFamily: (family: string, server: string, host: string, refused: readonly string[]): string =>
    refused.length > 0
      ? `this tool's connection: ${family}, to ${server}, after ${join(refused)} refused it, as curl tries each address of ${host} in turn: nothing listens for the port on ${refused.length > 1 ? 'those addresses' : 'that address'}`
      : `this tool's connection: ${family}, to ${server}, the first address of ${host} to take it`,
  proxyFamily: (family: string, pid: number, listen: string, target: string, networkIpv6: boolean): string =>
    `line 1: ${family}: docker-proxy (pid ${pid}) took this tool's connection on ${listen} and connects to ${target}, ${
      family === 'IPv6'
        ? "service1's IPv6 address on a network with IPv6"
        : networkIpv6
          ? "service1's IPv4 address"
          : 'over IPv4, the only family of that network'
    }`,
  natFamily: (family: string): string => `line 1: ${family}, as this tool's own connection: NAT keeps a connection's family`,
  lineFamily: (line: 1 | 2, family: string): string => `line ${line}: ${family}`,
  firstOfBoth: (family: string, name: string, addresses: readonly string[]): string =>
    `line 2: ${family}: service1's resolver answers ${name} with ${join(addresses)}, an address of each family for each container; service1 calls every container at the family listed first, so line 2 stays ${family} from call to call`,
  onlyFamily: (family: string, name: string, addresses: string): string =>
    `line 2: ${family}: service1's resolver answers ${name} with ${addresses}, of that family only`,

  // Where this tool ran.
  ranInContainer: (differs: string): string =>
    `This tool ran in its container, on the network and processes of the engine's host (network_mode: host, pid: host), and asked as curl there would.${differs}`,
  onDesktop:
    " On Docker Desktop that host is Desktop's VM: your own curl on this machine comes in through Desktop's port forwarding, to the same docker-proxy, and gets the same line 1.",
  insideRootlesskit:
    " A rootless engine's host network is rootlesskit's namespace: this tool reached docker-proxy there directly, where your own curl on the host goes through rootlesskit's port driver first; line 1 reads the same.",
  onRootlessPodman: " Rootless Podman's host network is your own: your curl on this machine takes the same way.",

  // Why line 1 starts where it does.
  noGreeting: 'The answer has no greeting line to explain.',
  bridge: (network: string, bridge: string | undefined): string =>
    bridge === undefined ? `the bridge ${network}` : `${network}'s bridge ${bridge}`,
  whyHead: (gateway: string, client: string): string => `Why line 1 starts at ${gateway} and not at ${client}:`,
  whyKept: (why: string): string => `Why line 1 starts at this tool's own end: ${why}`,
  whyTail: (swarm: boolean): string =>
    ` The host's loopback never reaches a container, which has a loopback of its own.${
      swarm ? ' Under Swarm, a port published in host mode goes through docker_gwbridge, the bridge of every task on this node.' : ''
    }`,
} as const;
