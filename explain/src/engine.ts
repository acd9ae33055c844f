// The reading half of `npm run explain`: finds the stack behind a host port,
// asks it once, and records what the engine says (docker inspect of its
// containers and networks, what each container sees from inside) and how the
// host forwards the port. Docker CLI and Node built-ins only.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { basename } from 'node:path';
import { promisify } from 'node:util';
import type { Exchange, ContainerJson, EngineFacts, HostFacts, Inside, NetworkJson, Recording } from './facts.ts';

const exec = promisify(execFile);

/** A failure to tell the user in one line. */
export class ExplainError extends Error {}

async function docker(...args: string[]): Promise<string> {
  try {
    return (await exec('docker', args, { maxBuffer: 64 * 1024 * 1024, timeout: 20_000 })).stdout;
  } catch (error) {
    const { stderr = '', code } = error as { stderr?: string; code?: unknown };
    const reason = code === 'ENOENT' ? 'the docker CLI is not installed' : (stderr.trim().split('\n')[0] ?? '') || (error as Error).message;
    throw new ExplainError(`docker ${args[0] ?? ''} failed: ${reason}`);
  }
}

function ids(stdout: string): string[] {
  return stdout.split('\n').filter((line) => line !== '');
}

async function inspect<T>(kind: 'container' | 'network', names: readonly string[]): Promise<T[]> {
  return names.length === 0 ? [] : (JSON.parse(await docker(kind, 'inspect', ...names)) as T[]);
}

/** One GET of `localhost:port`, on a connection of its own, and both ends of that connection. */
function askOnce(port: number): Promise<Exchange> {
  const url = `http://localhost:${port}/`;
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, timeout: 10_000 }, (res) => {
      const { localAddress = '', localPort = 0, remoteAddress = '', remotePort = 0 } = res.socket;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () =>
        resolve({
          url,
          status: res.statusCode ?? 0,
          body,
          client: { address: localAddress, port: localPort },
          server: { address: remoteAddress, port: remotePort },
        }),
      );
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 10 s')));
    // A reset here most often means service1 is still starting: docker-proxy accepted, nothing listened behind it.
    req.on('error', (error: NodeJS.ErrnoException) =>
      reject(
        new ExplainError(
          `${url} did not answer (${error.code ?? error.message}): is service1 still starting? \`docker ps\` shows its health`,
        ),
      ),
    );
    req.end();
  });
}

// Run inside each container with its own Node (every image of the stack has
// it): interface names, TCP ports in LISTEN (state 0A) and the ephemeral range.
const INSIDE = `
const fs = require('fs');
const listening = new Set();
for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
  let text = '';
  try { text = fs.readFileSync(file, 'utf8'); } catch {}
  for (const line of text.split('\\n').slice(1)) {
    const c = line.trim().split(/\\s+/);
    if (c[3] === '0A') listening.add(parseInt(c[1].split(':').pop(), 16));
  }
}
const interfaces = {};
for (const [name, list] of Object.entries(require('os').networkInterfaces())) interfaces[name] = list.map(({ address, mac }) => ({ address, mac }));
let portRange = null;
try { portRange = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\\s+/).map(Number); } catch {}
process.stdout.write(JSON.stringify({ interfaces, listening: [...listening].toSorted((a, b) => a - b), portRange }));
`;

async function inside(id: string): Promise<Inside | undefined> {
  try {
    return JSON.parse(await docker('exec', id, 'node', '-e', INSIDE)) as Inside;
  } catch {
    // No Node or no exec: the explanation does without interface names.
    return undefined;
  }
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** docker-proxy for this port, dockerd's flags and daemon.json: whether the userland proxy or NAT forwards the port. */
export function hostFacts(port: number): HostFacts {
  const proxies: Array<{ pid: number; args: string[] }> = [];
  let dockerd: string[] | null = null;
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    // No /proc (not Linux): nothing in sight.
  }
  for (const pid of pids) {
    const [file = '', ...args] = (readOrNull(`/proc/${pid}/cmdline`) ?? '').split('\0').filter((arg) => arg !== '');
    const name = basename(file);
    if (name === 'dockerd') dockerd = args;
    const hostPort = args[args.indexOf('-host-port') + 1];
    if (name === 'docker-proxy' && hostPort === String(port)) proxies.push({ pid: Number(pid), args });
  }
  const range = readOrNull('/proc/sys/net/ipv4/ip_local_port_range')?.trim().split(/\s+/).map(Number);
  const portRange = range?.length === 2 ? ([range[0] ?? 0, range[1] ?? 0] as const) : null;
  return { proxies: proxies.toSorted((a, b) => a.pid - b.pid), dockerd, daemonJson: readOrNull('/etc/docker/daemon.json'), portRange };
}

/** What the engine says of itself: its version, the system it runs on, whether rootless. */
async function engineFacts(): Promise<EngineFacts> {
  const info = JSON.parse(await docker('info', '--format', '{{json .}}')) as {
    ServerVersion?: string;
    OperatingSystem?: string;
    SecurityOptions?: readonly string[] | null;
  };
  return {
    version: info.ServerVersion ?? '',
    os: info.OperatingSystem ?? '',
    rootless: (info.SecurityOptions ?? []).some((option) => option.split(',').includes('name=rootless')),
  };
}

/** A line to say why no Docker container was found: Podman publishes the port, when it does. */
async function podmanHint(port: number): Promise<string> {
  try {
    const { stdout } = await exec('podman', ['ps', '--format', '{{.Names}} {{.Ports}}'], { timeout: 20_000 });
    const publisher = stdout.split('\n').find((line) => line.includes(`:${port}->`));
    if (publisher !== undefined) {
      return `; Podman does (${publisher.split(' ')[0]}), and explain reads Docker's engine only: report.md, "On other machines", says what Podman's addresses are`;
    }
  } catch {
    // No podman here.
  }
  return ' (start it with `docker compose up -d`, or set SERVICE1_PORT)';
}

/** Everything the explanation needs about the stack that publishes `port`, and one answer from it. */
export async function record(port: number): Promise<Recording> {
  // `docker port` would say the same as the bindings in `docker inspect`, which are read instead.
  const [publisherId] = ids(await docker('ps', '-q', '--no-trunc', '--filter', `publish=${port}`));
  if (publisherId === undefined) {
    throw new ExplainError(`the stack is not up on Docker: no container publishes port ${port}${await podmanHint(port)}`);
  }
  const [publisher] = await inspect<ContainerJson>('container', [publisherId]);
  const labels = publisher?.Config.Labels ?? {};
  // Swarm first: task containers also carry the Compose labels of the image's build.
  const namespace = labels['com.docker.stack.namespace'];
  const project = labels['com.docker.compose.project'];
  const filter =
    namespace !== undefined
      ? `com.docker.stack.namespace=${namespace}`
      : project !== undefined
        ? `com.docker.compose.project=${project}`
        : undefined;
  if (filter === undefined) {
    throw new ExplainError(
      `port ${port} is published by ${publisher?.Name.replace(/^\//, '') ?? publisherId}, which is in no Compose project or Swarm stack`,
    );
  }
  const ask = await askOnce(port);
  const members = await inspect<ContainerJson>('container', ids(await docker('ps', '-q', '--no-trunc', '--filter', `label=${filter}`)));
  const containers = members.filter((container) => {
    const l = container.Config.Labels ?? {};
    // Under Compose, leave out Swarm tasks (of images Compose built) and one-off `run` containers.
    return namespace !== undefined || (l['com.docker.swarm.service.name'] === undefined && l['com.docker.compose.oneoff'] !== 'True');
  });
  const names = new Set(containers.flatMap((container) => Object.keys(container.NetworkSettings.Networks ?? {})));
  // A Swarm task reaches its node through docker_gwbridge, which its own inspect does not list.
  if (namespace !== undefined) names.add('docker_gwbridge');
  const [networks, seen, engine] = await Promise.all([
    inspect<NetworkJson>('network', [...names].toSorted()),
    Promise.all(containers.map(async (container) => [container.Id, await inside(container.Id)] as const)),
    engineFacts(),
  ]);
  const insides: Record<string, Inside> = {};
  for (const [id, facts] of seen) if (facts !== undefined) insides[id] = facts;
  return { port, ask, containers, networks, insides, engine, host: hostFacts(port) };
}
