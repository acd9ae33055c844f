// The three TCP connections of one answer as a mermaid flowchart, drawn from
// the explanation itself, so that the picture and the table beside it say
// the same of the same run.
import type { Explanation, Part } from '../types.ts';
import { endpoint } from '../naming/networks.ts';
import { partAt } from '../naming/notes.ts';

/** A node's label: quoted, and free of what mermaid reads as markup. */
function label(...rows: ReadonlyArray<string | undefined>): string {
  return `"${rows
    .filter((row) => row !== undefined && row !== '')
    .join('<br/>')
    .replaceAll('"', '#quot;')}"`;
}

function where(part: Part | undefined): string {
  return part === undefined ? '' : [part.service, part.interface].filter(Boolean).join(' · ');
}

function connection(from: Part | undefined, fromPort: Part | undefined, to: Part | undefined, toPort: Part | undefined): string {
  if (from === undefined || fromPort === undefined || to === undefined || toPort === undefined) return '';
  return `${endpoint(from.value, fromPort.value)} → ${endpoint(to.value, toPort.value)}`;
}

/** The picture, as a fenced mermaid block. */
export function picture(explanation: Explanation): string {
  const { ask, forwarding } = explanation;
  const [start, startPort, service1, service1Port] = (['from', 'to'] as const).flatMap((end) =>
    (['address', 'port'] as const).map((kind) => partAt(explanation.parts, 1, end, kind)),
  );
  const [caller, callerPort, service2, service2Port] = (['from', 'to'] as const).flatMap((end) =>
    (['address', 'port'] as const).map((kind) => partAt(explanation.parts, 2, end, kind)),
  );
  const forwarder = forwarding.kind === 'nat' ? 'NAT rules, no process' : forwarding.kind;
  const network = (name: string | undefined): string => (name === undefined ? 'network' : `${name} · ${explanation.networks[name] ?? ''}`);
  const out = [
    '```mermaid',
    'flowchart LR',
    '  subgraph host["the host"]',
    `    client[${label('this tool, or curl', endpoint(ask.client.address, ask.client.port))}]`,
    `    forward[${label(forwarder, `the host's port ${ask.server.port}`)}]`,
    '  end',
    `  subgraph front[${label(`${network(service1?.network)}${start?.role === 'gateway' ? ` · gateway ${start.value}` : ''}`)}]`,
    `    s1front[${label(where(service1), service1 === undefined ? undefined : endpoint(service1.value, service1Port?.value ?? ''))}]`,
    '  end',
  ];
  if (caller !== undefined && service2 !== undefined) {
    out.push(
      `  subgraph back[${label(network(service2.network))}]`,
      `    s1back[${label(where(caller), caller.value)}]`,
      `    s2[${label(where(service2), endpoint(service2.value, service2Port?.value ?? ''))}]`,
      '  end',
    );
  }
  out.push(
    `  client -- ${label(`TCP 1: ${endpoint(ask.client.address, ask.client.port)} → ${endpoint(ask.server.address, ask.server.port)}`)} --> forward`,
    `  forward -- ${label(`TCP 2, line 1: ${connection(start, startPort, service1, service1Port)}`)} --> s1front`,
  );
  if (caller !== undefined && service2 !== undefined) {
    out.push(
      '  s1front -. "one container" .- s1back',
      `  s1back -- ${label(`TCP 3, line 2: ${connection(caller, callerPort, service2, service2Port)}`)} --> s2`,
    );
  }
  out.push('```');
  return out.join('\n');
}
