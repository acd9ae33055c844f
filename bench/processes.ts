// The processes the benchmarks start on 127.0.0.1: the services as their
// images start them, and the bare Node relay they are measured against; and
// what /proc says of a process's memory and CPU time.
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '@two-services/service-kit/testing';
import { ROOT } from '../harness/docker.ts';
import { scratch } from './scratch.ts';

const exec = promisify(execFile);

/** Where everything started here listens. */
export const HOST = '127.0.0.1';

/** A process started here, and the port of 127.0.0.1 it listens on. */
export interface Started {
  readonly child: ChildProcess;
  readonly port: number;
}

/** How a service's image starts it: the Dockerfile's CMD and ENV NODE_OPTIONS. */
export function imageStart(service: string): { command: string[]; nodeOptions: string } {
  const dockerfile = readFileSync(`${ROOT}${service}/Dockerfile`, 'utf8');
  const cmd = /^CMD\s+(\[.*\])\s*$/m.exec(dockerfile)?.[1];
  if (cmd === undefined) throw new Error(`${service}/Dockerfile has no exec-form CMD`);
  const nodeOptions = /^ENV\s+NODE_OPTIONS=("?)(.*)\1\s*$/m.exec(dockerfile)?.[2] ?? '';
  return { command: JSON.parse(cmd) as string[], nodeOptions };
}

const children: ChildProcess[] = [];

/** Starts node; its output goes to a file of its own, as a container's goes to Docker's log, not to a pipe to drain. */
function startNode(args: string[], cwd: string, env: Readonly<Record<string, string>>, log: string): ChildProcess {
  const out = openSync(join(scratch(), `${log}.log`), 'a');
  const child = spawn(process.execPath, args, { cwd, env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', out, out] });
  closeSync(out);
  children.push(child);
  return child;
}

/** Starts a service as its image does; `nodeOptions` replaces the Dockerfile's NODE_OPTIONS when given. */
function startAsImage(service: string, env: Readonly<Record<string, string>>, nodeOptions?: string): ChildProcess {
  const { command, nodeOptions: fromImage } = imageStart(service);
  if (command[0] !== 'node') throw new Error(`${service}/Dockerfile's CMD does not start node`);
  const log = `${service}-${env['LOG_LEVEL'] ?? 'info'}`;
  return startNode(command.slice(1), `${ROOT}${service}`, { ...env, NODE_OPTIONS: nodeOptions ?? fromImage }, log);
}

/** Compiles every package, as the images do, for the processes started here. */
export async function buildServices(): Promise<void> {
  await exec('npm', ['run', 'build'], { cwd: ROOT });
}

/**
 * Starts on free ports of 127.0.0.1 service2 and service1 in front of it,
 * built, each as its image starts it, both at `logLevel`; `nodeOptions`
 * replaces the Dockerfiles' NODE_OPTIONS when given.
 */
export async function startServices(nodeOptions: string | undefined, logLevel = 'info'): Promise<{ service2: Started; service1: Started }> {
  const [service2Port, service1Port] = [await freePort(), await freePort()];
  const service2 = startAsImage('service2', { PORT: String(service2Port), HOST, LOG_LEVEL: logLevel }, nodeOptions);
  const service1Env = { PORT: String(service1Port), HOST, LOG_LEVEL: logLevel, SERVICE2_URL: `http://${HOST}:${service2Port}/` };
  const service1 = startAsImage('service1', service1Env, nodeOptions);
  return { service2: { child: service2, port: service2Port }, service1: { child: service1, port: service1Port } };
}

/** One of the bare references, plain JavaScript: as .ts it would carry Node's type stripper, which the images' JavaScript does not. */
export function referencePath(name: 'reference-server' | 'reference-relay'): string {
  return `${ROOT}bench/${name}.mjs`;
}

/**
 * The reference: a bare Node relay in front of a bare Node server, both with
 * Node's defaults (no NODE_OPTIONS), so that the services' V8 flags count
 * against them.
 */
export async function startLocalRelay(): Promise<{ relay: Started; server: Started }> {
  const [serverPort, relayPort] = [await freePort(), await freePort()];
  const server = startNode([referencePath('reference-server')], ROOT, { PORT: String(serverPort), HOST }, 'bare-hop');
  const relayEnv = { PORT: String(relayPort), HOST, UPSTREAM: `http://${HOST}:${serverPort}/` };
  const relay = startNode([referencePath('reference-relay')], ROOT, relayEnv, 'bare-relay');
  return { relay: { child: relay, port: relayPort }, server: { child: server, port: serverPort } };
}

/**
 * Stops the processes started here, the last started first, each to its end:
 * service1 before the service2 it calls, so that its last requests do not
 * fail against a service2 already gone.
 */
export async function stopChildren(): Promise<void> {
  for (const child of children.toReversed()) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  }
}

/** Linux reports CPU time in /proc in ticks of 1/100 s (USER_HZ), whatever the kernel's own HZ. */
const TICKS_PER_SECOND = 100;

/** The CPU time, user and system, a process has used so far, in seconds. */
export function cpuSecondsOf(pid: number): number {
  // Fields after the parenthesized command name; utime and stime are the 14th and 15th of the line.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** A process's resident memory (VmRSS), in MB of 10^6 bytes. */
export function rssMB(pid: number): number {
  const kB = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  if (kB === undefined) throw new Error(`/proc/${pid}/status has no VmRSS`);
  return (Number(kB) * 1024) / 1e6;
}
