// What the e2e tests and the benchmarks share of Docker and HTTP: running a
// command, a Compose project, docker inspect, waiting for an answer. Nothing
// the services or explain run imports it.
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import type { Agent } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

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

/** A container engine's CLI: Docker's or Podman's, which takes the same commands for what is read here. */
export type Engine = 'docker' | 'podman';

/** A Compose front end: `docker compose` (v2), `docker-compose` (v1) or `podman-compose`. */
export interface ComposeCli {
  readonly label: string;
  readonly file: string;
  readonly prefix: readonly string[];
  /** The engine it drives. */
  readonly engine: Engine;
}

const DOCKER_CLIS: readonly ComposeCli[] = [
  { label: 'docker-compose (v1)', file: 'docker-compose', prefix: [], engine: 'docker' },
  { label: 'docker compose (v2)', file: 'docker', prefix: ['compose'], engine: 'docker' },
];

/** podman-compose, which runs the stack on Podman. */
export const PODMAN_COMPOSE: ComposeCli = { label: 'podman-compose', file: 'podman-compose', prefix: [], engine: 'podman' };

/** Whether a command of that name is on PATH. */
export async function isCommand(name: string): Promise<boolean> {
  try {
    await run('sh', ['-c', 'command -v "$1"', 'sh', name]);
    return true;
  } catch {
    return false;
  }
}

/** Whether `cli` answers `version`. */
export async function isInstalled(cli: ComposeCli): Promise<boolean> {
  try {
    await run(cli.file, [...cli.prefix, 'version']);
    return true;
  } catch {
    return false;
  }
}

/** The Docker Compose front ends installed here. */
export async function installedComposeClis(): Promise<ComposeCli[]> {
  const found: ComposeCli[] = [];
  for (const cli of DOCKER_CLIS) if (await isInstalled(cli)) found.push(cli);
  return found;
}

/** The Compose front end to use where one is enough: v2 when installed, else v1. */
export async function composeCli(): Promise<ComposeCli> {
  const clis = await installedComposeClis();
  const cli = clis.find((candidate) => candidate.file === 'docker') ?? clis[0];
  if (cli === undefined) throw new Error('neither docker compose (v2) nor docker-compose (v1) is installed');
  return cli;
}

/**
 * This repository's docker-compose.yaml (or `files`), run as one named
 * project with service1 published on `port` (SERVICE1_PORT for Compose).
 */
export class ComposeProject {
  readonly cli: ComposeCli;
  readonly name: string;
  readonly port: number;
  readonly files: readonly string[];

  constructor(cli: ComposeCli, name: string, port: number, files: readonly string[] = [`${ROOT}docker-compose.yaml`]) {
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
    // podman-compose 1.0.3's down has no --remove-orphans.
    await this.run(['down', '--timeout', '5', ...(this.cli.engine === 'docker' ? ['--remove-orphans'] : [])]);
  }

  /** The id of the one running container of a service, found by the labels every front end sets. */
  async containerId(service: string): Promise<string> {
    const filters = [`label=com.docker.compose.project=${this.name}`, `label=com.docker.compose.service=${service}`];
    const { stdout } = await run(this.cli.engine, ['ps', '-q', '--no-trunc', ...filters.flatMap((filter) => ['--filter', filter])]);
    const id = stdout.trim();
    if (!/^[0-9a-f]{12,64}$/.test(id)) throw new Error(`expected one container of ${service}, got ${JSON.stringify(id)}`);
    return id;
  }

  /** `inspect` of the one running container of a service. */
  async inspect(service: string): Promise<ContainerInfo> {
    return inspectContainer(await this.containerId(service), this.cli.engine);
  }

  /** The name Docker gives a network of this project. */
  network(name: string): string {
    return `${this.name}_${name}`;
  }

  /**
   * The two lines service1 answers through the published port, as a regular
   * expression without anchors, from what inspect shows of both containers:
   * line 1 to service1 on frontend, from frontend's gateway, or, where
   * `lineOneFrom` is `own`, from one of service1's own addresses (the same
   * one); line 2 from service1 to service2 on backend. Addresses of `family`.
   * It captures the two ephemeral ports.
   */
  answerPattern(
    service1: ContainerInfo,
    service2: ContainerInfo,
    lineOneFrom: 'gateway' | 'own' = 'gateway',
    family: Family = 'IPv4',
  ): string {
    const at = (info: ContainerInfo, network: string, gateway = false): string =>
      addressOn(info, this.network(network), family, gateway).replace(/[.[\]]/g, '\\$&');
    const from =
      lineOneFrom === 'own'
        ? `(?<own>${at(service1, 'frontend')}|${at(service1, 'backend')}):(\\d+) to \\k<own>`
        : `${at(service1, 'frontend', true)}:(\\d+) to ${at(service1, 'frontend')}`;
    return `Hello from ${from}:8001\\nHello from ${at(service1, 'backend')}:(\\d+) to ${at(service2, 'backend')}:8002\\n`;
  }

  /** Freezes a service's container, and fails unless the engine says it is paused: some front ends exit 0 when the engine refused. */
  async pause(service: string): Promise<void> {
    const { stdout, stderr } = await this.run(['pause', service]);
    const status = (await this.inspect(service)).State.Status;
    if (status !== 'paused') throw new Error(`${this.cli.label} pause ${service} left it ${status}: ${(stderr || stdout).trim()}`);
  }
}

/** An address family. */
export type Family = 'IPv4' | 'IPv6';

/**
 * A container's address on a network, or (`gateway`) that network's gateway
 * as the container sees it, in `family`, as the answer writes it (IPv6 in
 * brackets); throws when it has none.
 */
export function addressOn(info: ContainerInfo, network: string, family: Family = 'IPv4', gateway = false): string {
  const endpoint = info.NetworkSettings.Networks?.[network];
  const six = family === 'IPv6';
  const address = gateway ? (six ? endpoint?.IPv6Gateway : endpoint?.Gateway) : six ? endpoint?.GlobalIPv6Address : endpoint?.IPAddress;
  if (address === undefined || address === '')
    throw new Error(`${info.Name} has no ${family} ${gateway ? 'gateway' : 'address'} on ${network}`);
  return six ? `[${address}]` : address;
}

/** A container on one network, as its inspect shows it. */
export interface EndpointInfo {
  readonly IPAddress: string;
  readonly GlobalIPv6Address: string;
  readonly Gateway: string;
  readonly IPv6Gateway: string;
  readonly MacAddress: string;
}

/** `docker inspect` (or `podman inspect`) of a container: the parts the e2e tests and benchmarks read. */
export interface ContainerInfo {
  readonly Id: string;
  readonly Name: string;
  /** The id of the image it runs. */
  readonly Image: string;
  readonly RestartCount: number;
  readonly Config: {
    readonly User: string;
    readonly Env?: readonly string[];
    readonly Labels: Readonly<Record<string, string>> | null;
    readonly Healthcheck?: Readonly<Record<string, unknown>>;
  };
  readonly State: {
    readonly Status: string;
    readonly ExitCode: number;
    readonly OOMKilled: boolean;
    readonly StartedAt: string;
    readonly Pid: number;
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
    readonly Networks: Readonly<Record<string, EndpointInfo>> | null;
  };
}

/** `docker network inspect` of a network: the parts the e2e tests read. */
export interface NetworkInfo {
  readonly Name: string;
  readonly Id: string;
  readonly Driver: string;
  readonly Internal: boolean;
  readonly EnableIPv6: boolean;
  readonly IPAM: { readonly Config: ReadonlyArray<{ readonly Subnet?: string; readonly Gateway?: string }> | null };
  readonly Options: Readonly<Record<string, string>> | null;
  readonly Containers: Readonly<
    Record<string, { readonly Name: string; readonly MacAddress: string; readonly IPv4Address: string; readonly IPv6Address: string }>
  > | null;
}

/** A container's address and gateway on one of its networks, which inspect lists by name. */
export function onNetwork(info: ContainerInfo, network: string): EndpointInfo | undefined {
  return info.NetworkSettings.Networks?.[network];
}

/** The networks a container is on, by name. */
export function networksOf(info: ContainerInfo): string[] {
  return Object.keys(info.NetworkSettings.Networks ?? {});
}

/** `podman network inspect`: Podman's own JSON, not Docker's. */
interface PodmanNetwork {
  readonly name: string;
  readonly id: string;
  readonly driver: string;
  readonly network_interface?: string;
  readonly subnets?: ReadonlyArray<{ readonly subnet: string; readonly gateway?: string }>;
  readonly internal: boolean;
  readonly ipv6_enabled: boolean;
}

/** `docker network inspect` (or `podman network inspect`, put in Docker's shape) of one network. */
export async function inspectNetwork(name: string, engine: Engine = 'docker'): Promise<NetworkInfo> {
  const [info] = JSON.parse((await run(engine, ['network', 'inspect', name])).stdout) as Array<NetworkInfo | PodmanNetwork>;
  if (info === undefined) throw new Error(`${engine} network inspect ${name} returned nothing`);
  if (!('name' in info)) return info;
  return {
    Name: info.name,
    Id: info.id,
    Driver: info.driver,
    Internal: info.internal,
    EnableIPv6: info.ipv6_enabled,
    IPAM: {
      Config: (info.subnets ?? []).map((subnet) => ({
        Subnet: subnet.subnet,
        ...(subnet.gateway === undefined ? {} : { Gateway: subnet.gateway }),
      })),
    },
    Options: info.network_interface === undefined ? {} : { 'com.docker.network.bridge.name': info.network_interface },
    Containers: null,
  };
}

/** The container ports a container publishes on the host, such as `8001/tcp`. */
export function publishedPorts(info: ContainerInfo): string[] {
  return Object.entries(info.NetworkSettings.Ports ?? {})
    .filter(([, bindings]) => (bindings ?? []).length > 0)
    .map(([port]) => port);
}

/** `docker inspect` (or `podman inspect`) of one container. */
export async function inspectContainer(id: string, engine: Engine = 'docker'): Promise<ContainerInfo> {
  const [info] = JSON.parse((await run(engine, ['inspect', id])).stdout) as ContainerInfo[];
  if (info === undefined) throw new Error(`docker inspect ${id} returned nothing`);
  return info;
}

/** `docker network inspect` (or `podman network inspect`): whether a network is internal. */
export async function isInternalNetwork(name: string, engine: Engine = 'docker'): Promise<boolean> {
  // The field's name as the template sees it; Podman's JSON spells it in lower case.
  const { stdout } = await run(engine, ['network', 'inspect', '--format', '{{.Internal}}', name]);
  return stdout.trim() === 'true';
}

/** Inspects a container until its healthcheck reports healthy, or rejects after `timeoutMs`. */
export async function waitForHealthy(id: string, timeoutMs: number, engine: Engine = 'docker'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let status = 'unknown';
  while (Date.now() < deadline) {
    status = (await inspectContainer(id, engine)).State.Health?.Status ?? 'no healthcheck';
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
export interface GetResult {
  /** The status, or the error code when there was no answer. */
  readonly status: number | string;
  readonly body: string;
  /** How long it took. */
  readonly ms: number;
  /** When it ended, on the `performance.now()` clock. */
  readonly at: number;
}

/** One GET on a connection of its own; never rejects, and gives up after `timeoutMs`. */
export function get(url: string, timeoutMs = 10_000, agent: Agent | false = false): Promise<GetResult> {
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
export async function connectionsTo(containerId: string, port: number, engine: Engine = 'docker'): Promise<number> {
  const remotePort = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  // State 01 is ESTABLISHED.
  return (await tcpSockets(containerId, engine)).filter((columns) => columns[2]?.endsWith(remotePort) === true && columns[3] === '01')
    .length;
}

/**
 * The TCP sockets of a container's network namespace, from its /proc/net/tcp
 * and tcp6, each line split into its columns: sl local_address rem_address st …
 */
export async function tcpSockets(containerId: string, engine: Engine = 'docker'): Promise<string[][]> {
  const { stdout } = await run(engine, ['exec', containerId, 'cat', '/proc/net/tcp', '/proc/net/tcp6']);
  return stdout.split('\n').map((line) => line.trim().split(/\s+/));
}

/** What the kernel says of a container's first process, and whether its root filesystem takes a write. */
export interface Privileges {
  readonly uid: string;
  /** Effective capabilities, as the hexadecimal mask /proc shows. */
  readonly capEff: string;
  readonly noNewPrivs: string;
  readonly writable: boolean;
}

/** Reads /proc/1/status inside a container and tries to write to /app. */
export async function privileges(containerId: string, engine: Engine = 'docker'): Promise<Privileges> {
  const status = (await run(engine, ['exec', containerId, 'cat', '/proc/1/status'])).stdout;
  const field = (name: string): string => new RegExp(`^${name}:\\s+(\\S+)`, 'm').exec(status)?.[1] ?? '';
  let writable = true;
  try {
    await run(engine, ['exec', containerId, 'touch', '/app/written']);
  } catch (error) {
    if (!/Read-only file system/.test(String(error))) throw error;
    writable = false;
  }
  return { uid: field('Uid'), capEff: field('CapEff'), noNewPrivs: field('NoNewPrivs'), writable };
}

/** What a container without privilege shows: uid 1000 (node), no capabilities, no privilege gain, nothing writable. */
export const UNPRIVILEGED: Privileges = { uid: '1000', capEff: '0000000000000000', noNewPrivs: '1', writable: false };

/** What GET `path` on loopback inside a container answers, asked with the container's own Node. */
export async function getInside(containerId: string, port: number, path: string, engine: Engine = 'docker'): Promise<string> {
  const script = `fetch('http://127.0.0.1:${port}${path}').then(async (r) => process.stdout.write(await r.text()))`;
  return (await run(engine, ['exec', containerId, 'node', '-e', script])).stdout;
}

/** Checks `condition` every 200 ms until it holds; rejects after `timeoutMs`. */
export async function waitFor(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await sleep(200);
  }
}
