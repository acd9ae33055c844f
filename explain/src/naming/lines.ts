// Every address and port of the two lines, named: which network, container
// and interface an address is, which port is listening and which ephemeral.
import type { NetworkJson, Part } from '../types.ts';
import type { Indexed, Place } from './indexed.ts';
import type { Attachment } from './networks.ts';
import {
  bindings,
  bridgeOf,
  byNumber,
  canonical,
  contains,
  familyOf,
  flags,
  gateways,
  serviceName,
  serviceOf,
  subnets,
} from './networks.ts';
import { range, sentence } from './sentences.ts';
import { clientEnd, otherReplicas, taskAddress } from './swarm.ts';

/** The interface inside the container that holds the address (or the endpoint's MAC). */
function interfaceOf(facts: Indexed, a: Attachment, address: string): string | undefined {
  const interfaces = facts.recording.insides[a.containerId]?.interfaces ?? {};
  for (const [name, addresses] of Object.entries(interfaces)) {
    if (addresses.some((entry) => canonical(entry.address) === address || (a.mac !== '' && entry.mac === a.mac))) return name;
  }
  return undefined;
}

/** What little can be said of an address no container here has. */
function unknownAddress(facts: Indexed, place: Place, address: string): Part {
  const network = facts.recording.networks.find((candidate) => contains(candidate, address));
  const text = network === undefined ? sentence.onNoNetwork : sentence.inSubnetOfNone(network.Name);
  return { ...place, kind: 'address', value: address, role: 'unknown', network: network?.Name, text };
}

/** The container, network and interface that have `address`. */
function containerAddress(facts: Indexed, place: Place, address: string, extra = ''): Part {
  const a = facts.attachments.find((candidate) => candidate.addresses.includes(address));
  if (a === undefined) return taskAddress(facts, place, address, extra) ?? unknownAddress(facts, place, address);
  const iface = interfaceOf(facts, a, address);
  const who = a.container === undefined ? a.name : sentence.serviceOfContainer(serviceName(a), a.name);
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
    text: sentence.containerAddress(who, iface, a.network.Name, flags(a.network), extra),
  };
}

/**
 * The port a connection reached: one its container listens on (from /proc
 * inside it, or the image's EXPOSE), or, for a task on another node, the one
 * its service listens on (the manager says what a task runs, not what it
 * listens on).
 */
function listeningPort(facts: Indexed, line: 1 | 2, value: string, owner: Part): Part {
  const container = owner.containerId === undefined ? undefined : facts.byId.get(owner.containerId);
  const listens =
    container !== undefined &&
    (facts.recording.insides[container.Id]?.listening.includes(Number(value)) === true ||
      container.Config.ExposedPorts?.[`${value}/tcp`] !== undefined);
  const elsewhere = container === undefined && owner.node !== undefined && owner.service !== undefined;
  if (!listens && !elsewhere) return { line, end: 'to', kind: 'port', value, role: 'unknown', text: sentence.notListening };
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
    text: container === undefined ? sentence.remoteListening(service, owner.node ?? '') : sentence.listening(service, published),
  };
}

/** Line 1's start where rootlessport connects from inside service1: one of service1's own addresses, and rootlessport's port. */
function ownStart(facts: Indexed, to: Part, from: string, fromPort: string): Part[] | undefined {
  if (facts.forwarding.kind !== 'rootlessport') return undefined;
  const own = containerAddress(facts, { line: 1, end: 'from' }, from);
  if (own.containerId === undefined || own.containerId !== to.containerId) return undefined;
  const same = own.network === to.network ? '' : sentence.otherNetworkOfOwn(own.network ?? '');
  const address: Part = { ...own, role: 'own', text: `${sentence.ownAddress(own.text)}${same}` };
  const text = facts.words.fromPort(fromPort, facts.recording.ask.client.port, '');
  const port: Part = { ...own, kind: 'port', value: fromPort, role: 'ephemeral', interface: undefined, text };
  return [address, port];
}

/** Line 1: the connection service1 accepted, from the gateway of the network its port is published through (or from itself). */
export function firstLine(facts: Indexed, [, fromAddress = '', fromPort = '', toAddress = '', toPort = '']: RegExpExecArray): Part[] {
  const { recording, words } = facts;
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
    const text = sentence.gateway(gateway.Name, subnets(gateway), bridge === undefined ? undefined : words.bridge(bridge));
    address = { line: 1, end: 'from', kind: 'address', value: from, role: 'gateway', network: gateway.Name, interface: bridge, text };
  }
  const text = words.fromPort(fromPort, ask.client.port, range(host.portRange));
  const port: Part = { line: 1, end: 'from', kind: 'port', value: fromPort, role: 'ephemeral', network: gateway?.Name, text };
  const start = clientEnd(facts, fromAddress, fromPort, to.network) ?? ownStart(facts, to, from, fromPort) ?? [address, port];
  return [...start, to, listeningPort(facts, 1, toPort, to)];
}

/** The other replicas of the one that has `address`: the containers of its service on its network, at addresses of its family. */
function otherContainers(facts: Indexed, address: string): string[] {
  const target = facts.attachments.find((a) => a.addresses.includes(address));
  if (target === undefined) return [];
  return facts.attachments
    .filter((a) => a !== target && a.network === target.network && a.container !== undefined && serviceName(a) === serviceName(target))
    .map((a) => sentence.replica(a.addresses.filter((other) => familyOf(other) === familyOf(address)).join(' '), a.name))
    .toSorted(byNumber);
}

/** Line 2: the connection service1 opened to service2 (to one replica of it, where it has several). */
export function secondLine(facts: Indexed, [, fromAddress = '', fromPort = '', toAddress = '', toPort = '']: RegExpExecArray): Part[] {
  const from = containerAddress(facts, { line: 2, end: 'from' }, canonical(fromAddress));
  const target = canonical(toAddress);
  const others = facts.nodes === undefined ? otherContainers(facts, target) : otherReplicas(facts.nodes, target);
  const to = containerAddress(facts, { line: 2, end: 'to' }, target, sentence.answeredOf(others));
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
    text: sentence.callerPort(from.service, range(inside?.portRange), others.length > 0),
  };
  return [from, port, to, listeningPort(facts, 2, toPort, to)];
}
