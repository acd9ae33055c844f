// The recording, indexed for the questions the explanation asks of it.
import type { ContainerJson, Forwarding, NodeFacts, Part, Recording, Stack, SwarmFacts } from '../types.ts';
import type { ForwardingWords } from './forwarding.ts';
import { canonical } from './networks.ts';
import type { Attachment } from './networks.ts';

/** On a swarm of several nodes: what the manager says, the node that answered and the node whose engine was read. */
export interface Nodes {
  readonly swarm: SwarmFacts;
  readonly answering: NodeFacts;
  readonly local: NodeFacts;
}

/** The recording, indexed. */
export interface Indexed {
  readonly recording: Recording;
  readonly stack: Stack;
  readonly forwarding: Forwarding;
  readonly words: ForwardingWords;
  readonly byId: ReadonlyMap<string, ContainerJson>;
  readonly attachments: readonly Attachment[];
  readonly nodes: Nodes | undefined;
}

/** Where a part is in the answer. */
export type Place = Pick<Part, 'line' | 'end'>;

/** The nodes, where the recording has them; the node asked is the one whose address the answer came from. */
export function nodesOf(recording: Recording): Nodes | undefined {
  const swarm = recording.swarm;
  if (swarm === undefined) return undefined;
  const local = swarm.nodes.find((node) => node.id === swarm.localNodeId);
  if (local === undefined) return undefined;
  const answering = swarm.nodes.find((node) => node.address === canonical(recording.ask.server.address)) ?? local;
  return { swarm, answering, local };
}
