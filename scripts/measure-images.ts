// npm run measure:images: what the images weigh and how fast the edit loop is.
//
// Prints, for this checkout: the size the runtime stages add to the base
// image and what they hold; a cold build with no layer cache (Compose v1, the
// classic builder); a one-line edit to service1's source until the stack
// answers 200 again; how long each container takes from start to healthy; and
// how long `down` takes. Uses its own Compose project and port 8001.
import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { ComposeProject, inspectContainer, installedComposeClis, run, waitForHealthy, waitForOk } from '../e2e/docker.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BASE = 'node:24-trixie-slim';
const URL_ON_HOST = `http://localhost:${process.env['SERVICE1_PORT'] ?? '8001'}/`;
const EDITED = `${ROOT}service1/src/main.ts`;

async function timed(what: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await what();
  return (performance.now() - started) / 1000;
}

async function imageSize(image: string): Promise<number> {
  return Number((await run('docker', ['image', 'inspect', '--format', '{{.Size}}', image])).stdout.trim());
}

async function main(): Promise<void> {
  const clis = await installedComposeClis();
  const v1 = clis.find((cli) => cli.file === 'docker-compose');
  const v2 = clis.find((cli) => cli.file === 'docker');
  if (v1 === undefined || v2 === undefined) throw new Error('needs both docker-compose (v1) and docker compose (v2)');
  const classic = new ComposeProject(v1, 'measure');
  const modern = new ComposeProject(v2, 'measure');
  process.chdir(ROOT);

  await modern.run('down', '--remove-orphans');
  const cold = await timed(() => classic.run('build', '--no-cache'));
  console.log(`cold build, no layer cache (docker-compose build --no-cache): ${cold.toFixed(1)} s`);

  const base = await imageSize(BASE);
  for (const [service, image] of [['service1', 'measure_service1'], ['service2', 'devops-exercise/service2:1.0.0']] as const) {
    const added = (await imageSize(image)) - base;
    const files = (await run('docker', ['run', '--rm', '--entrypoint', 'find', image, '/app', '-type', 'f'])).stdout.trim().split('\n');
    console.log(`${service}: runtime image adds ${(added / 1024).toFixed(1)} kB to ${BASE}: ${files.sort().join(' ')}`);
  }

  const up = await timed(async () => {
    await modern.run('up', '-d');
    await waitForOk(URL_ON_HOST, 60_000);
  });
  console.log(`docker compose up -d until the first 200: ${up.toFixed(1)} s`);
  for (const service of ['service2', 'service1']) {
    const id = await modern.containerId(service);
    await waitForHealthy(id, 30_000);
    const info = await inspectContainer(id);
    const healthy = (info.State.Health?.Log ?? []).find((check) => check.ExitCode === 0);
    const seconds = healthy === undefined ? NaN : (Date.parse(healthy.End) - Date.parse(info.State.StartedAt)) / 1000;
    console.log(`${service}: healthy ${seconds.toFixed(1)} s after its container started`);
  }

  const original = readFileSync(EDITED, 'utf8');
  try {
    writeFileSync(EDITED, `${original}// edited by measure-images at ${new Date().toISOString()}\n`);
    const edit = await timed(async () => {
      await modern.run('up', '--build', '-d');
      await waitForOk(URL_ON_HOST, 60_000);
    });
    console.log(`one-line edit to service1/src/main.ts, docker compose up --build -d until the first 200: ${edit.toFixed(1)} s`);
  } finally {
    writeFileSync(EDITED, original);
  }

  const down = await timed(() => modern.run('down', '--remove-orphans'));
  console.log(`docker compose down: ${down.toFixed(1)} s`);
}

await main();
