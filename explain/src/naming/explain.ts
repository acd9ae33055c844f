// The naming half of explain: a Recording in, the explanation of every
// address and port of its answer out. No I/O here, so that the unit tests
// can replay recorded runs.
import type { ContainerJson, Explanation, Forwarding, Recording } from '../types.ts';
import { families } from './families.ts';
import { forwardingOf, forwardingWords } from './forwarding.ts';
import type { Indexed } from './indexed.ts';
import { nodesOf } from './indexed.ts';
import { firstLine, secondLine } from './lines.ts';
import { attachmentsOf, canonical, endpoint, kindOf, publishes, serviceOf, stackOf } from './networks.ts';
import { notes, partAt } from './notes.ts';
import { sentence } from './sentences.ts';
import { nodesNote, onNodes, remoteFirstLine } from './swarm.ts';

const LINE = /^Hello from (\[[0-9a-f:.]+\]|[0-9.]+):(\d+) to (\[[0-9a-f:.]+\]|[0-9.]+):(\d+)$/i;

/** Whether line 1 starts at this tool's own end: a node forwarded the connection by NAT, which kept its source. */
function keptClient(first: RegExpExecArray | null, recording: Recording): boolean {
  const { client } = recording.ask;
  return first !== null && canonical(first[1] ?? '') === canonical(client.address) && Number(first[2]) === client.port;
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
        ? forwardingOf(recording, publisher)
        : { kind: 'unknown' };
  const words = forwardingWords(forwarding);
  const stack = stackOf(publisher);
  const facts: Indexed = { recording, stack, forwarding, words, byId, attachments: attachmentsOf(recording, byId), nodes };

  const line1 = first === null ? [] : remote === undefined ? firstLine(facts, first) : remoteFirstLine(facts, remote, first);
  const parts = onNodes([...line1, ...(second === null ? [] : secondLine(facts, second))], nodes);
  const headings = [
    first === null ? sentence.notAGreeting : words.heading,
    ...(second !== null ? [sentence.secondLine()] : lines[1] === undefined ? [] : [sentence.serviceOneOwnWords(recording.ask.status)]),
  ];
  return {
    ask: recording.ask,
    lines,
    stack,
    forwarding,
    where: whereOf(recording, forwarding),
    summary: summaryOf(facts, publisher),
    headings,
    parts,
    absent: [...notes(facts, parts), ...(nodes === undefined ? [] : [nodesNote(nodes)])],
    families: families(facts, parts),
    networks: Object.fromEntries(recording.networks.map((network) => [network.Name, kindOf(network)])),
    why: whyOf(facts, parts),
  };
}

function summaryOf({ recording, stack, words, nodes }: Indexed, publisher: ContainerJson): string {
  const { version, os, rootless, kind = 'docker' } = recording.engine;
  const engine = sentence.engine(kind, version, rootless, os);
  if (nodes !== undefined)
    return sentence.nodesSummary(engine, stack.name, nodes.swarm.nodes.length, nodes.answering, nodes.local, recording.port);
  if (stack.kind === 'compose') {
    const front = sentence.frontEnd(stack.cli, stack.version);
    return sentence.composeSummary(engine, stack.name, front, publisher.Name.replace(/^\//, ''), recording.port, words.by);
  }
  const count = new Map<string, number>();
  for (const container of recording.containers) count.set(serviceOf(container), (count.get(serviceOf(container)) ?? 0) + 1);
  const tasks = [...count].map(([service, n]) => sentence.tasks(service, n)).join(', ');
  return sentence.swarmSummary(engine, stack.name, tasks, recording.port, words.by);
}

/** Where this tool ran, and how its connection differs from the reader's own curl, when it does. */
function whereOf({ ranIn = 'host', engine }: Recording, forwarding: Forwarding): string {
  if (ranIn === 'host') return '';
  if (engine.os === 'Docker Desktop') return sentence.ranInContainer(sentence.onDesktop);
  if (forwarding.kind === 'rootlesskit') return sentence.ranInContainer(sentence.insideRootlesskit);
  return sentence.ranInContainer(engine.kind === 'podman' && engine.rootless ? sentence.onRootlessPodman : '');
}

function whyOf({ recording, stack, words }: Indexed, parts: Explanation['parts']): string {
  const start = partAt(parts, 1, 'from', 'address');
  const to = partAt(parts, 1, 'to', 'address');
  const toPort = partAt(parts, 1, 'to', 'port');
  if (start === undefined || to === undefined || toPort === undefined) return sentence.noGreeting;
  const { client, server } = recording.ask;
  const service1 = endpoint(to.value, toPort.value);
  if (start.role === 'client') return sentence.whyKept(words.why(server, service1, ''));
  const named = start.interface === undefined || start.interface === start.network;
  const bridge = sentence.bridge(start.network ?? '', named ? undefined : start.interface);
  return `${sentence.whyHead(start.value, client.address)} ${words.why(server, service1, bridge)}${sentence.whyTail(stack.kind === 'swarm')}`;
}
