// A stand-in for the docker CLI that answers, from a recording (a fixture),
// the commands explain's engine.ts runs: `ps` by published port and by label,
// `container inspect`, `network inspect`, `exec … node -e` and `info`, and,
// for a recording of a swarm of several nodes, what a manager says of its
// nodes, services and tasks (`node ls`, `node inspect`, `service ls`,
// `service inspect`, `service ps`, `inspect` of tasks). The
// recording's containers are taken to publish PUBLISHED_PORT, where the
// test's server answers. Anything else exits 1, as docker does on a bad command.
//
//   STAND_IN_RECORDING=fixture.json PUBLISHED_PORT=… node stand-in-docker.ts ARGS…
import { readFileSync } from 'node:fs';
import type { Recording } from '../src/facts.ts';

const recording = JSON.parse(readFileSync(process.env['STAND_IN_RECORDING'] ?? '', 'utf8')) as Recording;
const port = process.env['PUBLISHED_PORT'];
const [command, ...args] = process.argv.slice(2);

function answer(text: string): never {
  process.stdout.write(text);
  process.exit(0);
}

function refuse(why: string): never {
  process.stderr.write(`stand-in docker: ${why}\n`);
  process.exit(1);
}

function publishes(container: Recording['containers'][number]): boolean {
  return Object.values(container.NetworkSettings.Ports ?? {}).some((bindings) => (bindings ?? []).length > 0);
}

if (command === 'ps') {
  const filter = args[args.indexOf('--filter') + 1] ?? '';
  const [key = '', value = ''] = filter.split(/=(.*)/);
  const [label = '', wanted] = value.split(/=(.*)/);
  const found = recording.containers.filter((container) =>
    key === 'publish' ? value === port && publishes(container) : key === 'label' && container.Config.Labels?.[label] === wanted,
  );
  answer(found.map((container) => `${container.Id}\n`).join(''));
}
if (command === 'container' && args[0] === 'inspect') {
  const ids = args.slice(1);
  answer(JSON.stringify(recording.containers.filter((container) => ids.includes(container.Id))));
}
if (command === 'network' && args[0] === 'inspect') {
  const names = args.slice(1);
  const found = recording.networks.filter((network) => names.includes(network.Name));
  if (found.length !== names.length) refuse(`no such network among ${names.join(', ')}`);
  answer(JSON.stringify(found));
}
if (command === 'exec') {
  const inside = recording.insides[args[0] ?? ''];
  if (inside === undefined) refuse(`container ${args[0]} has no node`);
  answer(JSON.stringify(inside));
}
const swarm = recording.swarm;
if (command === 'info') {
  const { version, os, rootless } = recording.engine;
  const manager = swarm === undefined ? {} : { Swarm: { NodeID: swarm.localNodeId, ControlAvailable: true, Nodes: swarm.nodes.length } };
  answer(
    JSON.stringify({
      ServerVersion: version,
      OperatingSystem: os,
      SecurityOptions: rootless ? ['name=rootless'] : ['name=seccomp'],
      ...manager,
    }),
  );
}
if (swarm !== undefined) {
  // Services and tasks by made-up ids: the recording keeps their names.
  const stack = recording.containers.map((container) => container.Config.Labels?.['com.docker.stack.namespace']).find(Boolean) ?? '';
  const services = [...new Set(swarm.tasks.map((task) => task.service))];
  const serviceId = (service: string): string => `service-${service}`;
  const taskId = (i: number): string => `task-${i}`;
  const listed = (ids: readonly string[]): string => ids.map((id) => `${id}\n`).join('');
  if (command === 'node' && args[0] === 'ls') answer(listed(swarm.nodes.map((node) => node.id)));
  if (command === 'node' && args[0] === 'inspect') {
    answer(
      JSON.stringify(
        swarm.nodes.map((node) => ({ ID: node.id, Description: { Hostname: node.hostname }, Status: { Addr: node.address } })),
      ),
    );
  }
  if (command === 'service' && args[0] === 'ls') answer(listed(services.map(serviceId)));
  if (command === 'service' && args[0] === 'inspect')
    answer(services.map((service) => `${serviceId(service)} ${stack}_${service}\n`).join(''));
  if (command === 'service' && args[0] === 'ps') answer(listed(swarm.tasks.map((_task, i) => taskId(i))));
  if (command === 'inspect') {
    answer(
      JSON.stringify(
        swarm.tasks.map((task) => {
          const slot = task.name.slice(task.name.lastIndexOf('.') + 1);
          return {
            NodeID: task.nodeId,
            ...(/^\d+$/.test(slot) ? { Slot: Number(slot) } : {}),
            ServiceID: serviceId(task.service),
            Status: { State: 'running', ContainerStatus: { ContainerID: task.containerId } },
            NetworksAttachments: Object.entries(task.addresses).map(([name, addresses]) => ({
              Network: { Spec: { Name: name } },
              Addresses: addresses.map((address) => `${address}/24`),
            })),
          };
        }),
      ),
    );
  }
}
refuse(`unknown command: ${process.argv.slice(2).join(' ')}`);
