// npm run explain as a library, for the e2e tests: explain the live stack,
// and the reader and types it is made of.
import type { Explanation } from './types.ts';
import { explain } from './naming/explain.ts';
import { ExplainError } from './reading/engine-api.ts';
import { record } from './reading/record.ts';

export type { ContainerJson, Explanation, NetworkJson, Note, Part, Recording, TaskJson } from './types.ts';
export { explain } from './naming/explain.ts';
export { canonical } from './naming/networks.ts';
export { ExplainError } from './reading/engine-api.ts';
export { hostFacts } from './reading/host.ts';
export { record } from './reading/record.ts';

/** The host port service1 is published on: SERVICE1_PORT, as docker-compose.yaml and docker-stack.yaml read it, or 8001. */
export function publishedPort(env: Readonly<Record<string, string | undefined>> = process.env): number {
  const raw = env['SERVICE1_PORT'] || '8001';
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < 1 || port > 65_535) throw new ExplainError(`SERVICE1_PORT must be a port number 1-65535, got "${raw}"`);
  return port;
}

/** Where to ask service1: SERVICE1_HOST (one node of a swarm of several, say), or localhost. */
export function serviceHost(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return env['SERVICE1_HOST'] || 'localhost';
}

/** Asks the stack published on `port` of `host` once and explains its answer. */
export async function explainStack(port: number = publishedPort(), host: string = serviceHost()): Promise<Explanation> {
  return explain(await record(port, host));
}
