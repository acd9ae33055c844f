// A stand-in for the docker CLI that answers, from a recording (a fixture),
// the commands explain's engine.ts runs: `ps` by published port and by label,
// `container inspect`, `network inspect`, `exec … node -e` and `info`. The
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
if (command === 'info') {
  const { version, os, rootless } = recording.engine;
  answer(JSON.stringify({ ServerVersion: version, OperatingSystem: os, SecurityOptions: rootless ? ['name=rootless'] : ['name=seccomp'] }));
}
refuse(`unknown command: ${process.argv.slice(2).join(' ')}`);
