// On a swarm of several nodes: what the manager says of tasks this engine
// does not run, line 1 as another node answered it, and where each task runs.
import type { Note, Part, TaskFacts } from '../types.ts';
import type { Indexed, Nodes, Place } from './indexed.ts';
import { byNumber, canonical, endpoint, flags } from './networks.ts';
import { sentence } from './sentences.ts';

/** The overlay network on which a task has `address`, if it has it. */
function taskNetwork(task: TaskFacts, address: string): string | undefined {
  return Object.entries(task.addresses).find(([, addresses]) => addresses.map(canonical).includes(address))?.[0];
}

function hostnameOf(nodes: Nodes, id: string): string {
  return nodes.swarm.nodes.find((node) => node.id === id)?.hostname ?? id;
}

/** An address of a task on any node, from what the manager says: for the containers this engine does not run. */
export function taskAddress(facts: Indexed, place: Place, address: string, extra: string): Part | undefined {
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
      text: sentence.taskAddress(task.service, task.name, node, network, attached === undefined ? '' : flags(attached), extra),
    };
  }
  return undefined;
}

/**
 * Line 1's start when it is this tool's own end: a node of a swarm forwards
 * its host-mode port by NAT, which keeps the source of a connection from
 * another machine (the host running this tool is not the node).
 */
export function clientEnd(facts: Indexed, fromAddress: string, fromPort: string, network: string | undefined): Part[] | undefined {
  if (facts.forwarding.kind !== 'node') return undefined;
  const { node } = facts.forwarding;
  return [
    { line: 1, end: 'from', kind: 'address', value: canonical(fromAddress), role: 'client', network, text: sentence.clientAddress(node) },
    { line: 1, end: 'from', kind: 'port', value: fromPort, role: 'client', network, text: sentence.clientPort },
  ];
}

/**
 * Line 1 as another node of the swarm answered it: its docker_gwbridge and
 * its task of service1, which this engine does not see.
 */
export function remoteFirstLine(
  facts: Indexed,
  nodes: Nodes,
  [, fromAddress = '', fromPort = '', toAddress = '', toPort = '']: RegExpExecArray,
): Part[] {
  const node = nodes.answering.hostname;
  const task = nodes.swarm.tasks.find((candidate) => candidate.service === 'service1' && candidate.nodeId === nodes.answering.id);
  const on = { network: 'docker_gwbridge', node };
  const own = { containerId: task?.containerId, container: task?.name, service: 'service1' };
  const published = [endpoint(nodes.answering.address, facts.recording.port)];
  const from: Part[] = clientEnd(facts, fromAddress, fromPort, 'docker_gwbridge') ?? [
    { line: 1, end: 'from', kind: 'address', value: canonical(fromAddress), role: 'gateway', ...on, text: sentence.remoteGateway(node) },
    { line: 1, end: 'from', kind: 'port', value: fromPort, role: 'ephemeral', ...on, text: sentence.remoteFromPort(node) },
  ];
  const to = { line: 1, end: 'to', ...on, ...own } as const;
  return [
    ...from,
    { ...to, kind: 'address', value: canonical(toAddress), role: 'container', text: sentence.remoteTask(task?.name, node) },
    { ...to, kind: 'port', value: toPort, role: 'listening', published, text: sentence.listening('service1', published) },
  ];
}

/** The replicas of the one at `address` but that one, each with its node. */
export function otherReplicas(nodes: Nodes, address: string): string[] {
  const target = nodes.swarm.tasks.find((task) => taskNetwork(task, address) !== undefined);
  if (target === undefined) return [];
  return nodes.swarm.tasks
    .filter((task) => task !== target && task.service === target.service)
    .map((task) => sentence.replicaOnNode(Object.values(task.addresses).flat().join(' '), task.name, hostnameOf(nodes, task.nodeId)))
    .toSorted(byNumber);
}

/** Every part on a swarm of several nodes says which node it is on: the container's, or, for the host's side, the node asked. */
export function onNodes(parts: readonly Part[], nodes: Nodes | undefined): Part[] {
  if (nodes === undefined) return [...parts];
  return parts.map((part) => {
    if (part.node !== undefined) return part;
    const task = nodes.swarm.tasks.find((candidate) => part.containerId !== undefined && candidate.containerId === part.containerId);
    return { ...part, node: task === undefined ? nodes.answering.hostname : hostnameOf(nodes, task.nodeId) };
  });
}

/** Where every task runs, and what is out of sight from the engine read. */
export function nodesNote(nodes: Nodes): Note {
  const where = (service: string): string[] =>
    nodes.swarm.tasks
      .filter((task) => task.service === service)
      .map((task) => `${task.name} on ${hostnameOf(nodes, task.nodeId)}`)
      .toSorted(byNumber);
  return {
    subject: 'nodes',
    text: sentence.nodes(
      nodes.swarm.nodes.map((node) => `${node.hostname} ${node.address}`),
      where('service1'),
      where('service2'),
      nodes.local.hostname,
    ),
  };
}
