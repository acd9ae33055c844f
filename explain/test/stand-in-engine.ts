// A stand-in for an engine's API on a unix socket, answering from a recording
// (a fixture) what explain asks: /version, /info, the containers (all of them
// publishing `port`, as the recording's did), their inspect, the networks,
// exec of the inside script (in the engine's framed stream), and a swarm's
// nodes, services and tasks. It keeps every request, so that a test can hold
// explain to reading only. Anything else is a 404, as an engine answers.
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContainerJson, Recording } from '../src/types.ts';

/** A running stand-in. */
export interface StandInEngine {
  /** Its DOCKER_HOST. */
  readonly host: string;
  /** Every request, as `METHOD /path`. */
  readonly requests: string[];
  stop(): Promise<void>;
}

function framed(text: string, stream: 1 | 2): Buffer {
  const body = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

function publishes(container: ContainerJson): boolean {
  return Object.values(container.NetworkSettings.Ports ?? {}).some((bindings) => (bindings ?? []).length > 0);
}

/** The recording as if its stack had been published on `port`. */
export function movedTo(recording: Recording, port: number): Recording {
  const containers = recording.containers.map((container) => {
    const ports = container.NetworkSettings.Ports;
    if (ports === null) return container;
    const moved = Object.fromEntries(
      Object.entries(ports).map(([key, bindings]) => [key, bindings?.map((binding) => ({ ...binding, HostPort: String(port) })) ?? null]),
    );
    return { ...container, NetworkSettings: { ...container.NetworkSettings, Ports: moved } };
  });
  return { ...recording, port, containers };
}

/** Serves `recorded` as an engine would, its published containers on `port`. */
export async function standInEngine(recorded: Recording, port: number, apiVersion = '1.41'): Promise<StandInEngine> {
  const recording = movedTo(recorded, port);
  const dir = mkdtempSync(join(tmpdir(), 'stand-in-engine-'));
  const socket = join(dir, 'engine.sock');
  const requests: string[] = [];
  const swarm = recording.swarm;
  const stack = recording.containers.map((container) => container.Config.Labels?.['com.docker.stack.namespace']).find(Boolean) ?? '';
  const services = [...new Set((swarm?.tasks ?? []).map((task) => task.service))];

  const routes: Array<[RegExp, (match: RegExpExecArray, req: IncomingMessage) => unknown]> = [
    [
      /^\/version$/,
      () => ({
        ApiVersion: apiVersion,
        Components: [{ Name: recording.engine.kind === 'podman' ? 'Podman Engine' : 'Engine', Version: recording.engine.version }],
      }),
    ],
    [
      /^\/v[\d.]+\/info$/,
      () => ({
        ServerVersion: recording.engine.version,
        OperatingSystem: recording.engine.os,
        SecurityOptions: recording.engine.rootless ? ['name=seccomp', 'name=rootless'] : ['name=seccomp'],
        ...(swarm === undefined ? {} : { Swarm: { NodeID: swarm.localNodeId, ControlAvailable: true, Nodes: swarm.nodes.length } }),
      }),
    ],
    [
      /^\/v[\d.]+\/containers\/json$/,
      () =>
        recording.containers.map((container) => ({
          Id: container.Id,
          Names: [container.Name],
          Labels: container.Config.Labels,
          Ports: publishes(container) ? [{ PrivatePort: 8001, PublicPort: port, Type: 'tcp' }] : [],
        })),
    ],
    [/^\/v[\d.]+\/containers\/([0-9a-f]+)\/json$/, ([, id]) => recording.containers.find((container) => container.Id === id)],
    [/^\/v[\d.]+\/networks\/([^/]+)$/, ([, name]) => recording.networks.find((network) => network.Name === decodeURIComponent(name ?? ''))],
    [
      /^\/v[\d.]+\/containers\/([0-9a-f]+)\/exec$/,
      ([, id]) => (recording.insides[id ?? ''] === undefined ? undefined : { Id: `exec-${id}` }),
    ],
    [
      /^\/v[\d.]+\/nodes$/,
      () => swarm?.nodes.map((node) => ({ ID: node.id, Description: { Hostname: node.hostname }, Status: { Addr: node.address } })),
    ],
    [/^\/v[\d.]+\/services$/, () => services.map((service) => ({ ID: `service-${service}`, Spec: { Name: `${stack}_${service}` } }))],
    [
      /^\/v[\d.]+\/tasks$/,
      () =>
        swarm?.tasks.map((task) => {
          const slot = task.name.slice(task.name.lastIndexOf('.') + 1);
          return {
            NodeID: task.nodeId,
            ...(/^\d+$/.test(slot) ? { Slot: Number(slot) } : {}),
            ServiceID: `service-${task.service}`,
            Status: { State: 'running', ContainerStatus: { ContainerID: task.containerId } },
            NetworksAttachments: Object.entries(task.addresses).map(([name, addresses]) => ({
              Network: { Spec: { Name: name } },
              Addresses: addresses.map((address) => `${address}/24`),
            })),
          };
        }),
    ],
  ];

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    requests.push(`${req.method} ${path}`);
    const start = /^\/v[\d.]+\/exec\/exec-([0-9a-f]+)\/start$/.exec(path);
    if (req.method === 'POST' && start !== null) {
      // As an engine streams an exec: stdout and stderr in frames, then the end.
      res.writeHead(200, { 'content-type': 'application/vnd.docker.multiplexed-stream' });
      res.end(Buffer.concat([framed('a warning\n', 2), framed(JSON.stringify(recording.insides[start[1] ?? '']), 1)]));
      return;
    }
    for (const [pattern, answer] of routes) {
      const match = pattern.exec(path);
      const body = match === null ? undefined : answer(match, req);
      if (body !== undefined) {
        res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
        return;
      }
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ message: `page not found: ${path}` }));
  });
  server.listen(socket);
  await once(server, 'listening');
  return {
    host: `unix://${socket}`,
    requests,
    stop: async () => {
      server.close();
      await once(server, 'close');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
