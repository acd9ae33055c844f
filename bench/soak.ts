// npm run soak: memory and latency under sustained load.
//
// Builds both services and starts on 127.0.0.1 service2 and service1 in front
// of it, each as its image starts it (the Dockerfile's CMD and ENV
// NODE_OPTIONS, which --node-options replaces), logging at the default level
// to files. Loads service1 with wrk, 256 connections for 60 s, reads each
// process's VmRSS every second, prints a row every 10 s, then a verdict
// against the targets; exits 1 when one is missed.
//
//   npm run soak -- [--seconds 60] [--connections 256] [--node-options=--max-semi-space-size=4]
import type { ChildProcess } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { waitForOk } from '../harness/docker.ts';
import { count, ms, printTable } from './figures.ts';
import { buildServices, cpuSecondsOf, HOST, imageStart, rssMB, startServices, stopChildren } from './processes.ts';
import { requireWrk, wrk } from './wrk.ts';
import type { Load } from './wrk.ts';

const MAX_RSS_MB = 100;
const MAX_GROWTH = 0.1;
const MAX_LATENCY_MS = 5_000;

/** One service's readings, one per second; index 0 is taken just before the load. */
interface Samples {
  readonly name: string;
  readonly pid: number;
  readonly rss: number[];
  readonly cpuSeconds: number[];
}

function options(): { seconds: number; connections: number; nodeOptions: string | undefined } {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '60' },
      connections: { type: 'string', default: '256' },
      'node-options': { type: 'string' },
    },
  });
  return { seconds: Number(values.seconds), connections: Number(values.connections), nodeOptions: values['node-options'] };
}

function readInto(of: Samples): void {
  of.rss.push(rssMB(of.pid));
  of.cpuSeconds.push(cpuSecondsOf(of.pid));
}

function samplesOf(name: string, child: ChildProcess): Samples {
  if (child.pid === undefined) throw new Error(`${name} did not start`);
  return { name, pid: child.pid, rss: [], cpuSeconds: [] };
}

/** Reads both services every second, on the second, until `seconds` have passed. */
async function sampleEverySecond(services: readonly Samples[], seconds: number): Promise<void> {
  const started = performance.now();
  for (let second = 1; second <= seconds; second += 1) {
    await sleep(started + second * 1000 - performance.now());
    for (const service of services) readInto(service);
  }
}

function printRows(services: readonly Samples[], seconds: number): void {
  const rows: string[][] = [];
  for (let second = 0; second <= seconds; second += 10) {
    const row = [String(second)];
    for (const { rss } of services) row.push(`${rss[second]?.toFixed(1)} MB`);
    // CPU over the 10 s before this row, as a share of one core.
    for (const { cpuSeconds } of services) {
      const used = second === 0 ? undefined : (cpuSeconds[second] ?? 0) - (cpuSeconds[second - 10] ?? 0);
      row.push(used === undefined ? '-' : `${Math.round((used / 10) * 100)} %`);
    }
    rows.push(row);
  }
  printTable(['second', ...services.map((s) => `${s.name} RSS`), ...services.map((s) => `${s.name} CPU`)], rows);
}

/** Each target, met or not; returns whether all were. */
function verdict(load: Load, services: readonly Samples[], seconds: number): boolean {
  const from = Math.round(seconds / 3);
  const checks: Array<[string, string, boolean]> = [
    ['no error', `${load.errors}`, load.errors === 0],
    [
      `none slower than ${MAX_LATENCY_MS / 1000} s`,
      `max ${ms(load.max)}, ${load.timeouts} timeouts`,
      load.max <= MAX_LATENCY_MS && load.timeouts === 0,
    ],
  ];
  for (const { name, rss } of services) {
    const peak = Math.max(...rss);
    checks.push([`${name} RSS ≤ ${MAX_RSS_MB} MB`, `peak ${peak.toFixed(1)} MB`, peak <= MAX_RSS_MB]);
  }
  for (const { name, rss } of services) {
    const [start, end] = [rss[from] ?? Number.NaN, rss[seconds] ?? Number.NaN];
    const growth = end / start - 1;
    const figure = `${start.toFixed(1)} → ${end.toFixed(1)} MB (${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)} %)`;
    checks.push([`${name} RSS growth from second ${from} to ${seconds} ≤ ${MAX_GROWTH * 100} %`, figure, growth <= MAX_GROWTH]);
  }
  process.stdout.write('\ntargets:\n');
  for (const [what, figure, met] of checks) process.stdout.write(`  ${met ? 'met   ' : 'MISSED'} ${what}: ${figure}\n`);
  return checks.every(([, , met]) => met);
}

async function main(): Promise<boolean> {
  requireWrk('soak');
  const { seconds, connections, nodeOptions } = options();
  await buildServices();
  const { service2, service1 } = await startServices(nodeOptions);
  const url = `http://${HOST}:${service1.port}/`;
  await waitForOk(url, 10_000);

  const shownOptions = nodeOptions ?? `${imageStart('service1').nodeOptions} (the Dockerfiles')`;
  process.stdout.write(
    `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, NODE_OPTIONS=${shownOptions}\n` +
      `service1 → service2 on ${HOST}, logs at LOG_LEVEL=info to files; wrk, ${connections} connections for ${seconds} s\n`,
  );
  const services = [samplesOf('service1', service1.child), samplesOf('service2', service2.child)];
  for (const service of services) readInto(service);
  const [load] = await Promise.all([
    wrk(url, { connections, seconds, timeoutSeconds: MAX_LATENCY_MS / 1000 }),
    sampleEverySecond(services, seconds),
  ]);

  printRows(services, seconds);
  process.stdout.write(
    `\nwrk: ${count(load.requests)} requests, ${count(load.requestsPerSecond)} req/s, p50 ${ms(load.p50)}, p99 ${ms(load.p99)}, ` +
      `max ${ms(load.max)}, ${load.errors} errors\n`,
  );
  return verdict(load, services, seconds);
}

try {
  if (!(await main())) process.exitCode = 1;
} finally {
  await stopChildren();
}
