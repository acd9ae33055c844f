// The pure half of `npm run explain`: what the engine said (a Recording: raw
// `docker inspect` JSON and a few facts from the host) in, the explanation of
// every address and port of one answer out. No I/O here, so that the unit
// tests can replay recorded runs.
import { BlockList, isIP } from 'node:net';

/** One end of a TCP connection. */
export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

/** The one request the tool made, and what it got. */
export interface Ask {
  readonly url: string;
  readonly status: number;
  readonly body: string;
  /** The tool's own end of the connection (curl's, had curl asked). */
  readonly client: Endpoint;
  /** The host's end it reached: a listener on the published port. */
  readonly server: Endpoint;
}

/** A port binding, as `docker inspect` (and `docker port`) shows it. */
export interface BindingJson {
  readonly HostIp: string;
  readonly HostPort: string;
}

/** The parts of `docker inspect <container>` read here. */
export interface ContainerJson {
  readonly Id: string;
  readonly Name: string;
  readonly Config: {
    readonly Labels: Readonly<Record<string, string>> | null;
    readonly ExposedPorts?: Readonly<Record<string, unknown>> | null;
  };
  readonly NetworkSettings: {
    readonly Ports: Readonly<Record<string, readonly BindingJson[] | null>> | null;
    readonly Networks: Readonly<
      Record<
        string,
        { readonly IPAddress: string; readonly GlobalIPv6Address: string; readonly Gateway: string; readonly IPv6Gateway: string }
      >
    > | null;
  };
}

/** The parts of `docker network inspect` read here. */
export interface NetworkJson {
  readonly Name: string;
  readonly Id: string;
  readonly Driver: string;
  readonly Internal: boolean;
  readonly EnableIPv6: boolean;
  readonly IPAM: { readonly Config: ReadonlyArray<{ readonly Subnet?: string; readonly Gateway?: string }> | null };
  readonly Options: Readonly<Record<string, string>> | null;
  readonly Containers: Readonly<
    Record<string, { readonly Name: string; readonly MacAddress: string; readonly IPv4Address: string; readonly IPv6Address: string }>
  > | null;
}

/** What a container's own Node says from inside it (`docker exec`). */
export interface Inside {
  /** os.networkInterfaces(), reduced to addresses and MACs. */
  readonly interfaces: Readonly<Record<string, ReadonlyArray<{ readonly address: string; readonly mac: string }>>>;
  /** TCP ports in state LISTEN, from /proc/net/tcp and tcp6. */
  readonly listening: readonly number[];
  /** net.ipv4.ip_local_port_range: where the kernel takes ephemeral ports. */
  readonly portRange: readonly [number, number] | null;
}

/** What the host says about how its port reaches the container. */
export interface HostFacts {
  /** docker-proxy processes for the asked port, from /proc. */
  readonly proxies: ReadonlyArray<{ readonly pid: number; readonly args: readonly string[] }>;
  /** dockerd's arguments, or null when /proc shows no dockerd (Docker Desktop, a remote engine). */
  readonly dockerd: readonly string[] | null;
  /** /etc/docker/daemon.json, or null when there is none. */
  readonly daemonJson: string | null;
  readonly portRange: readonly [number, number] | null;
}

/** What the engine says of itself (`docker info`). */
export interface EngineFacts {
  /** ServerVersion. */
  readonly version: string;
  /** OperatingSystem: the host's distribution, or `Docker Desktop`, whose engine runs in a VM. */
  readonly os: string;
  /** Whether it runs rootless (`name=rootless` among its SecurityOptions). */
  readonly rootless: boolean;
}

/** Everything the explanation is made from: what the unit tests' fixtures hold. */
export interface Recording {
  /** The host port asked. */
  readonly port: number;
  readonly ask: Ask;
  /** `docker inspect` of every container of the stack. */
  readonly containers: readonly ContainerJson[];
  /** `docker network inspect` of every network they are on (and docker_gwbridge under Swarm). */
  readonly networks: readonly NetworkJson[];
  /** By container id. */
  readonly insides: Readonly<Record<string, Inside>>;
  readonly engine: EngineFacts;
  readonly host: HostFacts;
}

export type Stack =
  | { readonly kind: 'compose'; readonly name: string; readonly cli: 'v1' | 'v2'; readonly version: string }
  | { readonly kind: 'swarm'; readonly name: string };

export interface ProxyListener {
  readonly pid: number;
  readonly listen: string;
  readonly target: string;
}

/** How the host port reaches service1. */
export type Forwarding =
  | { readonly kind: 'docker-proxy'; readonly listeners: readonly ProxyListener[] }
  | { readonly kind: 'nat'; readonly evidence: string }
  /** Docker Desktop: a proxy of its own on the host, the engine in a VM, out of sight. */
  | { readonly kind: 'desktop' }
  /** Rootless Docker: rootlesskit's port driver on the host, the engine in a namespace of its own. */
  | { readonly kind: 'rootless' }
  | { readonly kind: 'unknown' };

/** One address or port of the answer, and what it is on this machine. */
export interface Part {
  readonly line: 1 | 2;
  readonly end: 'from' | 'to';
  readonly kind: 'address' | 'port';
  /** As the answer wrote it, IPv6 without brackets. */
  readonly value: string;
  readonly role: 'gateway' | 'container' | 'ephemeral' | 'listening' | 'unknown';
  /** The network the address is on, or the connection ran over. */
  readonly network?: string | undefined;
  readonly containerId?: string | undefined;
  readonly container?: string | undefined;
  readonly service?: string | undefined;
  /** The interface inside the container; for a gateway, the host's bridge. */
  readonly interface?: string | undefined;
  /** For a listening port, the host ports it is published on. */
  readonly published?: readonly string[] | undefined;
  readonly text: string;
}

/** Something the answer does not show. */
export interface Note {
  readonly subject: string;
  readonly text: string;
}

export interface Explanation {
  readonly ask: Ask;
  /** The answer's lines, without the final newline. */
  readonly lines: readonly string[];
  readonly stack: Stack;
  readonly forwarding: Forwarding;
  readonly summary: string;
  /** A heading for each line of the answer. */
  readonly headings: readonly string[];
  /** Every address and port of the answer, in the order written. */
  readonly parts: readonly Part[];
  readonly absent: readonly Note[];
  readonly why: string;
}

const LINE = /^Hello from (\[[0-9a-f:.]+\]|[0-9.]+):(\d+) to (\[[0-9a-f:.]+\]|[0-9.]+):(\d+)$/i;

/** An address in one spelling, whatever docker or Node wrote: no brackets, no prefix length, IPv6 compressed. */
export function canonical(address: string): string {
  const bare = address.replace(/^\[(.*)\]$/, '$1').replace(/\/\d+$/, '');
  // The URL parser writes IPv6 the one standard way (RFC 5952).
  return isIP(bare) === 6 ? new URL(`http://[${bare}]/`).hostname.slice(1, -1) : bare;
}

/** host:port, IPv6 in brackets. */
export function endpoint(address: string, port: number | string): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** One container on one network. */
interface Attachment {
  readonly network: NetworkJson;
  readonly containerId: string;
  /** The container, or the endpoint's name when it is no container of the stack (a Swarm load balancer). */
  readonly container: ContainerJson | undefined;
  readonly name: string;
  readonly addresses: readonly string[];
  readonly mac: string;
}

function labels(container: ContainerJson): Readonly<Record<string, string>> {
  return container.Config.Labels ?? {};
}

/** The Compose or Swarm service a container runs. Swarm first: task containers also carry the Compose labels of the image's build. */
export function serviceOf(container: ContainerJson): string {
  const l = labels(container);
  const swarm = l['com.docker.swarm.service.name'];
  const namespace = l['com.docker.stack.namespace'];
  if (swarm !== undefined) return namespace !== undefined && swarm.startsWith(`${namespace}_`) ? swarm.slice(namespace.length + 1) : swarm;
  return l['com.docker.compose.service'] ?? nameOf(container);
}

/** The container's name; for a Swarm task, without its 25-character task id. */
export function nameOf(container: ContainerJson): string {
  const task = labels(container)['com.docker.swarm.task.name'];
  return task === undefined ? container.Name.replace(/^\//, '') : task.replace(/\.[0-9a-z]{25}$/, '');
}

function stackOf(container: ContainerJson): Stack {
  const l = labels(container);
  const namespace = l['com.docker.stack.namespace'];
  if (namespace !== undefined) return { kind: 'swarm', name: namespace };
  const version = l['com.docker.compose.version'] ?? '';
  return { kind: 'compose', name: l['com.docker.compose.project'] ?? '', cli: version.startsWith('1.') ? 'v1' : 'v2', version };
}

/** Host bindings of a container port, as `docker port` prints them. */
function bindings(container: ContainerJson, port: string): string[] {
  return (container.NetworkSettings.Ports?.[`${port}/tcp`] ?? []).map(({ HostIp, HostPort }) =>
    endpoint(HostIp === '' ? '*' : HostIp, HostPort),
  );
}

function flag(args: readonly string[], name: string): string {
  const at = args.indexOf(name);
  return at === -1 ? '' : (args[at + 1] ?? '');
}

function forwardingOf(host: HostFacts, engine: EngineFacts): Forwarding {
  // Checked first: /proc here shows neither Desktop's VM nor what rootlesskit hands the port to.
  if (engine.os === 'Docker Desktop') return { kind: 'desktop' };
  if (engine.rootless) return { kind: 'rootless' };
  if (host.proxies.length > 0) {
    const listeners = host.proxies.map(({ pid, args }) => ({
      pid,
      listen: endpoint(flag(args, '-host-ip'), flag(args, '-host-port')),
      target: endpoint(flag(args, '-container-ip'), flag(args, '-container-port')),
    }));
    return { kind: 'docker-proxy', listeners };
  }
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

function forwardingWords(forwarding: Forwarding): ForwardingWords {
  // Each entry takes its own kind of forwarding, a pairing TypeScript cannot follow through an index.
  return (WORDS[forwarding.kind] as (of: Forwarding) => ForwardingWords)(forwarding);
}

function subnets(network: NetworkJson): string[] {
  return (network.IPAM.Config ?? []).flatMap((config) => (config.Subnet === undefined ? [] : [config.Subnet]));
}

/** A network's gateways: from its IPAM config, or, when a subnet was given without one, as its containers see them. */
function gateways(network: NetworkJson, containers: readonly ContainerJson[]): string[] {
  const seen = containers.flatMap((container) => {
    const entry = container.NetworkSettings.Networks?.[network.Name];
    return entry === undefined ? [] : [entry.Gateway, entry.IPv6Gateway];
  });
  const configured = (network.IPAM.Config ?? []).map((config) => config.Gateway ?? '');
  return [...new Set([...configured, ...seen].filter((gateway) => gateway !== '').map(canonical))];
}

function contains(network: NetworkJson, address: string): boolean {
  const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
  const list = new BlockList();
  for (const subnet of subnets(network)) {
    const [base = '', bits = ''] = subnet.split('/');
    if ((isIP(base) === 6 ? 'ipv6' : 'ipv4') === family) list.addSubnet(base, Number(bits), family);
  }
  return list.check(address, family);
}

/** "bridge, internal, 172.20.0.0/16" */
function kindOf(network: NetworkJson): string {
  return [network.Driver, ...(network.Internal ? ['internal'] : []), ...subnets(network)].join(', ');
}

/** " (overlay, internal)": what sets a network apart from a plain bridge. */
function flags(network: NetworkJson): string {
  const words = [...(network.Driver === 'bridge' ? [] : [network.Driver]), ...(network.Internal ? ['internal'] : [])];
  return words.length === 0 ? '' : ` (${words.join(', ')})`;
}

/** The host's interface for a bridge network: the bridge itself, which holds the gateway address. */
function bridgeOf(network: NetworkJson): string | undefined {
  if (network.Driver !== 'bridge') return undefined;
  return network.Options?.['com.docker.network.bridge.name'] ?? `br-${network.Id.slice(0, 12)}`;
}

function range(portRange: readonly [number, number] | null | undefined): string {
  return portRange === null || portRange === undefined ? '' : ` (range ${portRange[0]}-${portRange[1]})`;
}

/** Numbers in order: 10.0.2.2 before 10.0.2.10. */
function byNumber(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** "service1 10.0.2.6; service2 10.0.2.2, 10.0.2.3, 10.0.2.4" */
function byService(members: readonly Attachment[]): string {
  const addresses = new Map<string, string[]>();
  for (const a of members) {
    const service = a.container === undefined ? a.name : serviceOf(a.container);
    addresses.set(service, [...(addresses.get(service) ?? []), a.addresses.join(' ')]);
  }
  return [...addresses]
    .toSorted(([a], [b]) => byNumber(a, b))
    .map(([service, list]) => `${service} ${list.toSorted(byNumber).join(', ')}`)
    .join('; ');
}

function join(words: readonly string[]): string {
  return words.length < 2 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
}

function publishes(container: ContainerJson, hostPort: number): boolean {
  return Object.values(container.NetworkSettings.Ports ?? {}).some((list) =>
    (list ?? []).some((binding) => binding.HostPort === String(hostPort)),
  );
}

/** The recording, indexed for the questions asked of it. */
interface Facts {
  readonly recording: Recording;
  readonly stack: Stack;
  readonly forwarding: Forwarding;
  readonly byId: ReadonlyMap<string, ContainerJson>;
  readonly attachments: readonly Attachment[];
}

function attachmentsOf(recording: Recording, byId: ReadonlyMap<string, ContainerJson>): Attachment[] {
  return recording.networks.flatMap((network) =>
    Object.entries(network.Containers ?? {}).map(([containerId, entry]) => {
      const container = byId.get(containerId);
      return {
        network,
        containerId,
        container,
        name: container === undefined ? entry.Name : nameOf(container),
        addresses: [entry.IPv4Address, entry.IPv6Address].filter((address) => address !== '').map(canonical),
        mac: entry.MacAddress,
      };
    }),
  );
}

function serviceName(a: Attachment): string {
  return a.container === undefined ? a.name : serviceOf(a.container);
}

/** The interface inside the container that holds the address (or the endpoint's MAC). */
function interfaceOf(facts: Facts, a: Attachment, address: string): string | undefined {
  const interfaces = facts.recording.insides[a.containerId]?.interfaces ?? {};
  for (const [name, addresses] of Object.entries(interfaces)) {
    if (addresses.some((entry) => canonical(entry.address) === address || (a.mac !== '' && entry.mac === a.mac))) return name;
  }
  return undefined;
}

type Place = Pick<Part, 'line' | 'end'>;

/** What little can be said of an address no container here has. */
function unknownAddress(facts: Facts, place: Place, address: string): Part {
  const network = facts.recording.networks.find((candidate) => contains(candidate, address));
  const text =
    network === undefined
      ? 'on no network docker inspect shows here'
      : `in ${network.Name}'s subnet, but no container here has it (a task on another node?)`;
  return { ...place, kind: 'address', value: address, role: 'unknown', network: network?.Name, text };
}

function containerAddress(facts: Facts, place: Place, address: string, extra = ''): Part {
  const a = facts.attachments.find((candidate) => candidate.addresses.includes(address));
  if (a === undefined) return unknownAddress(facts, place, address);
  const iface = interfaceOf(facts, a, address);
  const who = a.container === undefined ? a.name : `${serviceName(a)} (${a.name})`;
  return {
    ...place,
    kind: 'address',
    value: address,
    role: 'container',
    network: a.network.Name,
    containerId: a.containerId,
    container: a.container === undefined ? a.name : a.container.Name.replace(/^\//, ''),
    service: serviceName(a),
    interface: iface,
    text: `${who}, ${iface ?? 'its interface'} on ${a.network.Name}${flags(a.network)}${extra}`,
  };
}

/** The port a connection reached: one its container listens on (from /proc inside it, or the image's EXPOSE). */
function listeningPort(facts: Facts, line: 1 | 2, value: string, owner: Part): Part {
  const container = owner.containerId === undefined ? undefined : facts.byId.get(owner.containerId);
  const listens =
    container !== undefined &&
    (facts.recording.insides[container.Id]?.listening.includes(Number(value)) === true ||
      container.Config.ExposedPorts?.[`${value}/tcp`] !== undefined);
  if (container === undefined || !listens) {
    return { line, end: 'to', kind: 'port', value, role: 'unknown', text: 'no container here is known to listen on it' };
  }
  const published = bindings(container, value);
  const service = serviceOf(container);
  return {
    line,
    end: 'to',
    kind: 'port',
    value,
    role: 'listening',
    network: owner.network,
    containerId: container.Id,
    container: container.Name.replace(/^\//, ''),
    service,
    published,
    text:
      published.length > 0 ? `${service}'s listening port; published as ${join(published)}` : `${service}'s listening port; not published`,
  };
}

/** Line 1: the connection service1 accepted, from the host's side of the network its port is published through. */
function firstLine(facts: Facts, [, fromAddress = '', fromPort = '', toAddress = '', toPort = '']: RegExpExecArray): Part[] {
  const { recording, forwarding } = facts;
  const { ask, host } = recording;
  const to = containerAddress(facts, { line: 1, end: 'to' }, canonical(toAddress));
  const from = canonical(fromAddress);
  const isGateway = (candidate: NetworkJson): boolean => gateways(candidate, recording.containers).includes(from);
  const gateway =
    recording.networks.find((candidate) => candidate.Name === to.network && isGateway(candidate)) ?? recording.networks.find(isGateway);
  let address: Part;
  if (gateway === undefined) {
    address = unknownAddress(facts, { line: 1, end: 'from' }, from);
  } else {
    const bridge = bridgeOf(gateway);
    const side = bridge === undefined ? '' : `, the host's address on bridge ${bridge}`;
    const text = `gateway of ${gateway.Name} (${subnets(gateway).join(', ')})${side}`;
    address = { line: 1, end: 'from', kind: 'address', value: from, role: 'gateway', network: gateway.Name, interface: bridge, text };
  }
  const text = forwardingWords(forwarding).fromPort(fromPort, ask.client.port, range(host.portRange));
  const port: Part = { line: 1, end: 'from', kind: 'port', value: fromPort, role: 'ephemeral', network: gateway?.Name, text };
  return [address, port, to, listeningPort(facts, 1, toPort, to)];
}

/** Line 2: the connection service1 opened to service2 (to one replica of it, under Swarm). */
function secondLine(facts: Facts, [, fromAddress = '', fromPort = '', toAddress = '', toPort = '']: RegExpExecArray): Part[] {
  const swarm = facts.stack.kind === 'swarm';
  const from = containerAddress(facts, { line: 2, end: 'from' }, canonical(fromAddress));
  const target = facts.attachments.find((a) => a.addresses.includes(canonical(toAddress)));
  const others =
    swarm && target !== undefined
      ? facts.attachments
          .filter(
            (a) => a !== target && a.network === target.network && a.container !== undefined && serviceName(a) === serviceName(target),
          )
          .map((a) => `${a.addresses.join(' ')} (${a.name})`)
          .toSorted(byNumber)
      : [];
  const answered = others.length > 0 ? `; answered this time, of ${others.length + 1} replicas: the others are ${join(others)}` : '';
  const to = containerAddress(facts, { line: 2, end: 'to' }, canonical(toAddress), answered);
  const inside = from.containerId === undefined ? undefined : facts.recording.insides[from.containerId];
  const pool = swarm ? 'one kept-alive connection per replica' : 'the connection is kept alive and reused';
  const port: Part = {
    line: 2,
    end: 'from',
    kind: 'port',
    value: fromPort,
    role: 'ephemeral',
    network: from.network,
    containerId: from.containerId,
    container: from.container,
    service: from.service,
    text: `${from.service ?? 'the caller'}'s ephemeral port${range(inside?.portRange)}; ${pool}`,
  };
  return [from, port, to, listeningPort(facts, 2, toPort, to)];
}

/** Turns a recorded run into the explanation of each address and port of its answer. */
export function explain(recording: Recording): Explanation {
  const publisher = recording.containers.find((container) => publishes(container, recording.port));
  if (publisher === undefined) throw new Error(`no container of the recording publishes port ${recording.port}`);
  const byId = new Map(recording.containers.map((container) => [container.Id, container]));
  const facts: Facts = {
    recording,
    stack: stackOf(publisher),
    forwarding: forwardingOf(recording.host, recording.engine),
    byId,
    attachments: attachmentsOf(recording, byId),
  };
  const { stack, forwarding } = facts;

  const lines = recording.ask.body.replace(/\n$/, '').split('\n');
  const first = LINE.exec(lines[0] ?? '');
  const second = LINE.exec(lines[1] ?? '');
  const parts = [...(first === null ? [] : firstLine(facts, first)), ...(second === null ? [] : secondLine(facts, second))];
  const headings = [
    first === null ? 'not a greeting: nothing to explain' : forwardingWords(forwarding).heading,
    ...(second !== null
      ? [`the connection service1 opened to ${stack.kind === 'swarm' ? 'a replica of service2' : 'service2'}`]
      : lines[1] === undefined
        ? []
        : [`service1's own words: service2 did not answer (status ${recording.ask.status})`]),
  ];
  return {
    ask: recording.ask,
    lines,
    stack,
    forwarding,
    summary: summaryOf(recording, stack, forwarding, publisher),
    headings,
    parts,
    absent: notes(recording, stack, forwarding, facts.attachments, parts),
    why: whyOf(recording, stack, forwarding, parts),
  };
}

function summaryOf(recording: Recording, stack: Stack, forwarding: Forwarding, publisher: ContainerJson): string {
  const { by } = forwardingWords(forwarding);
  const { version, os, rootless } = recording.engine;
  const engine = `Docker Engine ${version}${rootless ? ', rootless,' : ''} on ${os}`;
  if (stack.kind === 'compose') {
    const front = stack.cli === 'v1' ? `docker-compose ${stack.version}` : `docker compose ${stack.version}`;
    return `${engine}: Compose project ${stack.name} (${front}, ${stack.cli} names: ${publisher.Name.replace(/^\//, '')}); host port ${recording.port} served by ${by}.`;
  }
  const count = new Map<string, number>();
  for (const container of recording.containers) count.set(serviceOf(container), (count.get(serviceOf(container)) ?? 0) + 1);
  const tasks = [...count].map(([service, n]) => `${service} × ${n}`).join(', ');
  return `${engine}: Swarm stack ${stack.name} (${tasks} on this node); host port ${recording.port} published in host mode, served by ${by}.`;
}

function notes(
  recording: Recording,
  stack: Stack,
  forwarding: Forwarding,
  attachments: readonly Attachment[],
  parts: readonly Part[],
): Note[] {
  const { ask, port } = recording;
  const address = parts.find((p) => p.line === 1 && p.end === 'to' && p.kind === 'address');
  const listening = parts.find((p) => p.line === 1 && p.end === 'to' && p.kind === 'port');
  const target = address === undefined || listening === undefined ? 'service1' : endpoint(address.value, listening.value);
  const out: Note[] = [];
  out.push({
    subject: `port ${port}`,
    text: `the host port: ${forwardingWords(forwarding).hostPort(target)}`,
  });
  const server = endpoint(ask.server.address, ask.server.port);
  out.push({
    subject: endpoint(ask.client.address, ask.client.port),
    text: `this tool's own end (curl's, had curl asked) of ${forwardingWords(forwarding).client(server)}`,
  });
  const services = new Map<string, ContainerJson[]>();
  for (const container of recording.containers)
    services.set(serviceOf(container), [...(services.get(serviceOf(container)) ?? []), container]);
  for (const [service, containers] of services) {
    if (containers.some((container) => Object.values(container.NetworkSettings.Ports ?? {}).some((list) => (list ?? []).length > 0)))
      continue;
    const ports = [
      ...new Set(
        containers.flatMap((container) => Object.keys(container.Config.ExposedPorts ?? {}).map((key) => key.split('/')[0] ?? key)),
      ),
    ];
    out.push({
      subject: service,
      text: `publishes no port${ports.length === 0 ? '' : `: nothing on the host listens for ${join(ports)}`}`,
    });
  }
  const networkOf = (line: 1 | 2): string | undefined =>
    parts.find((p) => p.line === line && p.end === 'to' && p.kind === 'address')?.network;
  // What an IPv6-enabled network changes in the answer: which family each line is in.
  const ipv6Remark = (name: string): string => {
    if (name === networkOf(1) && forwarding.kind === 'docker-proxy') {
      const six = forwarding.listeners.find((l) => l.target.startsWith('['));
      return six === undefined
        ? ': docker-proxy still reaches service1 over IPv4'
        : `: asked over IPv6, docker-proxy (pid ${six.pid}, ${six.listen}) connects to ${six.target} and line 1 is IPv6`;
    }
    if (name === networkOf(2))
      return ': service2 has an IPv4 and an IPv6 address, which service1 takes in turn, so line 2 changes family from call to call';
    return '';
  };
  const inAnswer = new Set(parts.flatMap((part) => (part.network === undefined ? [] : [part.network])));
  for (const network of recording.networks) {
    const members = attachments.filter((a) => a.network === network && a.container !== undefined);
    const who = byService(members);
    const ipv6 = network.EnableIPv6 ? `; IPv6 enabled${ipv6Remark(network.Name)}` : '';
    if (network.Internal) {
      out.push({
        subject: network.Name,
        text: `internal (${subnets(network).join(', ')}): no route in or out, nothing published through it; on it: ${who}${ipv6}`,
      });
    } else if (!inAnswer.has(network.Name)) {
      const why = network.Driver === 'overlay' ? 'carries traffic between nodes, not the published port' : 'not on the path of this answer';
      out.push({ subject: network.Name, text: `${kindOf(network)}, ${who === '' ? 'no container of the stack' : who}: ${why}${ipv6}` });
    } else if (ipv6 !== '') {
      out.push({ subject: network.Name, text: `${kindOf(network)}; on it: ${who}${ipv6}` });
    }
  }
  if (stack.kind === 'swarm') {
    out.push({
      subject: 'ingress',
      text: 'not used: a port published in host mode skips the routing mesh and reaches the task on this node',
    });
  }
  return out;
}

function whyOf(recording: Recording, stack: Stack, forwarding: Forwarding, parts: readonly Part[]): string {
  const gateway = parts.find((part) => part.line === 1 && part.end === 'from' && part.kind === 'address');
  const to = parts.find((part) => part.line === 1 && part.end === 'to' && part.kind === 'address');
  const toPort = parts.find((part) => part.line === 1 && part.end === 'to' && part.kind === 'port');
  if (gateway === undefined || to === undefined || toPort === undefined) return 'The answer has no greeting line to explain.';
  const { client, server } = recording.ask;
  const service1 = endpoint(to.value, toPort.value);
  const named = gateway.interface === undefined || gateway.interface === gateway.network;
  const bridge = named ? `the host's side of ${gateway.network}` : `the host's side of ${gateway.network}, the bridge ${gateway.interface}`;
  const head = `Why line 1 starts at ${gateway.value} and not at ${client.address}:`;
  const swarm =
    stack.kind === 'swarm'
      ? ' Under Swarm, a port published in host mode goes through docker_gwbridge, the bridge of every task on this node.'
      : '';
  const tail = ` The host's loopback never reaches a container, which has a loopback of its own.${swarm}`;
  return `${head} ${forwardingWords(forwarding).why(server, service1, bridge)}${tail}`;
}
