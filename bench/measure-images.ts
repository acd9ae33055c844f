// npm run measure:images: what the images weigh and how fast the edit loop is.
//
// Works on a copy of the repository in a temporary directory, so that it never
// touches the working tree, under a Compose project and image tags of its own
// (measure-images, measure-images/service1:1.0.0, …), so that it never
// replaces what another stack runs, published on BENCH_PORT (default 28001).
// Prints: a cold build with no layer cache; what each runtime image adds to
// the base image and holds; `up -d` until the first 200; each container from
// start to healthy; a one-line edit to service1/src/main.ts, then
// `up --build -d` until the new container answers 200, with service2's image
// left as it was; `down`. Then each target, met or not.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ComposeProject, composeCli, inspectContainer, ROOT, run, waitForHealthy } from '../harness/docker.ts';
import { BASE_IMAGE, benchPort } from './containers.ts';

const PROJECT = 'measure-images';
const IMAGES = { service1: `${PROJECT}/service1:1.0.0`, service2: `${PROJECT}/service2:1.0.0` } as const;
const COLD_BUILD_TARGET_S = 120;
const EDIT_LOOP_TARGET_S = 20;

// What a fresh clone has: no installed packages, no build output, no Git metadata.
const NOT_IN_A_CLONE = /(^|\/)(node_modules|dist|\.git|\.stryker-tmp|reports)(\/|$)/;

/** A copy of the checkout as a fresh clone would have it, with our own image tags in an override file. */
function copyOfCheckout(): { dir: string; files: string[] } {
  const dir = mkdtempSync(join(tmpdir(), `${PROJECT}-`));
  cpSync(ROOT, dir, { recursive: true, filter: (source) => !NOT_IN_A_CLONE.test(relative(ROOT, source)) });
  const override = join(dir, 'measure-images.override.yaml');
  writeFileSync(override, `services:\n  service1:\n    image: ${IMAGES.service1}\n  service2:\n    image: ${IMAGES.service2}\n`);
  return { dir, files: [join(dir, 'docker-compose.yaml'), override] };
}

async function seconds(what: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await what();
  return (performance.now() - started) / 1000;
}

async function imageInfo(image: string): Promise<{ id: string; size: number }> {
  const [id = '', size = ''] = (await run('docker', ['image', 'inspect', '--format', '{{.Id}} {{.Size}}', image])).stdout.trim().split(' ');
  return { id, size: Number(size) };
}

async function printImages(): Promise<void> {
  const base = (await imageInfo(BASE_IMAGE)).size;
  for (const [service, image] of Object.entries(IMAGES)) {
    const added = (await imageInfo(image)).size - base;
    const found = await run('docker', ['run', '--rm', '--entrypoint', 'find', image, '/app', '-type', 'f']);
    const files = found.stdout.trim().split('\n').toSorted();
    console.log(`${service}: runtime image adds ${(added / 1000).toFixed(1)} kB to ${BASE_IMAGE}: ${files.join(' ')}`);
  }
}

/** From the container's start to its first passing healthcheck. */
async function startToHealthy(stack: ComposeProject, service: string): Promise<number> {
  const id = await stack.containerId(service);
  await waitForHealthy(id, 60_000);
  const info = await inspectContainer(id);
  const healthy = (info.State.Health?.Log ?? []).find((check) => check.ExitCode === 0);
  return healthy === undefined ? Number.NaN : (Date.parse(healthy.End) - Date.parse(info.State.StartedAt)) / 1000;
}

async function measure(stack: ComposeProject, dir: string): Promise<{ cold: number; edit: number }> {
  await stack.down();
  const cold = await seconds(() => stack.run(['build', '--no-cache']));
  console.log(`cold build, no layer cache (${stack.cli.label} build --no-cache): ${cold.toFixed(1)} s`);
  await printImages();

  const up = await seconds(() => stack.up('info'));
  console.log(`up -d until the first 200: ${up.toFixed(1)} s`);
  for (const service of ['service2', 'service1']) {
    console.log(`${service}: healthy ${(await startToHealthy(stack, service)).toFixed(1)} s after its container started`);
  }

  const edited = join(dir, 'service1/src/main.ts');
  writeFileSync(edited, `${readFileSync(edited, 'utf8')}// edited by measure-images at ${new Date().toISOString()}\n`);
  const service2Before = (await imageInfo(IMAGES.service2)).id;
  const oldService1 = await stack.containerId('service1');
  const edit = await seconds(() => stack.up('info', ['--build']));
  const newService1 = await stack.containerId('service1');
  const service2Kept = (await imageInfo(IMAGES.service2)).id === service2Before;
  console.log(
    `one-line edit to service1/src/main.ts, up --build -d until the new container answers 200: ${edit.toFixed(1)} s ` +
      `(service1 container ${newService1 === oldService1 ? 'NOT replaced' : 'replaced'}, service2 image ${service2Kept ? 'unchanged' : 'REBUILT'})`,
  );

  const down = await seconds(() => stack.down());
  console.log(`down: ${down.toFixed(1)} s`);
  return { cold, edit };
}

async function main(): Promise<boolean> {
  const { dir, files } = copyOfCheckout();
  const stack = new ComposeProject(await composeCli(), PROJECT, benchPort(), files);
  console.log(`a copy of the checkout in ${dir}; project ${PROJECT}, published on port ${stack.port}`);
  try {
    const { cold, edit } = await measure(stack, dir);
    const checks: Array<[string, number, number]> = [
      ['cold build', cold, COLD_BUILD_TARGET_S],
      ['one-line edit to service1 until it serves', edit, EDIT_LOOP_TARGET_S],
    ];
    console.log('\ntargets:');
    for (const [what, took, target] of checks)
      console.log(`  ${took <= target ? 'met   ' : 'MISSED'} ${what} ≤ ${target} s: ${took.toFixed(1)} s`);
    return checks.every(([, took, target]) => took <= target);
  } finally {
    await stack.down();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (!(await main())) process.exitCode = 1;
