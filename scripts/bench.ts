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
// service1 (-p), then the stack under its own project name on SERVICE1_PORT
// (default 38001, clear of a stack on 8001) as shipped and with
// LOG_LEVEL=warn; takes everything down after.
//
// Each target gets a warm-up, then several loads from wrk; --rounds repeats
// the whole sequence, interleaved. wrk, not autocannon: on two cores a load
// generator in JavaScript takes the CPU the services need (README.md,
// Performance). Prints each target met or missed; exits 1 when one is missed.
//
//   npm run bench -- [--compose] [--node-options=…] [--connections 32] [--threads 1] [--warmup 3] [--runs 3] [--duration 5] [--rounds 1]
import { execFile, spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, copyFileSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { ComposeProject, installedComposeClis, ROOT, run, waitForOk } from './docker.ts';
import type { ComposeCli } from './docker.ts';

const exec = promisify(execFile);
export const HOST = '127.0.0.1';
export const BASE_IMAGE = 'node:26-trixie-slim';

/** The issue's figure for a typical public implementation of the exercise: 570-770 req/s; targets are checked against the top. */
const PUBLIC_IMPLEMENTATION = 770;

// ---------------------------------------------------------------- wrk

/** What one load from wrk came to. Latencies in ms. */
export interface Load {
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** Connections refused or reset, and answers not 2xx/3xx or later than the timeout. */
  readonly errors: number;
  readonly timeouts: number;
  /** Connections wrk could not open, or that were reset or closed under it. */
  readonly socketErrors: number;
  /** Answers by status code, when `LoadOptions.statuses` asked for them. */
  readonly statuses: Readonly<Record<string, number>>;
}

export interface LoadOptions {
  readonly connections: number;
  readonly seconds: number;
  /** A request not answered within this is counted as a timeout. */
  readonly timeoutSeconds?: number;
  /** wrk's threads: one by default, which loaded the stack through Compose fastest (README.md, Performance). */
  readonly threads?: number;
  /** Count the answers by status: wrk then reads every answer in Lua, which costs it CPU. */
  readonly statuses?: boolean;
}

// wrk's summary as one JSON line: its own text output rounds the latencies.
// With COUNT_STATUSES, every thread also counts its answers by status.
const WRK_REPORT = `local threads = {}
setup = function(thread) table.insert(threads, thread) end
if COUNT_STATUSES then
  statuses = {}
  response = function(status) statuses[status] = (statuses[status] or 0) + 1 end
end
done = function(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses") or {}) do total[status] = (total[status] or 0) + n end
  end
  local counted = {}
  for status, n in pairs(total) do table.insert(counted, string.format('"%d":%d', status, n)) end
  local e = summary.errors
  io.write(string.format('WRK_JSON {"requests":%d,"durationUs":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50Us":%d,"p99Us":%d,"maxUs":%d,"statuses":{%s}}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max, table.concat(counted, ',')))
end
`;

interface WrkReport {
  readonly requests: number;
  readonly durationUs: number;
  readonly connect: number;
  readonly read: number;
  readonly write: number;
  readonly status: number;
  readonly timeout: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly maxUs: number;
  readonly statuses: Readonly<Record<string, number>>;
}

let scratchDir: string | undefined;

/** A directory of our own under the system's temporary one, for files wrk and Docker read. */
function scratch(): string {
  scratchDir ??= mkdtempSync(join(tmpdir(), 'bench-'));
  return scratchDir;
}

const wrkScripts = new Map<boolean, string>();

/** Exits with one line saying how to install wrk when it is not on the PATH. */
export function requireWrk(script: string): void {
  const probe = spawnSync('wrk', ['--version'], { stdio: 'ignore' });
  if (probe.error === undefined || !('code' in probe.error) || probe.error.code !== 'ENOENT') return;
  process.stderr.write(
    `${script}: wrk is not installed; install it (Debian/Ubuntu: apt-get install wrk; macOS: brew install wrk) and run again\n`,
  );
  process.exit(1);
}

/** Loads `url` with wrk. */
export async function wrk(
  url: string,
  { connections, seconds, timeoutSeconds = 5, threads = 1, statuses = false }: LoadOptions,
): Promise<Load> {
  let script = wrkScripts.get(statuses);
  if (script === undefined) {
    script = join(scratch(), statuses ? 'report-statuses.lua' : 'report.lua');
    writeFileSync(script, `COUNT_STATUSES = ${statuses}\n${WRK_REPORT}`);
    wrkScripts.set(statuses, script);
  }
  const args = [
    '-t',
    String(threads),
    '-c',
    String(connections),
    '-d',
    `${seconds}s`,
    '--timeout',
    `${timeoutSeconds}s`,
    '-s',
    script,
    url,
  ];
  const { stdout } = await run('wrk', args);
  const json = /^WRK_JSON (.*)$/m.exec(stdout)?.[1];
  if (json === undefined) throw new Error(`wrk printed no report:\n${stdout}`);
  const report = JSON.parse(json) as WrkReport;
  return {
    requests: report.requests,
    requestsPerSecond: report.requests / (report.durationUs / 1e6),
    p50: report.p50Us / 1000,
    p99: report.p99Us / 1000,
    max: report.maxUs / 1000,
    errors: report.connect + report.read + report.write + report.status + report.timeout,
    timeouts: report.timeout,
    socketErrors: report.connect + report.read + report.write,
    statuses: report.statuses,
  };
}

// ---------------------------------------------------------------- local processes

/** How a service's image starts it: the Dockerfile's CMD and ENV NODE_OPTIONS. */
export function imageStart(service: string): { command: string[]; nodeOptions: string } {
  const dockerfile = readFileSync(`${ROOT}${service}/Dockerfile`, 'utf8');
  const cmd = /^CMD\s+(\[.*\])\s*$/m.exec(dockerfile)?.[1];
  if (cmd === undefined) throw new Error(`${service}/Dockerfile has no exec-form CMD`);
  const nodeOptions = /^ENV\s+NODE_OPTIONS=("?)(.*)\1\s*$/m.exec(dockerfile)?.[2] ?? '';
  return { command: JSON.parse(cmd) as string[], nodeOptions };
}

const children: ChildProcess[] = [];

/** Starts a service as its image does; `nodeOptions` replaces the Dockerfile's NODE_OPTIONS when given. */
function startService(service: string, env: Readonly<Record<string, string>>, nodeOptions?: string): ChildProcess {
  const { command, nodeOptions: fromImage } = imageStart(service);
  if (command[0] !== 'node') throw new Error(`${service}/Dockerfile's CMD does not start node`);
  return startNode(
    command.slice(1),
    `${ROOT}${service}`,
    { ...env, NODE_OPTIONS: nodeOptions ?? fromImage },
    `${service}-${env['LOG_LEVEL']}`,
  );
}

/**
 * A reference's source as a .mjs file (it has no types): run as .ts, it would
 * carry Node's TypeScript stripper, ~35 MB of RSS that the services' compiled
 * JavaScript does not.
 */
function referenceScript(name: 'reference-server' | 'reference-relay'): string {
  const path = join(scratch(), `${name}.mjs`);
  copyFileSync(`${ROOT}scripts/${name}.ts`, path);
  return path;
}

/**
 * The reference: a bare Node relay in front of a bare Node server, both with
 * Node's defaults (no NODE_OPTIONS), so that the services' V8 flags count
 * against them. Resolves to the relay's port.
 */
async function startLocalRelay(): Promise<{ relay: Started; server: Started }> {
  const [serverPort, relayPort] = [await freePort(), await freePort()];
  const server = startNode([referenceScript('reference-server')], ROOT, { PORT: String(serverPort), HOST }, 'bare-hop');
  const relay = startNode(
    [referenceScript('reference-relay')],
    ROOT,
    { PORT: String(relayPort), HOST, UPSTREAM: `http://${HOST}:${serverPort}/` },
    'bare-relay',
  );
  return { relay: { child: relay, port: relayPort }, server: { child: server, port: serverPort } };
}

/** Starts node; its output goes to a file of its own, as a container's goes to Docker's log, not to a pipe the benchmark drains. */
function startNode(args: string[], cwd: string, env: Readonly<Record<string, string>>, log: string): ChildProcess {
  const out = openSync(join(scratch(), `${log}.log`), 'a');
  const child = spawn(process.execPath, args, { cwd, env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', out, out] });
  closeSync(out);
  children.push(child);
  return child;
}

/**
 * Stops the processes started here, the last started first, each to its end:
 * service1 before the service2 it calls, so that its last requests do not
 * fail against a service2 already gone.
 */
export async function stopChildren(): Promise<void> {
  for (const child of children.toReversed()) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  }
}

/** Linux reports CPU time in /proc in ticks of 1/100 s (USER_HZ), whatever the kernel's own HZ. */
const TICKS_PER_SECOND = 100;

/** The CPU time, user and system, a process has used so far, in seconds. */
export function cpuSecondsOf(pid: number): number {
  // Fields after the parenthesized command name; utime and stime are the 14th and 15th of the line.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** A process's resident memory (VmRSS), in MB of 10^6 bytes. */
export function rssMB(pid: number): number {
  const kB = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  if (kB === undefined) throw new Error(`/proc/${pid}/status has no VmRSS`);
  return (Number(kB) * 1024) / 1e6;
}

export async function freePort(): Promise<number> {
  const server = createServer().listen(0, HOST);
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// ---------------------------------------------------------------- what is loaded

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

/** A process started here, and the port of 127.0.0.1 it listens on. */
export interface Started {
  readonly child: ChildProcess;
  readonly port: number;
}

/**
 * Starts on free ports of 127.0.0.1 service2 and service1 in front of it,
 * built, each as its image starts it, both at `logLevel`; `nodeOptions`
 * replaces the Dockerfiles' NODE_OPTIONS when given.
 */
export async function startServices(nodeOptions: string | undefined, logLevel = 'info'): Promise<{ service2: Started; service1: Started }> {
  const [service2Port, service1Port] = [await freePort(), await freePort()];
  const service2 = startService('service2', { PORT: String(service2Port), HOST, LOG_LEVEL: logLevel }, nodeOptions);
  const service1Env = { PORT: String(service1Port), HOST, LOG_LEVEL: logLevel, SERVICE2_URL: `http://${HOST}:${service2Port}/` };
  const service1 = startService('service1', service1Env, nodeOptions);
  return { service2: { child: service2, port: service2Port }, service1: { child: service1, port: service1Port } };
}

/** Compiles every package, as the images do, for the processes started here. */
export async function buildServices(): Promise<void> {
  await exec('npm', ['run', 'build'], { cwd: ROOT });
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

/** The Compose front end to use: v2 when installed, else v1. */
export async function composeCli(): Promise<ComposeCli> {
  const clis = await installedComposeClis();
  const cli = clis.find((candidate) => candidate.file === 'docker') ?? clis[0];
  if (cli === undefined) throw new Error('neither docker compose (v2) nor docker-compose (v1) is installed');
  return cli;
}

/** The host port stacks are published on: SERVICE1_PORT, else 38001. */
export const PUBLISHED_PORT = Number(process.env['SERVICE1_PORT'] || '38001');

const BARE = 'perf-bench-bare-hop';
const RELAY = 'perf-bench-bare-relay';
const RELAY_NETWORK = 'perf-bench-relay';

/** Runs a reference script in a container of the base image, as the images run the services. */
async function runReference(name: string, script: 'reference-server' | 'reference-relay', args: readonly string[]): Promise<void> {
  // Node's defaults, as the local reference: the services' V8 flags count against them.
  const env = ['-e', 'HOST=0.0.0.0'];
  const source = ['-v', `${referenceScript(script)}:/bench/${script}.mjs:ro`];
  const command = [BASE_IMAGE, 'node', `/bench/${script}.mjs`];
  await run('docker', ['run', '-d', '--name', name, '--user', 'node', ...env, ...args, ...source, ...command]);
}

/** A bare hop in a container, published like service1. */
export async function startBareContainer(port: number): Promise<string> {
  await removeReferences();
  await runReference(BARE, 'reference-server', ['-e', 'PORT=8001', '-p', `${port}:8001`]);
  const url = `http://localhost:${port}/`;
  await waitForOk(url, 30_000);
  return url;
}

/** A bare relay published like service1, in front of a bare hop on a network of their own, as service2 is. */
async function startBareRelay(port: number): Promise<string> {
  await removeReferences();
  await run('docker', ['network', 'create', RELAY_NETWORK]);
  await runReference(BARE, 'reference-server', ['-e', 'PORT=8002', '--network', RELAY_NETWORK]);
  const relay = ['-e', 'PORT=8001', '-e', `UPSTREAM=http://${BARE}:8002/`, '--network', RELAY_NETWORK, '-p', `${port}:8001`];
  await runReference(RELAY, 'reference-relay', relay);
  const url = `http://localhost:${port}/`;
  await waitForOk(url, 30_000);
  return url;
}

export async function removeReferences(): Promise<void> {
  await run('docker', ['rm', '-f', BARE, RELAY]);
  // Absent unless the relay ran.
  await run('docker', ['network', 'rm', RELAY_NETWORK]).catch(() => undefined);
}

async function composeTargets(): Promise<{ targets: Target[]; cleanUp: () => Promise<void> }> {
  const stack = new ComposeProject(await composeCli(), 'perf-bench', PUBLISHED_PORT);
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

export function median(values: readonly number[]): number {
  const sorted = values.toSorted((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? Number.NaN)
    : ((sorted[middle - 1] ?? Number.NaN) + (sorted[middle] ?? Number.NaN)) / 2;
}

export function ms(value: number): string {
  return `${value.toFixed(value < 10 ? 2 : 1)} ms`;
}

export function count(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** Each round's median against the reference's median of the same round, then the median of those ratios. */
function ratio(runs: Runs, reference: Runs): number {
  const rounds = [...new Set(runs.map((r) => r.round))];
  const perRound = rounds.map((round) => {
    const rps = (of: Runs): number => median(of.filter((r) => r.round === round).map((r) => r.requestsPerSecond));
    return rps(runs) / rps(reference);
  });
  return median(perRound);
}

/** Prints a Markdown table: a header row and rows of cells. */
export function printTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]?.length ?? 0)));
  const line = (cells: readonly string[]): string => `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  process.stdout.write(`\n${[line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')}\n`);
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
