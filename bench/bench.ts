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
// service1 (-p) on BENCH_PORT (default 28001), and the stack as shipped and
// with LOG_LEVEL=warn under projects of their own on the next two ports;
// takes everything down after.
//
// All three run side by side; each gets a warm-up, then loads from wrk go to
// each in turn, --runs times a round, --rounds rounds. For each load it reads the CPU time the
// target spent per answer (its processes, or its containers' cgroups and
// Docker's own processes), which the machine's noise disturbs far less than
// requests per second; the targets are judged on it (docs/performance.md).
// wrk, not autocannon: on two cores a load generator in JavaScript takes the
// CPU the services need. Prints each target met or missed; exits 1 when one
// is missed.
//
//   npm run bench -- [--compose] [--node-options=…] [--connections 32] [--threads 1] [--warmup 3] [--runs 3] [--duration 5] [--rounds 1]
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ComposeProject, composeCli, inspectContainer, run, waitForOk } from '../harness/docker.ts';
import { dockerCpu, dockerPids } from './accounting.ts';
import type { CpuSeconds } from './accounting.ts';
import { BARE_RELAY_CONTAINERS, benchPort, removeReferences, startBareRelay } from './containers.ts';
import { count, median, ms, printTable } from './figures.ts';
import { buildServices, cpuSecondsOf, HOST, imageStart, rssMB, startLocalRelay, startServices, stopChildren } from './processes.ts';
import type { Started } from './processes.ts';
import { wrk } from './wrk.ts';
import type { Load, LoadOptions } from './wrk.ts';
import { requireWrk } from './wrk.ts';

/** The issue's figure for a typical public implementation of the exercise: 570-770 req/s; targets are checked against the top. */
const PUBLIC_IMPLEMENTATION = 770;

/** A started target: where to load it, and how to read what it spends. */
interface Running {
  readonly url: string;
  readonly cpu: () => CpuSeconds;
}

/** Something to load: started before the loads, all of them side by side. */
interface Target {
  readonly name: string;
  /** Starts it; resolves once it answers. */
  readonly start: () => Promise<Running>;
  /** Its resident memory after load, as a table cell, where it is read. */
  readonly rss?: () => string;
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
      return { url, cpu: () => ({ services: cpuSecondsOf(front.child.pid ?? 0) + cpuSecondsOf(back.child.pid ?? 0), docker: 0 }) };
    },
    rss: () => (front.child.pid === undefined ? '-' : `${rssMB(front.child.pid).toFixed(1)} MB`),
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

/** What containers (by name or id) spend, with what Docker spends on them and on the published port. */
async function containersCpu(containers: readonly string[], port: number): Promise<() => CpuSeconds> {
  const infos = await Promise.all(containers.map((container) => inspectContainer(container)));
  const pids = infos.map((info) => info.State.Pid);
  const docker = dockerPids(
    infos.map((info) => info.Id),
    port,
  );
  return () => dockerCpu(pids, docker);
}

/**
 * The relay, the stack at info and the stack at warn, up side by side on
 * BENCH_PORT and the two ports after it: a load can then go to each in turn,
 * seconds apart, through the same moments of the machine's noise.
 */
async function composeTargets(): Promise<{ targets: Target[]; cleanUp: () => Promise<void> }> {
  const cli = await composeCli();
  const port = benchPort();
  const stacks = { info: new ComposeProject(cli, 'perf-bench-info', port + 1), warn: new ComposeProject(cli, 'perf-bench-warn', port + 2) };
  process.stdout.write(`building with ${cli.label}; the relay on port ${port}, the stack at info on ${port + 1}, at warn on ${port + 2}\n`);
  await stacks.info.run(['build']);
  const upStack = async (stack: ComposeProject, logLevel: string): Promise<Running> => {
    const url = await stack.up(logLevel);
    const ids = await Promise.all(['service1', 'service2'].map((service) => stack.containerId(service)));
    return { url, cpu: await containersCpu(ids, stack.port) };
  };
  const targets: Target[] = [
    {
      name: RELAY_TARGET,
      start: async () => {
        const url = await startBareRelay(port);
        return { url, cpu: await containersCpu(BARE_RELAY_CONTAINERS, port) };
      },
    },
    { name: SHIPPED_TARGET, start: () => upStack(stacks.info, 'info') },
    { name: WARN_TARGET, start: () => upStack(stacks.warn, 'warn') },
  ];
  const cleanUp = async (): Promise<void> => {
    await removeReferences();
    await Promise.all([stacks.info.down(), stacks.warn.down()]);
  };
  return { targets, cleanUp };
}

// ---------------------------------------------------------------- figures

/** One load of a target: wrk's figures, the round it ran in, and the CPU time per answer, in µs, of the target and of Docker. */
type Runs = Array<Load & { readonly round: number; readonly servicesUs: number; readonly dockerUs: number }>;

/** A figure of a load, to compare with the reference's. */
type Figure = (load: Runs[number]) => number;

const requestsPerSecond: Figure = (load) => load.requestsPerSecond;
const servicesUs: Figure = (load) => load.servicesUs;
const allUs: Figure = (load) => load.servicesUs + load.dockerUs;

/** Each round's median of `figure` against the reference's median of the same round, then the median of those ratios. */
function ratio(runs: Runs, reference: Runs, figure: Figure): number {
  const rounds = [...new Set(runs.map((r) => r.round))];
  const perRound = rounds.map((round) => {
    const of = (loads: Runs): number => median(loads.filter((r) => r.round === round).map(figure));
    return of(runs) / of(reference);
  });
  return median(perRound);
}

const us = (value: number): string => `${value.toFixed(0)} µs`;

function summarize(
  targets: readonly Target[],
  measures: ReadonlyMap<string, Runs>,
  rss: ReadonlyMap<string, string>,
  local: boolean,
): void {
  const reference = measures.get(RELAY_TARGET) ?? [];
  const rows = targets.map((target) => {
    const runs = measures.get(target.name) ?? [];
    const rps = runs.map(requestsPerSecond);
    const cpu = local
      ? [us(median(runs.map(servicesUs))), `${ratio(runs, reference, servicesUs).toFixed(2)}×`]
      : [
          us(median(runs.map(allUs))),
          us(median(runs.map(servicesUs))),
          us(median(runs.map((load) => load.dockerUs))),
          `${ratio(runs, reference, allUs).toFixed(2)}×`,
        ];
    return [
      target.name,
      ...cpu,
      count(median(rps)),
      `${count(Math.min(...rps))}-${count(Math.max(...rps))}`,
      `${ratio(runs, reference, requestsPerSecond).toFixed(2)}×`,
      ms(median(runs.map((r) => r.p50))),
      ms(median(runs.map((r) => r.p99))),
      String(runs.reduce((sum, r) => sum + r.errors, 0)),
      ...(local ? [rss.get(target.name) ?? '-'] : []),
    ];
  });
  const cpuHeader = local ? ['CPU per request', 'CPU vs relay'] : ['CPU per request', 'in the containers', 'in Docker', 'CPU vs relay'];
  printTable(
    ['target', ...cpuHeader, 'req/s', 'range', 'req/s vs relay', 'p50', 'p99', 'errors', ...(local ? ['RSS after load'] : [])],
    rows,
  );
  process.stdout.write(
    local
      ? '\nCPU per request: user and system time of both processes over a load, per answer;\n'
      : "\nCPU per request: the two containers' cgroups, and Docker's processes on the host (dockerd, containerd, the containers' shims, docker-proxy), over a load, per answer;\n",
  );
  process.stdout.write('every figure the median of the loads; range: the slowest and fastest load; errors: their sum;\n');
  process.stdout.write("vs relay: each round's median against the relay's in the same round, then the median of those ratios.\n");
}

/** The targets, each met or not, against the bare relay of the same rounds; returns whether all were. */
function verdict(measures: ReadonlyMap<string, Runs>, local: boolean): boolean {
  const [relay, shipped, warn] = [RELAY_TARGET, SHIPPED_TARGET, WARN_TARGET].map((name) => measures.get(name) ?? []) as [Runs, Runs, Runs];
  const cpu = local ? servicesUs : allUs;
  const atMost = (runs: Runs, most: number, what: string): [string, string, boolean] => [
    `${what}: CPU per request ≤ ${most}× the bare relay's`,
    `${ratio(runs, relay, cpu).toFixed(2)}×`,
    ratio(runs, relay, cpu) <= most,
  ];
  const errors = [relay, shipped, warn].flat().reduce((sum, r) => sum + r.errors, 0);
  const p99 = (runs: Runs): number => median(runs.map((r) => r.p99));
  const rps = (runs: Runs): number => median(runs.map(requestsPerSecond));
  const public3 = 3 * PUBLIC_IMPLEMENTATION;
  const checks: Array<[string, string, boolean]> = local
    ? [
        atMost(warn, 1.15, 'LOG_LEVEL=warn'),
        atMost(shipped, 1.3, 'as shipped'),
        [`as shipped p99 ≤ 1.5× the relay's (${ms(1.5 * p99(relay))})`, ms(p99(shipped)), p99(shipped) <= 1.5 * p99(relay)],
        ['no errors', String(errors), errors === 0],
      ]
    : [
        atMost(warn, 1.15, 'LOG_LEVEL=warn'),
        atMost(shipped, 1.6, 'as shipped'),
        [
          "as shipped: req/s ≥ 0.6× the bare relay's",
          `${ratio(shipped, relay, requestsPerSecond).toFixed(2)}×`,
          ratio(shipped, relay, requestsPerSecond) >= 0.6,
        ],
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
    const running = new Map<string, Running>();
    for (const target of targets) {
      const started = await target.start();
      running.set(target.name, started);
      if (warmup > 0) await wrk(started.url, { ...load, seconds: warmup });
    }
    // Each target in turn, load by load, so that the machine's noise falls on all of them alike.
    for (let round = 1; round <= rounds; round += 1) {
      for (let i = 1; i <= runs; i += 1) {
        for (const target of targets) {
          const { url, cpu } = running.get(target.name) as Running;
          const before = cpu();
          const result = await wrk(url, load);
          const after = cpu();
          const perAnswer = (seconds: number): number => (seconds / result.requests) * 1e6;
          const servicesUs = perAnswer(after.services - before.services);
          const dockerUs = perAnswer(after.docker - before.docker);
          measures.get(target.name)?.push({ ...result, round, servicesUs, dockerUs });
          process.stdout.write(
            `round ${round}, load ${i}, ${target.name}: ${count(result.requestsPerSecond)} req/s, p50 ${ms(result.p50)}, p99 ${ms(result.p99)}, ` +
              `${result.errors} errors, CPU per request ${us(servicesUs)}${compose ? ` + Docker ${us(dockerUs)}` : ''}\n`,
          );
        }
      }
    }
    const rss = new Map(targets.map((target) => [target.name, target.rss?.() ?? '-']));
    summarize(targets, measures, rss, !compose);
    if (!verdict(measures, !compose)) process.exitCode = 1;
  } finally {
    await cleanUp();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
