// The reading half of explain: finds the stack behind a host port, asks it
// once, and records what the engine's API says of it (its containers and
// networks, what each container sees from inside, the swarm's nodes and
// tasks) and what the host's /proc says of how the port reaches it.
import type { ContainerJson, EngineFacts, Inside, NetworkJson, Recording, SwarmFacts, TaskJson } from '../types.ts';
import { askOnce } from './ask.ts';
import type { EngineApi } from './engine-api.ts';
import { ExplainError } from './engine-api.ts';
import { findPublisher } from './engines.ts';
import type { Env } from './engines.ts';
import { hostFacts } from './host.ts';

/** `GET /info`, the parts read here. */
interface InfoJson {
  readonly ServerVersion?: string;
  readonly OperatingSystem?: string;
  readonly SecurityOptions?: readonly string[] | null;
  readonly Swarm?: { readonly NodeID?: string; readonly ControlAvailable?: boolean; readonly Nodes?: number };
}

// Run inside each container with its own Node (every image of the stack has
// it): interface names, TCP ports in LISTEN (state 0A), the ephemeral range,
// and what its resolver answers for the host of the URL it calls, if any.
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
const write = (resolved) => process.stdout.write(JSON.stringify({ interfaces, listening: [...listening].sort((a, b) => a - b), portRange, resolved }));
let name = null;
try { name = new URL(process.env.SERVICE2_URL).hostname; } catch {}
if (name === null) write(null);
else require('dns').lookup(name, { all: true }, (error, found) => write(error ? null : { name, addresses: found.map((a) => a.address) }));
`;

async function inside(api: EngineApi, id: string): Promise<Inside | undefined> {
  try {
    return JSON.parse(await api.exec(id, ['node', '-e', INSIDE])) as Inside;
  } catch {
    // No Node, or no exec: the explanation does without interface names.
    return undefined;
  }
}

/** What the engine says of itself: Docker or Podman, its version, the system it runs on, whether rootless. */
async function engineFacts(api: EngineApi): Promise<{ engine: EngineFacts; info: InfoJson }> {
  const [{ Components }, info] = await Promise.all([api.version(), api.get<InfoJson>('/info')]);
  const podman = (Components ?? []).some((component) => component.Name === 'Podman Engine');
  const engine: EngineFacts = {
    kind: podman ? 'podman' : 'docker',
    version: info.ServerVersion ?? '',
    os: info.OperatingSystem ?? '',
    rootless: (info.SecurityOptions ?? []).some((option) => option.split(',').includes('name=rootless')),
    socket: api.where,
  };
  return { engine, info };
}

/** A network's inspect; under Podman, with its bridge's name from Podman's own API, which the Docker-shaped JSON leaves out. */
async function network(api: EngineApi, name: string, engine: EngineFacts): Promise<NetworkJson> {
  const json = await api.get<NetworkJson>(`/networks/${encodeURIComponent(name)}`);
  if (engine.kind !== 'podman' || json.Driver !== 'bridge') return json;
  const { network_interface } = await api.getLibpod<{ network_interface?: string }>(`/networks/${encodeURIComponent(name)}/json`);
  return network_interface === undefined ? json : { ...json, network_interface };
}

/** `GET /nodes`, the parts read here. */
interface NodeJson {
  readonly ID: string;
  readonly Description?: { readonly Hostname?: string };
  readonly Status?: { readonly Addr?: string };
}

function filters(value: Readonly<Record<string, readonly string[]>>): string {
  return `filters=${encodeURIComponent(JSON.stringify(value))}`;
}

/**
 * The nodes of a swarm of several, and where the stack's tasks run, as this
 * engine, a manager, sees them; undefined on one node, or on an engine that
 * is no manager (it cannot see the others).
 */
async function swarmFacts(api: EngineApi, info: InfoJson, namespace: string): Promise<SwarmFacts | undefined> {
  const swarm = info.Swarm;
  if (swarm?.ControlAvailable !== true || (swarm.Nodes ?? 0) < 2) return undefined;
  const [nodes, services] = await Promise.all([
    api.get<NodeJson[]>('/nodes'),
    api.get<Array<{ ID: string; Spec: { Name: string } }>>(`/services?${filters({ label: [`com.docker.stack.namespace=${namespace}`] })}`),
  ]);
  const names = new Map(services.map((service) => [service.ID, service.Spec.Name]));
  const tasks =
    services.length === 0
      ? []
      : await api.get<TaskJson[]>(`/tasks?${filters({ service: [...names.values()], 'desired-state': ['running'] })}`);
  return {
    localNodeId: swarm.NodeID ?? '',
    nodes: nodes.map((node) => ({ id: node.ID, hostname: node.Description?.Hostname ?? node.ID, address: node.Status?.Addr ?? '' })),
    tasks: tasks
      .filter((task) => task.Status.State === 'running')
      .map((task) => {
        const service = names.get(task.ServiceID) ?? task.ServiceID;
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

/** The stack a container belongs to, as the label filter of its members. Swarm first: task containers also carry the Compose labels of the image's build. */
function stackLabel(container: ContainerJson): readonly [string, string] | undefined {
  const labels = container.Config.Labels ?? {};
  for (const key of ['com.docker.stack.namespace', 'com.docker.compose.project']) {
    const value = labels[key];
    if (value !== undefined) return [key, value];
  }
  return undefined;
}

/**
 * Everything the explanation needs about the stack that publishes `port`, and
 * one answer from it, asked on `host` (one node of a swarm of several, which
 * this engine, a manager, may not be).
 */
export async function record(port: number, host: string, env: Env = process.env): Promise<Recording> {
  const { found, publisherId, listed } = await findPublisher(port, env);
  const { api } = found;
  try {
    const publisher = await api.get<ContainerJson>(`/containers/${publisherId}/json`);
    const label = stackLabel(publisher);
    if (label === undefined) {
      throw new ExplainError(
        `port ${port} is published by ${publisher.Name.replace(/^\//, '')}, which is in no Compose project or Swarm stack`,
      );
    }
    const ask = await askOnce(host, port);
    const swarm = label[0] === 'com.docker.stack.namespace';
    const members = listed.filter((container) => {
      const l = container.Labels ?? {};
      // Under Compose, leave out Swarm tasks (of images Compose built) and one-off `run` containers (explain's own).
      return (
        l[label[0]] === label[1] &&
        (swarm || (l['com.docker.swarm.service.name'] === undefined && l['com.docker.compose.oneoff'] !== 'True'))
      );
    });
    const containers = await Promise.all(members.map((member) => api.get<ContainerJson>(`/containers/${member.Id}/json`)));
    const names = new Set(containers.flatMap((container) => Object.keys(container.NetworkSettings.Networks ?? {})));
    // A Swarm task reaches its node through docker_gwbridge, which its own inspect does not list.
    if (swarm) names.add('docker_gwbridge');
    const { engine, info } = await engineFacts(api);
    const [networks, seen] = await Promise.all([
      Promise.all([...names].toSorted().map((name) => network(api, name, engine))),
      Promise.all(containers.map(async (container) => [container.Id, await inside(api, container.Id)] as const)),
    ]);
    const insides: Record<string, Inside> = {};
    for (const [id, facts] of seen) if (facts !== undefined) insides[id] = facts;
    const recording: Recording = {
      port,
      ask,
      containers,
      networks,
      insides,
      engine,
      host: hostFacts(port, containers),
      ranIn: env['EXPLAIN_IN_CONTAINER'] === '1' ? 'container' : 'host',
    };
    const nodes = swarm ? await swarmFacts(api, info, label[1]) : undefined;
    return nodes === undefined ? recording : { ...recording, swarm: nodes };
  } finally {
    found.done();
  }
}
