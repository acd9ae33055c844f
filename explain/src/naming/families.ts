// Which address family each of the three connections used, and why: said
// where IPv6 is in play (a network has it, or this tool came over it).
import type { Part } from '../types.ts';
import type { Indexed } from './indexed.ts';
import { canonical, endpoint, familyOf } from './networks.ts';
import { partAt } from './notes.ts';
import { join, sentence } from './sentences.ts';

/** The first connection: this tool's, to the host port. */
function first(facts: Indexed): string {
  const { ask } = facts.recording;
  const host = new URL(ask.url).hostname.replace(/^\[(.*)\]$/, '$1');
  const server = canonical(ask.server.address);
  const refused = ask.refused ?? [];
  return sentence.firstFamily(familyOf(server), endpoint(server, ask.server.port), host, refused);
}

/** Line 1's connection: who opened it, and over which family. */
function line1(facts: Indexed, to: Part): string {
  const family = familyOf(to.value);
  const { forwarding, recording } = facts;
  const server = canonical(recording.ask.server.address);
  if (forwarding.kind === 'docker-proxy' || forwarding.kind === 'rootlesskit') {
    const listener = forwarding.listeners.find((l) => l.listen.startsWith('[') === (familyOf(server) === 'IPv6'));
    const network = recording.networks.find((candidate) => candidate.Name === to.network);
    if (listener !== undefined)
      return sentence.proxyFamily(family, listener.pid, listener.listen, listener.target, network?.EnableIPv6 === true);
  }
  if (forwarding.kind === 'nat') return sentence.natFamily(family);
  return sentence.lineFamily(1, family);
}

/** Line 2's connection: the family service1 calls service2 at, as its resolver lists it. */
function line2(facts: Indexed, from: Part, to: Part): string {
  const family = familyOf(to.value);
  const resolved = from.containerId === undefined ? undefined : facts.recording.insides[from.containerId]?.resolved;
  if (resolved == null) return sentence.lineFamily(2, family);
  const families = new Set(resolved.addresses.map(familyOf));
  return families.size > 1
    ? sentence.firstOfBoth(family, resolved.name, resolved.addresses)
    : sentence.onlyFamily(family, resolved.name, join(resolved.addresses));
}

/** A sentence for each connection, where IPv6 is in play; none where everything is IPv4. */
export function families(facts: Indexed, parts: readonly Part[]): string[] {
  const { recording } = facts;
  const inPlay =
    recording.networks.some((network) => network.EnableIPv6) ||
    familyOf(recording.ask.server.address) === 'IPv6' ||
    (recording.ask.refused ?? []).length > 0;
  if (!inPlay) return [];
  const to1 = partAt(parts, 1, 'to', 'address');
  const from2 = partAt(parts, 2, 'from', 'address');
  const to2 = partAt(parts, 2, 'to', 'address');
  return [
    first(facts),
    ...(to1 === undefined ? [] : [line1(facts, to1)]),
    ...(from2 === undefined || to2 === undefined ? [] : [line2(facts, from2, to2)]),
  ];
}
