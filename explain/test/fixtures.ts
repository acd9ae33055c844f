// The recorded runs the unit tests explain (fixtures/, described in
// fixtures/README.md), and what the tests ask of an explanation.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Explanation, Part, Recording } from '../src/types.ts';

export const FIXTURES = fileURLToPath(new URL('fixtures/', import.meta.url));

export function recorded(name: string): Recording {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Recording;
}

/** The recording with another answer, as if the stack had answered that. */
export function answering(recording: Recording, body: string, status = 200): Recording {
  return { ...recording, ask: { ...recording.ask, body, status } };
}

export function part(explanation: Explanation, line: 1 | 2, end: 'from' | 'to', kind: 'address' | 'port'): Part {
  const found = explanation.parts.find((p) => p.line === line && p.end === end && p.kind === kind);
  assert.ok(found, `no part for line ${line}, ${end} ${kind}`);
  return found;
}

/** The fields a reader checks against the engine's inspect. */
export function summary(p: Part): Record<string, unknown> {
  return { value: p.value, role: p.role, network: p.network, container: p.container, interface: p.interface };
}
