import { execFile } from 'node:child_process';
import { request } from 'node:http';
import type { Agent } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { publishedPort } from './explain.ts';

const exec = promisify(execFile);

/** The repository's root, where docker-compose.yaml is. */
export const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** What a finished command wrote. */
export interface Output {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to its end; rejects, with its stderr, when it exits non-zero. */
export async function run(file: string, args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<Output> {
  try {
    return await exec(file, args, { env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const { stderr = '' } = error as { stderr?: string };
    throw new Error(`${file} ${args.join(' ')} failed: ${(error as Error).message}\n${stderr}`, { cause: error });
  }
}

/** One of the two Compose front ends: `docker compose` (v2) or `docker-compose` (v1). */
export interface ComposeCli {
  readonly label: string;
  readonly file: string;
  readonly prefix: readonly string[];
}

const CANDIDATES: readonly ComposeCli[] = [
  { label: 'docker-compose (v1)', file: 'docker-compose', prefix: [] },
  { label: 'docker compose (v2)', file: 'docker', prefix: ['compose'] },
];

/** The Compose front ends installed here. */
export async function installedComposeClis(): Promise<ComposeCli[]> {
  const found: ComposeCli[] = [];
  for (const cli of CANDIDATES) {
    try {
      await run(cli.file, [...cli.prefix, 'version']);
      found.push(cli);
    } catch {
      // Not installed: the caller decides whether that is fine.
    }
  }
  return found;
}

/** The host port service1 is published on, as `npm run explain` reads it. */
export const SERVICE1_PORT = publishedPort();

/** service1 as the host reaches it. */
export const URL_ON_HOST = `http://localhost:${SERVICE1_PORT}/`;

/**
 * This repository's docker-compose.yaml (or `files`), run as one named
 * project with service1 published on `port` (SERVICE1_PORT for Compose).
 */
export class ComposeProject {
  readonly cli: ComposeCli;
  readonly name: string;
  readonly port: number;
  readonly files: readonly string[];

  constructor(cli: ComposeCli, name: string, port = SERVICE1_PORT, files: readonly string[] = [`${ROOT}docker-compose.yaml`]) {
    this.cli = cli;
    this.name = name;
    this.port = port;
    this.files = files;
  }

  /** service1 as the host reaches it. */
  get url(): string {
    return `http://localhost:${this.port}/`;
  }

  /** Runs a Compose subcommand on this project, with both services logging at `logLevel`. */
  run(args: readonly string[], logLevel = 'info'): Promise<Output> {
    const files = this.files.flatMap((file) => ['-f', file]);
    return run(this.cli.file, [...this.cli.prefix, ...files, '-p', this.name, ...args], {
      SERVICE1_PORT: String(this.port),
      LOG_LEVEL: logLevel,
    });
  }

  /** Starts, or recreates with another log level, and waits for a 200 through the published port. */
  async up(logLevel: string, flags: readonly string[] = []): Promise<string> {
    await this.run(['up', '-d', ...flags], logLevel);
    await waitForOk(this.url, 60_000);
    return this.url;
  }

  async down(): Promise<void> {
    await this.run(['down', '--remove-orphans', '--timeout', '5']);
  }

  /** The id of the one container of a service. */
  async containerId(service: string): Promise<string> {
    const id = (await this.run(['ps', '-q', service])).stdout.trim();
    if (!/^[0-9a-f]{12,64}$/.test(id)) throw new Error(`expected one container of ${service}, got ${JSON.stringify(id)}`);
    return id;
  }

  /** The name Docker gives a network of this project. */
  network(name: string): string {
    return `${this.name}_${name}`;
  }
}

/** The parts of `docker inspect` these tests read. */
export interface ContainerInfo {
  readonly RestartCount: number;
  readonly Config: { readonly User: string };
  readonly State: {
    readonly Status: string;
    readonly ExitCode: number;
    readonly StartedAt: string;
    readonly Health?: { readonly Status: string; readonly Log: ReadonlyArray<{ readonly End: string; readonly ExitCode: number }> };
  };
  readonly HostConfig: {
    readonly Init: boolean | null;
    readonly PortBindings: Readonly<Record<string, unknown>> | null;
    readonly ReadonlyRootfs: boolean;
    readonly CapDrop: readonly string[] | null;
    readonly CapAdd: readonly string[] | null;
    readonly SecurityOpt: readonly string[] | null;
    readonly Memory: number;
    readonly PidsLimit: number | null;
    readonly Privileged: boolean;
    readonly LogConfig: { readonly Type: string; readonly Config: Readonly<Record<string, string>> };
  };
  readonly NetworkSettings: {
    readonly Ports: Readonly<Record<string, ReadonlyArray<{ readonly HostIp: string; readonly HostPort: string }> | null>> | null;
    readonly Networks: Readonly<Record<string, { readonly IPAddress: string; readonly Gateway: string }>>;
  };
}

/** `docker inspect` of one container. */
export async function inspectContainer(id: string): Promise<ContainerInfo> {
  const [info] = JSON.parse((await run('docker', ['inspect', id])).stdout) as ContainerInfo[];
  if (info === undefined) throw new Error(`docker inspect ${id} returned nothing`);
  return info;
}

/** `docker network inspect`: whether a network is internal. */
export async function isInternalNetwork(name: string): Promise<boolean> {
  const [info] = JSON.parse((await run('docker', ['network', 'inspect', name])).stdout) as Array<{ Internal: boolean }>;
  if (info === undefined) throw new Error(`docker network inspect ${name} returned nothing`);
  return info.Internal;
}

/** Inspects a container until its healthcheck reports healthy, or rejects after `timeoutMs`. */
export async function waitForHealthy(id: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let status = 'unknown';
  while (Date.now() < deadline) {
    status = (await inspectContainer(id)).State.Health?.Status ?? 'no healthcheck';
    if (status === 'healthy') return;
    await sleep(250);
  }
  throw new Error(`container ${id} was not healthy within ${timeoutMs} ms (last: ${status})`);
}

/** Asks `url` until it answers 200, or rejects after `timeoutMs`. */
export async function waitForOk(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: number | string = 'no answer yet';
  while (Date.now() < deadline) {
    last = (await get(url, 2_000)).status;
    if (last === 200) return;
    await sleep(250);
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (last: ${last})`);
}

/** What one HTTP request came to. */
export interface Answer {
  /** The status, or the error code when there was no answer. */
  readonly status: number | string;
  readonly body: string;
  /** How long it took. */
  readonly ms: number;
  /** When it ended, on the `performance.now()` clock. */
  readonly at: number;
}

/** One GET on a connection of its own; never rejects, and gives up after `timeoutMs`. */
export function get(url: string, timeoutMs = 10_000, agent: Agent | false = false): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve) => {
    const done = (status: number | string, body = ''): void => {
      const at = performance.now();
      resolve({ status, body, ms: at - started, at });
    };
    const req = request(url, { agent, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => done(res.statusCode ?? 0, body));
      res.on('error', (error: NodeJS.ErrnoException) => done(error.code ?? error.message, body));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('no answer'), { code: 'CLIENT_TIMEOUT' })));
    req.on('error', (error: NodeJS.ErrnoException) => done(error.code ?? error.message));
    req.end();
  });
}

/**
 * Established TCP connections from a container to `port`, read from the
 * container's own network namespace (/proc/net/tcp and tcp6): for service1,
 * its pooled connections to service2, whoever else talks to service1.
 */
export async function connectionsTo(containerId: string, port: number): Promise<number> {
  const remotePort = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  // State 01 is ESTABLISHED.
  return (await tcpSockets(containerId)).filter((columns) => columns[2]?.endsWith(remotePort) === true && columns[3] === '01').length;
}

/**
 * The TCP sockets of a container's network namespace, from its /proc/net/tcp
 * and tcp6, each line split into its columns: sl local_address rem_address st …
 */
export async function tcpSockets(containerId: string): Promise<string[][]> {
  const { stdout } = await run('docker', ['exec', containerId, 'cat', '/proc/net/tcp', '/proc/net/tcp6']);
  return stdout.split('\n').map((line) => line.trim().split(/\s+/));
}

/** What GET `path` on loopback inside a container answers, asked with the container's own Node. */
export async function getInside(containerId: string, port: number, path: string): Promise<string> {
  const script = `fetch('http://127.0.0.1:${port}${path}').then(async (r) => process.stdout.write(await r.text()))`;
  return (await run('docker', ['exec', containerId, 'node', '-e', script])).stdout;
}

/** Checks `condition` every 200 ms until it holds; rejects after `timeoutMs`. */
export async function waitFor(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await sleep(200);
  }
}
