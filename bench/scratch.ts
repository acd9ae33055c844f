import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let scratchDir: string | undefined;

/** A directory of this run's own under the system's temporary one, for the files wrk and the processes write. */
export function scratch(): string {
  scratchDir ??= mkdtempSync(join(tmpdir(), 'bench-'));
  return scratchDir;
}
