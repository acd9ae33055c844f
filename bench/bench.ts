// npm run bench: how fast the services answer, against the bare Node relay
// (two bare node:http hops: a relay with a keep-alive pool in front of a bare
// server, Node's defaults), measured in the same run.
//
// Local (the default): builds both services and starts on 127.0.0.1 the relay,
// then service1 in front of service2 as shipped (LOG_LEVEL=info) and with
// LOG_LEVEL=warn, each as its image starts it (the Dockerfile's CMD and ENV
// NODE_OPTIONS, which --node-options replaces), each process's output to a
// file of its own.
//
// --compose: the relay in containers of the base image, published like
// service1 (-p), then the stack under its own project name on BENCH_PORT
// (default 28001) as shipped and with
// LOG_LEVEL=warn; takes everything down after.
//
// Each target gets a warm-up, then several loads from wrk; --rounds repeats
// the whole sequence, interleaved. wrk, not autocannon: on two cores a load
// generator in JavaScript takes the CPU the services need (README.md,
// Performance). Prints each target met or missed; exits 1 when one is missed.
//
//   npm run bench -- [--compose] [--node-options=…] [--connections 32] [--threads 1] [--warmup 3] [--runs 3] [--duration 5] [--rounds 1]
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ComposeProject, composeCli, run, waitForOk } from '../harness/docker.ts';
import { benchPort, removeReferences, startBareRelay } from './containers.ts';
import { count, median, ms, printTable } from './figures.ts';
import { buildServices, cpuSecondsOf, HOST, imageStart, rssMB, startLocalRelay, startServices, stopChildren } from './processes.ts';
import type { Started } from './processes.ts';
import { wrk } from './wrk.ts';
import type { Load, LoadOptions } from './wrk.ts';
import { requireWrk } from './wrk.ts';

/** The issue's figure for a typical public implementation of the exercise: 570-770 req/s; targets are checked against the top. */
const PUBLIC_IMPLEMENTATION = 770;

/** Something to load: started before its loads, stopped after them. */
interface Target {
  readonly name: string;
  /** Starts it if it is not running; resolves to its URL once it answers. */
  readonly start: () => Promise<string>;
  readonly stop: () => Promise<void>;
  /** Its resident memory after load, as a table cell, where it is read. */
  readonly rss?: () => string;
  /** The CPU time its processes have used so far, in seconds, where it is read. */
  readonly cpuSeconds?: () => number;
}

/** The local targets; `nodeOptions` replaces the Dockerfiles' NODE_OPTIONS for the services when given. */
async function localTargets(nodeOptions: string | undefined): Promise<Target[]> {
  await buildServices();
  const relay = await startLocalRelay();
  const shipped = await startServices(nodeOptions, 'info');
  const warn = await startServices(nodeOptions, 'warn');
  // Loaded on the front process; its memory read there, the CPU of both added up.
  const local = (name: string, { front, back }: { front: Started; back: Started }): Target => ({
    name,
    start: async () => {
      const url = `http://${HOST}:${front.port}/`;
      await waitForOk(url, 10_000);
      return url;
    },
    stop: async () => {},
    rss: () => (front.child.pid === undefined ? '-' : `${rssMB(front.child.pid).toFixed(1)} MB`),
    cpuSeconds: () => cpuSecondsOf(front.child.pid ?? 0) + cpuSecondsOf(back.child.pid ?? 0),
  });
  return [
    local(RELAY_TARGET, { front: relay.relay, back: relay.server }),
    local(SHIPPED_TARGET, { front: shipped.service1, back: shipped.service2 }),
    local(WARN_TARGET, { front: warn.service1, back: warn.service2 }),
  ];
}

const RELAY_TARGET = 'bare Node relay → bare hop';
const SHIPPED_TARGET = 'as shipped (LOG_LEVEL=info)';
const WARN_TARGET = 'LOG_LEVEL=warn';

async function composeTargets(): Promise<{ targets: Target[]; cleanUp: () => Promise<void> }> {
  const stack = new ComposeProject(await composeCli(), 'perf-bench', benchPort());
  process.stdout.write(`building with ${stack.cli.label}, project ${stack.name}, published on port ${stack.port}\n`);
  await stack.run(['build']);
  const targets: Target[] = [
    { name: RELAY_TARGET, start: () => startBareRelay(stack.port), stop: removeReferences },
    { name: SHIPPED_TARGET, start: () => stack.up('info'), stop: async () => {} },
    { name: WARN_TARGET, start: () => stack.up('warn'), stop: () => stack.down() },
  ];
  const cleanUp = async (): Promise<void> => {
    await removeReferences();
    await stack.down();
  };
  return { targets, cleanUp };
}

// ---------------------------------------------------------------- figures

/** The loads of one target, each with the round it ran in and, where read, the CPU time per request of its processes. */
type Runs = Array<Load & { readonly round: number; readonly cpuUs?: number }>;

/** Each round's median against the reference's median of the same round, then the median of those ratios. */
function ratio(runs: Runs, reference: Runs): number {
  const rounds = [...new Set(runs.map((r) => r.round))];
  const perRound = rounds.map((round) => {
    const rps = (of: Runs): number => median(of.filter((r) => r.round === round).map((r) => r.requestsPerSecond));
    return rps(runs) / rps(reference);
  });
  return median(perRound);
}

function summarize(
  targets: readonly Target[],
  measures: ReadonlyMap<string, Runs>,
  rss: ReadonlyMap<string, string>,
  reference: Runs,
  local: boolean,
): void {
  const rows = targets.map((target) => {
    const runs = measures.get(target.name) ?? [];
    const rps = runs.map((r) => r.requestsPerSecond);
    const row = [
      target.name,
      count(median(rps)),
      `${count(Math.min(...rps))}-${count(Math.max(...rps))}`,
      ms(median(runs.map((r) => r.p50))),
      ms(median(runs.map((r) => r.p99))),
      String(runs.reduce((sum, r) => sum + r.errors, 0)),
    ];
    if (local) row.push(rss.get(target.name) ?? '-', `${median(runs.map((r) => r.cpuUs ?? Number.NaN)).toFixed(0)} µs`);
    row.push(`${ratio(runs, reference).toFixed(2)}×`);
    return row;
  });
  const header = [
    'target',
    'req/s',
    'range',
    'p50',
    'p99',
    'errors',
    ...(local ? ['RSS after load', 'CPU per request'] : []),
    'vs bare relay',
  ];
  printTable(header, rows);
  process.stdout.write('\nreq/s, p50, p99: medians of the loads; range: the slowest and fastest load; errors: their sum;\n');
  if (local)
    process.stdout.write('CPU per request: user and system time of both processes over the load, per answer (median of the loads);\n');
  process.stdout.write("vs bare relay: each round's median req/s against the relay's in the same round (the median of those ratios).\n");
}

/** The targets, each met or not, against the bare relay of the same rounds; returns whether all were. */
function verdict(relay: Runs, shipped: Runs, warn: Runs, local: boolean): boolean {
  const rps = (runs: Runs): number => median(runs.map((r) => r.requestsPerSecond));
  const p99 = (runs: Runs): number => median(runs.map((r) => r.p99));
  const versus = (runs: Runs, least: number, what: string): [string, string, boolean] => [
    `${what} ≥ ${least}× the bare relay`,
    `${ratio(runs, relay).toFixed(2)}×`,
    ratio(runs, relay) >= least,
  ];
  const errors = [...relay, ...shipped, ...warn].reduce((sum, r) => sum + r.errors, 0);
  const public3 = 3 * PUBLIC_IMPLEMENTATION;
  const checks: Array<[string, string, boolean]> = local
    ? [
        versus(shipped, 0.8, 'as shipped'),
        versus(warn, 0.9, 'LOG_LEVEL=warn'),
        [`as shipped p99 ≤ 1.5× the relay's (${ms(1.5 * p99(relay))})`, ms(p99(shipped)), p99(shipped) <= 1.5 * p99(relay)],
        ['no errors', String(errors), errors === 0],
      ]
    : [
        versus(shipped, 0.6, 'as shipped'),
        versus(warn, 0.9, 'LOG_LEVEL=warn'),
        [`as shipped ≥ 3× a public implementation (${count(public3)} req/s)`, `${count(rps(shipped))} req/s`, rps(shipped) >= public3],
        ['no errors', String(errors), errors === 0],
      ];
  process.stdout.write(`\ntargets${local ? '' : ` (a public implementation: 570-770 req/s, checked against ${PUBLIC_IMPLEMENTATION})`}:\n`);
  for (const [what, figure, met] of checks) process.stdout.write(`  ${met ? 'met   ' : 'MISSED'} ${what}: ${figure}\n`);
  return checks.every(([, , met]) => met);
}

// ---------------------------------------------------------------- main

interface Options {
  readonly compose: boolean;
  readonly nodeOptions: string | undefined;
  readonly load: LoadOptions;
  readonly warmup: number;
  readonly runs: number;
  readonly rounds: number;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      compose: { type: 'boolean', default: false },
      connections: { type: 'string', default: '32' },
      warmup: { type: 'string', default: '3' },
      runs: { type: 'string', default: '3' },
      duration: { type: 'string', default: '5' },
      rounds: { type: 'string', default: '1' },
      threads: { type: 'string', default: '1' },
      'node-options': { type: 'string' },
    },
  });
  const load = { connections: Number(values.connections), seconds: Number(values.duration), threads: Number(values.threads) };
  const [warmup, runs, rounds] = [Number(values.warmup), Number(values.runs), Number(values.rounds)];
  return { compose: values.compose, nodeOptions: values['node-options'], load, warmup, runs, rounds };
}

async function main(): Promise<void> {
  requireWrk('bench');
  const { compose, nodeOptions, load, warmup, runs, rounds } = options();
  const { targets, cleanUp } = compose ? await composeTargets() : { targets: await localTargets(nodeOptions), cleanUp: stopChildren };
  process.once('SIGINT', () => void cleanUp().finally(() => process.exit(130)));
  try {
    const docker = compose ? `, Docker ${(await run('docker', ['version', '--format', '{{.Server.Version}}'])).stdout.trim()}` : '';
    process.stdout.write(
      `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB${docker}, Node ${process.version}, ` +
        `NODE_OPTIONS=${compose ? "the images'" : (nodeOptions ?? `${imageStart('service1').nodeOptions} (the Dockerfiles')`)}; ` +
        `wrk, ${load.threads} thread(s), ${load.connections} connections, ${warmup} s warm-up then ${runs} × ${load.seconds} s per target, ${rounds} round(s)\n`,
    );
    const measures = new Map<string, Runs>(targets.map((target) => [target.name, []]));
    const rss = new Map<string, string>();
    for (let round = 1; round <= rounds; round += 1) {
      for (const target of targets) {
        const url = await target.start();
        if (warmup > 0) await wrk(url, { ...load, seconds: warmup });
        for (let i = 1; i <= runs; i += 1) {
          const before = loadavg()[0]?.toFixed(2) ?? '?';
          const cpuBefore = target.cpuSeconds?.();
          const result = await wrk(url, load);
          const cpuUs = cpuBefore === undefined ? undefined : (((target.cpuSeconds?.() ?? 0) - cpuBefore) / result.requests) * 1e6;
          measures.get(target.name)?.push({ ...result, round, ...(cpuUs === undefined ? {} : { cpuUs }) });
          process.stdout.write(
            `round ${round}, ${target.name}, load ${i}: ${count(result.requestsPerSecond)} req/s, p50 ${ms(result.p50)}, p99 ${ms(result.p99)}, ` +
              `${result.errors} errors (load average before: ${before})\n`,
          );
        }
        rss.set(target.name, target.rss?.() ?? '-');
        await target.stop();
      }
    }
    const runsOf = (name: string): Runs => measures.get(name) ?? [];
    summarize(targets, measures, rss, runsOf(RELAY_TARGET), !compose);
    if (!verdict(runsOf(RELAY_TARGET), runsOf(SHIPPED_TARGET), runsOf(WARN_TARGET), !compose)) process.exitCode = 1;
  } finally {
    await cleanUp();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
