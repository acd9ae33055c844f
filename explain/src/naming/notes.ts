// What the answer leaves out: the host port and who listens there, this
// tool's own end, the ports nothing publishes, the networks off its path.
import type { ContainerJson, Note, Part } from '../types.ts';
import type { Indexed } from './indexed.ts';
import { byService, endpoint, kindOf, serviceOf, subnets } from './networks.ts';
import { sentence } from './sentences.ts';

/** The part at one place of the answer. */
export function partAt(parts: readonly Part[], line: 1 | 2, end: 'from' | 'to', kind: 'address' | 'port'): Part | undefined {
  return parts.find((p) => p.line === line && p.end === end && p.kind === kind);
}

/** Every note of what the answer does not show. */
export function notes(facts: Indexed, parts: readonly Part[]): Note[] {
  const { recording, stack, words, attachments } = facts;
  const { ask, port } = recording;
  const address = partAt(parts, 1, 'to', 'address');
  const listening = partAt(parts, 1, 'to', 'port');
  const target = address === undefined || listening === undefined ? 'service1' : endpoint(address.value, listening.value);
  const out: Note[] = [
    { subject: sentence.hostPortSubject(port), text: sentence.hostPort(words.hostPort(target)) },
    {
      subject: endpoint(ask.client.address, ask.client.port),
      text: sentence.client(words.client(endpoint(ask.server.address, ask.server.port))),
    },
  ];
  const services = new Map<string, ContainerJson[]>();
  for (const container of recording.containers)
    services.set(serviceOf(container), [...(services.get(serviceOf(container)) ?? []), container]);
  for (const [service, containers] of services) {
    if (containers.some((container) => Object.values(container.NetworkSettings.Ports ?? {}).some((list) => (list ?? []).length > 0)))
      continue;
    const exposed = containers.flatMap((container) =>
      Object.keys(container.Config.ExposedPorts ?? {}).map((key) => key.split('/')[0] ?? key),
    );
    out.push({ subject: service, text: sentence.publishesNoPort([...new Set(exposed)]) });
  }
  const inAnswer = new Set(parts.flatMap((part) => (part.network === undefined ? [] : [part.network])));
  for (const network of recording.networks) {
    const who = byService(attachments.filter((a) => a.network === network && a.container !== undefined));
    if (network.Internal) out.push({ subject: network.Name, text: sentence.internalNetwork(subnets(network), who) });
    else if (!inAnswer.has(network.Name)) {
      out.push({ subject: network.Name, text: sentence.networkOffPath(kindOf(network), who, network.Driver === 'overlay') });
    } else if (network.EnableIPv6) out.push({ subject: network.Name, text: sentence.networkOnPath(kindOf(network), who) });
  }
  if (stack.kind === 'swarm') out.push({ subject: 'ingress', text: sentence.ingress });
  return out;
}
