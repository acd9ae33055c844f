// The reading half of `npm run explain`: finds the stack behind a host port,
// asks it once, and records what the engine says (docker inspect of its
// containers and networks, what each container sees from inside) and how the
// host forwards the port. Docker CLI and Node built-ins only.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { basename } from 'node:path';
import { promisify } from 'node:util';
import type { ContainerJson, EngineFacts, Exchange, HostFacts, Inside, NetworkJson, Recording, SwarmFacts, TaskJson } from './facts.ts';

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

/** One GET of `host:port`, on a connection of its own, and both ends of that connection. */
function askOnce(host: string, port: number): Promise<Exchange> {
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
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

/** `docker info`, the parts read here. */
interface InfoJson {
  readonly ServerVersion?: string;
  readonly OperatingSystem?: string;
  readonly SecurityOptions?: readonly string[] | null;
  readonly Swarm?: { readonly NodeID?: string; readonly ControlAvailable?: boolean; readonly Nodes?: number };
}

/** What the engine says of itself: its version, the system it runs on, whether rootless. */
function engineFacts(info: InfoJson): EngineFacts {
  return {
    version: info.ServerVersion ?? '',
    os: info.OperatingSystem ?? '',
    rootless: (info.SecurityOptions ?? []).some((option) => option.split(',').includes('name=rootless')),
  };
}

/** `docker node inspect`, the parts read here. */
interface NodeJson {
  readonly ID: string;
  readonly Description?: { readonly Hostname?: string };
  readonly Status?: { readonly Addr?: string };
}

/**
 * The nodes of a swarm of several, and where the stack's tasks run, as this
 * engine, a manager, sees them; undefined on one node, or on an engine that
 * is no manager (it cannot see the others).
 */
async function swarmFacts(info: InfoJson, namespace: string): Promise<SwarmFacts | undefined> {
  const swarm = info.Swarm;
  if (swarm?.ControlAvailable !== true || (swarm.Nodes ?? 0) < 2) return undefined;
  const nodes = JSON.parse(await docker('node', 'inspect', ...ids(await docker('node', 'ls', '-q')))) as NodeJson[];
  const serviceIds = ids(await docker('service', 'ls', '-q', '--filter', `label=com.docker.stack.namespace=${namespace}`));
  const services = new Map(
    (serviceIds.length === 0 ? '' : await docker('service', 'inspect', '--format', '{{.ID}} {{.Spec.Name}}', ...serviceIds))
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => line.split(' ') as [string, string]),
  );
  const taskIds =
    services.size === 0 ? [] : ids(await docker('service', 'ps', '-q', '--filter', 'desired-state=running', ...services.keys()));
  const tasks = taskIds.length === 0 ? [] : (JSON.parse(await docker('inspect', ...taskIds)) as TaskJson[]);
  return {
    localNodeId: swarm.NodeID ?? '',
    nodes: nodes.map((node) => ({ id: node.ID, hostname: node.Description?.Hostname ?? node.ID, address: node.Status?.Addr ?? '' })),
    tasks: tasks
      .filter((task) => task.Status.State === 'running')
      .map((task) => {
        const service = services.get(task.ServiceID) ?? task.ServiceID;
        return {
          name: `${service}.${task.Slot ?? task.NodeID}`,
          service: service.startsWith(`${namespace}_`) ? service.slice(namespace.length + 1) : service,
          nodeId: task.NodeID,
          containerId: task.Status.ContainerStatus?.ContainerID ?? '',
          addresses: Object.fromEntries(
            (task.NetworksAttachments ?? []).map((a) => [
              a.Network.Spec.Name,
              (a.Addresses ?? []).map((address) => address.replace(/\/\d+$/, '')),
            ]),
          ),
        };
      }),
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

/**
 * Everything the explanation needs about the stack that publishes `port`, and
 * one answer from it, asked on `host` (one node of a swarm of several, which
 * this engine, a manager, may not be).
 */
export async function record(port: number, host = 'localhost'): Promise<Recording> {
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
  const ask = await askOnce(host, port);
  const members = await inspect<ContainerJson>('container', ids(await docker('ps', '-q', '--no-trunc', '--filter', `label=${filter}`)));
  const containers = members.filter((container) => {
    const l = container.Config.Labels ?? {};
    // Under Compose, leave out Swarm tasks (of images Compose built) and one-off `run` containers.
    return namespace !== undefined || (l['com.docker.swarm.service.name'] === undefined && l['com.docker.compose.oneoff'] !== 'True');
  });
  const names = new Set(containers.flatMap((container) => Object.keys(container.NetworkSettings.Networks ?? {})));
  // A Swarm task reaches its node through docker_gwbridge, which its own inspect does not list.
  if (namespace !== undefined) names.add('docker_gwbridge');
  const [networks, seen, info] = await Promise.all([
    inspect<NetworkJson>('network', [...names].toSorted()),
    Promise.all(containers.map(async (container) => [container.Id, await inside(container.Id)] as const)),
    docker('info', '--format', '{{json .}}').then((text) => JSON.parse(text) as InfoJson),
  ]);
  const insides: Record<string, Inside> = {};
  for (const [id, facts] of seen) if (facts !== undefined) insides[id] = facts;
  const recording = { port, ask, containers, networks, insides, engine: engineFacts(info), host: hostFacts(port) };
  const swarm = namespace === undefined ? undefined : await swarmFacts(info, namespace);
  return swarm === undefined ? recording : { ...recording, swarm };
}
