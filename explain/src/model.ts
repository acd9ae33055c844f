// The pure half of `npm run explain`: what the engine said (a Recording: raw
// `docker inspect` JSON and a few facts from the host) in, the explanation of
// every address and port of one answer out. No I/O here, so that the unit
// tests can replay recorded runs.
import { BlockList, isIP } from 'node:net';
import type {
  ContainerJson,
  EngineFacts,
  Explanation,
  Forwarding,
  HostFacts,
  NetworkJson,
  NodeFacts,
  Note,
  Part,
  Recording,
  Stack,
  SwarmFacts,
  TaskFacts,
} from './facts.ts';
import { endpoint, forwardingWords, range, say } from './words.ts';

export type * from './facts.ts';

const LINE = /^Hello from (\[[0-9a-f:.]+\]|[0-9.]+):(\d+) to (\[[0-9a-f:.]+\]|[0-9.]+):(\d+)$/i;

/** An address in one spelling, whatever docker or Node wrote: no brackets, no prefix length, IPv6 compressed. */
export function canonical(address: string): string {
  const bare = address.replace(/^\[(.*)\]$/, '$1').replace(/\/\d+$/, '');
  // The URL parser writes IPv6 the one standard way (RFC 5952).
  return isIP(bare) === 6 ? new URL(`http://[${bare}]/`).hostname.slice(1, -1) : bare;
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

function publishes(container: ContainerJson, hostPort: number): boolean {
  return Object.values(container.NetworkSettings.Ports ?? {}).some((list) =>
    (list ?? []).some((binding) => binding.HostPort === String(hostPort)),
  );
}

/** On a swarm of several nodes: what the manager says, the node that answered and the node whose engine was read. */
interface Nodes {
  readonly swarm: SwarmFacts;
  readonly answering: NodeFacts;
  readonly local: NodeFacts;
}

/** The recording, indexed for the questions asked of it. */
interface Facts {
  readonly recording: Recording;
  readonly stack: Stack;
  readonly forwarding: Forwarding;
  readonly byId: ReadonlyMap<string, ContainerJson>;
  readonly attachments: readonly Attachment[];
  readonly nodes: Nodes | undefined;
}

/** The nodes, where the recording has them; the node asked is the one whose address the answer came from. */
function nodesOf(recording: Recording): Nodes | undefined {
  const swarm = recording.swarm;
  if (swarm === undefined) return undefined;
  const local = swarm.nodes.find((node) => node.id === swarm.localNodeId);
  if (local === undefined) return undefined;
  const answering = swarm.nodes.find((node) => node.address === canonical(recording.ask.server.address)) ?? local;
  return { swarm, answering, local };
}

/** The overlay network on which a task has `address`, if it has it. */
function taskNetwork(task: TaskFacts, address: string): string | undefined {
  return Object.entries(task.addresses).find(([, addresses]) => addresses.map(canonical).includes(address))?.[0];
}

function hostnameOf(nodes: Nodes, id: string): string {
  return nodes.swarm.nodes.find((node) => node.id === id)?.hostname ?? id;
}

/** An address of a task on any node, from what the manager says: for the containers this engine does not run. */
function taskAddress(facts: Facts, place: Place, address: string, extra: string): Part | undefined {
  const nodes = facts.nodes;
  if (nodes === undefined) return undefined;
  for (const task of nodes.swarm.tasks) {
    const network = taskNetwork(task, address);
    if (network === undefined) continue;
    const node = hostnameOf(nodes, task.nodeId);
    const attached = facts.recording.networks.find((candidate) => candidate.Name === network);
    return {
      ...place,
      kind: 'address',
      value: address,
      role: 'container',
      network,
      containerId: task.containerId,
      container: task.name,
      service: task.service,
      node,
      text: say.taskAddress(task.service, task.name, node, network, attached === undefined ? '' : flags(attached), extra),
    };
  }
  return undefined;
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
  const text = network === undefined ? say.onNoNetwork : say.inSubnetOfNone(network.Name);
  return { ...place, kind: 'address', value: address, role: 'unknown', network: network?.Name, text };
}

function containerAddress(facts: Facts, place: Place, address: string, extra = ''): Part {
  const a = facts.attachments.find((candidate) => candidate.addresses.includes(address));
  if (a === undefined) return taskAddress(facts, place, address, extra) ?? unknownAddress(facts, place, address);
  const iface = interfaceOf(facts, a, address);
  const who = a.container === undefined ? a.name : say.serviceOfContainer(serviceName(a), a.name);
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
    text: say.containerAddress(who, iface, a.network.Name, flags(a.network), extra),
  };
}

/**
 * The port a connection reached: one its container listens on (from /proc
 * inside it, or the image's EXPOSE), or, for a task on another node, the one
 * its service listens on (the manager says what a task runs, not what it
 * listens on).
 */
function listeningPort(facts: Facts, line: 1 | 2, value: string, owner: Part): Part {
  const container = owner.containerId === undefined ? undefined : facts.byId.get(owner.containerId);
  const listens =
    container !== undefined &&
    (facts.recording.insides[container.Id]?.listening.includes(Number(value)) === true ||
      container.Config.ExposedPorts?.[`${value}/tcp`] !== undefined);
  const elsewhere = container === undefined && owner.node !== undefined && owner.service !== undefined;
  if (!listens && !elsewhere) return { line, end: 'to', kind: 'port', value, role: 'unknown', text: say.notListening };
  const service = container === undefined ? (owner.service ?? '') : serviceOf(container);
  const published = container === undefined ? [] : bindings(container, value);
  return {
    line,
    end: 'to',
    kind: 'port',
    value,
    role: 'listening',
    network: owner.network,
    containerId: container?.Id ?? owner.containerId,
    container: container?.Name.replace(/^\//, '') ?? owner.container,
    service,
    node: owner.node,
    published,
    text: container === undefined ? say.remoteListening(service, owner.node ?? '') : say.listening(service, published),
  };
}

/**
 * Line 1's start when it is this tool's own end: a node of a swarm forwards
 * its host-mode port by NAT, which keeps the source of a connection from
 * another machine (the host running this tool is not the node).
 */
function clientEnd(facts: Facts, fromAddress: string, fromPort: string, network: string | undefined): Part[] | undefined {
  if (facts.forwarding.kind !== 'node') return undefined;
  const { node } = facts.forwarding;
  return [
    { line: 1, end: 'from', kind: 'address', value: canonical(fromAddress), role: 'client', network, text: say.clientAddress(node) },
    { line: 1, end: 'from', kind: 'port', value: fromPort, role: 'client', network, text: say.clientPort },
  ];
}

/** Whether line 1 starts at this tool's own end: a node forwarded the connection by NAT, which kept its source. */
function keptClient(first: RegExpExecArray | null, recording: Recording): boolean {
  const { client } = recording.ask;
  return first !== null && canonical(first[1] ?? '') === canonical(client.address) && Number(first[2]) === client.port;
}

/**
 * Line 1 as another node of the swarm answered it: its docker_gwbridge and
 * its task of service1, which this engine does not see.
 */
function remoteFirstLine(
  facts: Facts,
  nodes: Nodes,
  [, fromAddress = '', fromPort = '', toAddress = '', toPort = '']: RegExpExecArray,
): Part[] {
  const node = nodes.answering.hostname;
  const task = nodes.swarm.tasks.find((candidate) => candidate.service === 'service1' && candidate.nodeId === nodes.answering.id);
  const on = { network: 'docker_gwbridge', node };
  const own = { containerId: task?.containerId, container: task?.name, service: 'service1' };
  const published = [endpoint(nodes.answering.address, facts.recording.port)];
  const from: Part[] = clientEnd(facts, fromAddress, fromPort, 'docker_gwbridge') ?? [
    { line: 1, end: 'from', kind: 'address', value: canonical(fromAddress), role: 'gateway', ...on, text: say.remoteGateway(node) },
    { line: 1, end: 'from', kind: 'port', value: fromPort, role: 'ephemeral', ...on, text: say.remoteFromPort(node) },
  ];
  return [
    ...from,
    {
      line: 1,
      end: 'to',
      kind: 'address',
      value: canonical(toAddress),
      role: 'container',
      ...on,
      ...own,
      text: say.remoteTask(task?.name, node),
    },
    {
      line: 1,
      end: 'to',
      kind: 'port',
      value: toPort,
      role: 'listening',
      ...on,
      ...own,
      published,
      text: say.listening('service1', published),
    },
  ];
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
    const text = say.gateway(gateway.Name, subnets(gateway), bridge);
    address = { line: 1, end: 'from', kind: 'address', value: from, role: 'gateway', network: gateway.Name, interface: bridge, text };
  }
  const text = forwardingWords(forwarding).fromPort(fromPort, ask.client.port, range(host.portRange));
  const port: Part = { line: 1, end: 'from', kind: 'port', value: fromPort, role: 'ephemeral', network: gateway?.Name, text };
  return [...(clientEnd(facts, fromAddress, fromPort, to.network) ?? [address, port]), to, listeningPort(facts, 1, toPort, to)];
}

/** Line 2: the connection service1 opened to service2 (to one replica of it, under Swarm). */
function secondLine(facts: Facts, [, fromAddress = '', fromPort = '', toAddress = '', toPort = '']: RegExpExecArray): Part[] {
  const swarm = facts.stack.kind === 'swarm';
  const from = containerAddress(facts, { line: 2, end: 'from' }, canonical(fromAddress));
  const target = facts.attachments.find((a) => a.addresses.includes(canonical(toAddress)));
  const others =
    facts.nodes !== undefined
      ? otherReplicas(facts.nodes, canonical(toAddress))
      : swarm && target !== undefined
        ? facts.attachments
            .filter(
              (a) => a !== target && a.network === target.network && a.container !== undefined && serviceName(a) === serviceName(target),
            )
            .map((a) => say.replica(a.addresses.join(' '), a.name))
            .toSorted(byNumber)
        : [];
  const answered = say.answeredOf(others);
  const to = containerAddress(facts, { line: 2, end: 'to' }, canonical(toAddress), answered);
  const inside = from.containerId === undefined ? undefined : facts.recording.insides[from.containerId];
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
    text: say.callerPort(from.service, range(inside?.portRange), swarm),
  };
  return [from, port, to, listeningPort(facts, 2, toPort, to)];
}

/** The replicas of the one at `address` but that one, each with its node. */
function otherReplicas(nodes: Nodes, address: string): string[] {
  const target = nodes.swarm.tasks.find((task) => taskNetwork(task, address) !== undefined);
  if (target === undefined) return [];
  return nodes.swarm.tasks
    .filter((task) => task !== target && task.service === target.service)
    .map((task) => say.replicaOnNode(Object.values(task.addresses).flat().join(' '), task.name, hostnameOf(nodes, task.nodeId)))
    .toSorted(byNumber);
}

/** Every part on a swarm of several nodes says which node it is on: the container's, or, for the host's side, the node asked. */
function onNodes(parts: readonly Part[], facts: Facts): Part[] {
  const nodes = facts.nodes;
  if (nodes === undefined) return [...parts];
  return parts.map((part) => {
    if (part.node !== undefined) return part;
    const task = nodes.swarm.tasks.find((candidate) => part.containerId !== undefined && candidate.containerId === part.containerId);
    return { ...part, node: task === undefined ? nodes.answering.hostname : hostnameOf(nodes, task.nodeId) };
  });
}

/** Turns a recorded run into the explanation of each address and port of its answer. */
export function explain(recording: Recording): Explanation {
  const publisher = recording.containers.find((container) => publishes(container, recording.port));
  if (publisher === undefined) throw new Error(`no container of the recording publishes port ${recording.port}`);
  const byId = new Map(recording.containers.map((container) => [container.Id, container]));
  const nodes = nodesOf(recording);
  // Another node answered: how it forwards its port is out of sight from here, unless the answer shows it.
  const remote = nodes !== undefined && nodes.answering.id !== nodes.local.id ? nodes : undefined;
  const lines = recording.ask.body.replace(/\n$/, '').split('\n');
  const first = LINE.exec(lines[0] ?? '');
  const second = LINE.exec(lines[1] ?? '');
  const forwarding: Forwarding =
    nodes !== undefined && keptClient(first, recording)
      ? { kind: 'node', node: nodes.answering.hostname }
      : remote === undefined
        ? forwardingOf(recording.host, recording.engine)
        : { kind: 'unknown' };
  const facts: Facts = { recording, stack: stackOf(publisher), forwarding, byId, attachments: attachmentsOf(recording, byId), nodes };
  const { stack } = facts;

  const line1 = first === null ? [] : remote === undefined ? firstLine(facts, first) : remoteFirstLine(facts, remote, first);
  const parts = onNodes([...line1, ...(second === null ? [] : secondLine(facts, second))], facts);
  const headings = [
    first === null ? say.notAGreeting : forwardingWords(forwarding).heading,
    ...(second !== null
      ? [say.secondLine(stack.kind === 'swarm')]
      : lines[1] === undefined
        ? []
        : [say.serviceOneOwnWords(recording.ask.status)]),
  ];
  return {
    ask: recording.ask,
    lines,
    stack,
    forwarding,
    summary: nodes === undefined ? summaryOf(recording, stack, forwarding, publisher) : nodesSummary(recording, stack, nodes),
    headings,
    parts,
    absent: [...notes(recording, stack, forwarding, facts.attachments, parts), ...(nodes === undefined ? [] : [nodesNote(nodes)])],
    why: whyOf(recording, stack, forwarding, parts),
  };
}

function summaryOf(recording: Recording, stack: Stack, forwarding: Forwarding, publisher: ContainerJson): string {
  const { by } = forwardingWords(forwarding);
  const { version, os, rootless } = recording.engine;
  const engine = say.engine(version, rootless, os);
  if (stack.kind === 'compose') {
    const front = say.frontEnd(stack.cli, stack.version);
    return say.composeSummary(engine, stack.name, front, stack.cli, publisher.Name.replace(/^\//, ''), recording.port, by);
  }
  const count = new Map<string, number>();
  for (const container of recording.containers) count.set(serviceOf(container), (count.get(serviceOf(container)) ?? 0) + 1);
  const tasks = [...count].map(([service, n]) => say.tasks(service, n)).join(', ');
  return say.swarmSummary(engine, stack.name, tasks, recording.port, by);
}

function nodesSummary(recording: Recording, stack: Stack, nodes: Nodes): string {
  const { version, os, rootless } = recording.engine;
  const { answering, local } = nodes;
  return say.nodesSummary(say.engine(version, rootless, os), stack.name, nodes.swarm.nodes.length, answering, local, recording.port);
}

/** Where every task runs, and what is out of sight from the engine read. */
function nodesNote(nodes: Nodes): Note {
  const where = (service: string): string[] =>
    nodes.swarm.tasks
      .filter((task) => task.service === service)
      .map((task) => `${task.name} on ${hostnameOf(nodes, task.nodeId)}`)
      .toSorted(byNumber);
  return {
    subject: 'nodes',
    text: say.nodes(
      nodes.swarm.nodes.map((node) => `${node.hostname} ${node.address}`),
      where('service1'),
      where('service2'),
      nodes.local.hostname,
    ),
  };
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
    subject: say.hostPortSubject(port),
    text: say.hostPort(forwardingWords(forwarding).hostPort(target)),
  });
  const server = endpoint(ask.server.address, ask.server.port);
  out.push({
    subject: endpoint(ask.client.address, ask.client.port),
    text: say.client(forwardingWords(forwarding).client(server)),
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
    out.push({ subject: service, text: say.publishesNoPort(ports) });
  }
  const networkOf = (line: 1 | 2): string | undefined =>
    parts.find((p) => p.line === line && p.end === 'to' && p.kind === 'address')?.network;
  // What an IPv6-enabled network changes in the answer: which family each line is in.
  const ipv6Remark = (name: string): string => {
    if (name === networkOf(1) && forwarding.kind === 'docker-proxy') {
      const six = forwarding.listeners.find((l) => l.target.startsWith('['));
      return six === undefined ? say.ipv6ProxyOverIpv4 : say.ipv6ProxyOverIpv6(six.pid, six.listen, six.target);
    }
    if (name === networkOf(2)) return say.ipv6BothFamilies;
    return '';
  };
  const inAnswer = new Set(parts.flatMap((part) => (part.network === undefined ? [] : [part.network])));
  for (const network of recording.networks) {
    const members = attachments.filter((a) => a.network === network && a.container !== undefined);
    const who = byService(members);
    const ipv6 = network.EnableIPv6 ? say.ipv6Enabled(ipv6Remark(network.Name)) : '';
    if (network.Internal) {
      out.push({ subject: network.Name, text: say.internalNetwork(subnets(network), who, ipv6) });
    } else if (!inAnswer.has(network.Name)) {
      out.push({ subject: network.Name, text: say.networkOffPath(kindOf(network), who, network.Driver === 'overlay', ipv6) });
    } else if (ipv6 !== '') {
      out.push({ subject: network.Name, text: say.networkOnPath(kindOf(network), who, ipv6) });
    }
  }
  if (stack.kind === 'swarm') out.push({ subject: 'ingress', text: say.ingress });
  return out;
}

function whyOf(recording: Recording, stack: Stack, forwarding: Forwarding, parts: readonly Part[]): string {
  const gateway = parts.find((part) => part.line === 1 && part.end === 'from' && part.kind === 'address');
  const to = parts.find((part) => part.line === 1 && part.end === 'to' && part.kind === 'address');
  const toPort = parts.find((part) => part.line === 1 && part.end === 'to' && part.kind === 'port');
  if (gateway === undefined || to === undefined || toPort === undefined) return say.noGreeting;
  const { client, server } = recording.ask;
  const service1 = endpoint(to.value, toPort.value);
  if (gateway.role === 'client') return say.whyKept(forwardingWords(forwarding).why(server, service1, ''));
  const named = gateway.interface === undefined || gateway.interface === gateway.network;
  const bridge = say.bridge(gateway.network ?? '', named ? undefined : gateway.interface);
  const why = forwardingWords(forwarding).why(server, service1, bridge);
  return `${say.whyHead(gateway.value, client.address)} ${why}${say.whyTail(stack.kind === 'swarm')}`;
}
