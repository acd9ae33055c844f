// npm run explain as a library, for the e2e tests: explain the live stack,
// and the facts and reader it is made of.
import { ExplainError, record } from './engine.ts';
import { explain } from './model.ts';
import type { Explanation } from './facts.ts';

export { ExplainError, hostFacts } from './engine.ts';
export { canonical } from './model.ts';
export { explain } from './model.ts';
export type { ContainerJson, Explanation, NetworkJson, Note, Part, Recording, TaskJson } from './facts.ts';

/** The host port service1 is published on: SERVICE1_PORT, as docker-compose.yaml and docker-stack.yaml read it, or 8001. */
export function publishedPort(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env['SERVICE1_PORT'] || '8001';
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < 1 || port > 65_535) throw new ExplainError(`SERVICE1_PORT must be a port number 1-65535, got "${raw}"`);
  return port;
}

/** Where to ask service1: SERVICE1_HOST (one node of a swarm of several, say), or localhost. */
export function serviceHost(env: NodeJS.ProcessEnv = process.env): string {
  return env['SERVICE1_HOST'] || 'localhost';
}

/** Asks the stack published on `port` of `host` once and explains its answer. */
export async function explainStack(port: number = publishedPort(), host: string = serviceHost()): Promise<Explanation> {
  return explain(await record(port, host));
}
