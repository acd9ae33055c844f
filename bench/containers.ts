// What the benchmarks run in Docker: the stack under a project of their own,
// published on BENCH_PORT, and the bare references in containers of the base image.
import { integer } from '@two-services/service-kit';
import { run, waitForOk } from '../harness/docker.ts';
import { referencePath } from './processes.ts';

/** The base image both Dockerfiles name, which the references run in. */
export const BASE_IMAGE = 'node:26-trixie-slim';

/**
 * The host port the benchmarks publish their stacks on: BENCH_PORT, else
 * 28001, clear of a stack of your own on 8001 and below the ephemeral range,
 * where a flood's own connections could take it.
 */
export function benchPort(env: NodeJS.ProcessEnv = process.env): number {
  return integer(env, 'BENCH_PORT', 28_001, 1, 65_535);
}

const BARE = 'perf-bench-bare-hop';
const RELAY = 'perf-bench-bare-relay';
/** The containers of the bare relay: the relay, published, and the bare hop behind it. */
export const BARE_RELAY_CONTAINERS = [RELAY, BARE] as const;
const RELAY_NETWORK = 'perf-bench-relay';

/** Runs a reference in a container of the base image, as the images run the services, with Node's defaults. */
async function runReference(name: string, script: 'reference-server' | 'reference-relay', args: readonly string[]): Promise<void> {
  const source = ['-v', `${referencePath(script)}:/bench/${script}.mjs:ro`];
  const command = [BASE_IMAGE, 'node', `/bench/${script}.mjs`];
  await run('docker', ['run', '-d', '--name', name, '--user', 'node', '-e', 'HOST=0.0.0.0', ...args, ...source, ...command]);
}

/** A bare hop in a container, published like service1; resolves to its URL once it answers. */
export async function startBareContainer(port: number): Promise<string> {
  await removeReferences();
  await runReference(BARE, 'reference-server', ['-e', 'PORT=8001', '-p', `${port}:8001`]);
  const url = `http://localhost:${port}/`;
  await waitForOk(url, 30_000);
  return url;
}

/** The bare relay published like service1, in front of a bare hop on a network of their own, as service2 is. */
export async function startBareRelay(port: number): Promise<string> {
  await removeReferences();
  await run('docker', ['network', 'create', RELAY_NETWORK]);
  await runReference(BARE, 'reference-server', ['-e', 'PORT=8002', '--network', RELAY_NETWORK]);
  const relay = ['-e', 'PORT=8001', '-e', `UPSTREAM=http://${BARE}:8002/`, '--network', RELAY_NETWORK, '-p', `${port}:8001`];
  await runReference(RELAY, 'reference-relay', relay);
  const url = `http://localhost:${port}/`;
  await waitForOk(url, 30_000);
  return url;
}

export async function removeReferences(): Promise<void> {
  await run('docker', ['rm', '-f', BARE, RELAY]);
  // Absent unless the relay ran.
  await run('docker', ['network', 'rm', RELAY_NETWORK]).catch(() => undefined);
}
