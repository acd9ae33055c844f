// npm run bench: how fast service1 relays, against a bare Node HTTP hop.
//
// Builds both services, starts on loopback a bare Node server (one hop),
// service2 alone and service1 in front of service2, each as its image starts
// it (the Dockerfile's CMD and ENV NODE_OPTIONS), and loads each in turn with
// autocannon: same connections, same duration, several rounds. Prints a table
// of medians. With --compose, loads localhost:8001 of the running stack.
//
//   npm run bench -- [--compose] [--connections 32] [--duration 10] [--rounds 5]
import autocannon from 'autocannon';
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { waitForOk } from '../e2e/docker.js';

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HOST = '127.0.0.1';

const { values: args } = parseArgs({
  options: {
    compose: { type: 'boolean', default: false },
    connections: { type: 'string', default: '32' },
    duration: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
  },
});
const connections = Number(args.connections);
const duration = Number(args.duration);
const rounds = Number(args.rounds);
const warmup = Number(args.warmup);

/** Something to load, and how to read its memory afterwards. */
interface Target {
  readonly name: string;
  readonly url: string;
  readonly rssMiB: () => Promise<number | undefined>;
}

/** One load of one target. */
interface Measure {
  readonly requestsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
}

const children: ChildProcess[] = [];

async function main(): Promise<void> {
  const targets = args.compose ? composeTargets() : await localTargets();
  process.stdout.write(
    `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version} (load generator), ` +
      `${connections} connections, ${duration} s per load, ${rounds} rounds, autocannon\n`,
  );
  const measures = new Map<string, Measure[]>(targets.map((target) => [target.name, []]));
  for (let round = 1; round <= rounds; round += 1) {
    for (const target of targets) {
      if (warmup > 0) await autocannon({ url: target.url, connections, duration: warmup });
      const result = await autocannon({ url: target.url, connections, duration });
      const measure: Measure = {
        requestsPerSecond: result.requests.average,
        p50: result.latency.p50,
        p99: result.latency.p99,
        errors: result.errors + result.timeouts + result.non2xx,
      };
      measures.get(target.name)?.push(measure);
      process.stdout.write(`round ${round} ${target.name}: ${Math.round(measure.requestsPerSecond)} req/s, p50 ${measure.p50} ms, p99 ${measure.p99} ms, ${measure.errors} errors\n`);
    }
  }
  const rss = await Promise.all(targets.map((target) => target.rssMiB()));
  printTable(targets, measures, rss);
  process.stdout.write('\nreq/s, p50, p99: medians over the rounds; errors: their sum; vs bare hop: the median of each round\'s ratio.\n');
}

function printTable(targets: readonly Target[], measures: ReadonlyMap<string, Measure[]>, rss: ReadonlyArray<number | undefined>): void {
  const reference = measures.get(targets[0]?.name ?? '') ?? [];
  const rows = targets.map((target, i) => {
    const runs = measures.get(target.name) ?? [];
    const rps = median(runs.map((m) => m.requestsPerSecond));
    // Each round's ratio is taken against the bare hop of the same round, loaded
    // moments before: the machine's speed drifts between rounds, not within one.
    const ratio = median(runs.map((m, round) => m.requestsPerSecond / (reference[round]?.requestsPerSecond ?? Number.NaN)));
    return [
      target.name,
      String(Math.round(rps)),
      `${median(runs.map((m) => m.p50))} ms`,
      `${median(runs.map((m) => m.p99))} ms`,
      String(runs.reduce((sum, m) => sum + m.errors, 0)),
      rss[i] === undefined ? '-' : `${rss[i]?.toFixed(1)} MB`,
      targets.length > 1 ? `${ratio.toFixed(2)}×` : '-',
    ];
  });
  const header = ['target', 'req/s', 'p50', 'p99', 'errors', 'RSS after load', 'vs bare hop'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]?.length ?? 0)));
  const line = (cells: readonly string[]): string => `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  process.stdout.write(`\n${[line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')}\n`);
}

async function localTargets(): Promise<Target[]> {
  await exec('npm', ['run', 'build'], { cwd: ROOT });
  const [referencePort, service2Port, service1Port] = [await freePort(), await freePort(), await freePort()];
  const service1Image = imageStart('service1');
  const reference = start(['build/scripts/reference-server.js'], ROOT, { PORT: String(referencePort), NODE_OPTIONS: service1Image.nodeOptions });
  const service2 = startService('service2', { PORT: String(service2Port), HOST });
  const service1 = startService('service1', { PORT: String(service1Port), HOST, SERVICE2_URL: `http://${HOST}:${service2Port}/` });
  const targets: Target[] = [
    { name: 'bare Node hop', url: `http://${HOST}:${referencePort}/`, rssMiB: () => rssOf(reference) },
    { name: 'service2', url: `http://${HOST}:${service2Port}/`, rssMiB: () => rssOf(service2) },
    { name: 'service1 → service2', url: `http://${HOST}:${service1Port}/`, rssMiB: () => rssOf(service1) },
  ];
  for (const target of targets) await waitForOk(target.url, 10_000);
  return targets;
}

function composeTargets(): Target[] {
  const url = `http://localhost:${process.env['SERVICE1_PORT'] ?? '8001'}/`;
  return [{ name: 'service1 → service2 (Compose)', url, rssMiB: () => containerMemory('service1') }];
}

/** Memory the running stack's container of `service` uses (its cgroup's count), in MiB. */
async function containerMemory(service: string): Promise<number | undefined> {
  for (const compose of [['docker', 'compose'], ['docker-compose']] as const) {
    try {
      const [file, ...prefix] = compose;
      const id = (await exec(file, [...prefix, 'ps', '-q', service], { cwd: ROOT })).stdout.trim();
      if (id === '') continue;
      const usage = (await exec('docker', ['stats', '--no-stream', '--format', '{{.MemUsage}}', id])).stdout;
      const match = /^([0-9.]+)(KiB|MiB|GiB)/.exec(usage.trim());
      if (match === null) return undefined;
      return Number(match[1]) * ({ KiB: 1 / 1024, MiB: 1, GiB: 1024 } as const)[match[2] as 'KiB' | 'MiB' | 'GiB'];
    } catch {
      // This front end is not installed, or the stack is not running under it.
    }
  }
  return undefined;
}

/** How a service's image starts it: the Dockerfile's CMD and ENV NODE_OPTIONS. */
function imageStart(service: string): { command: string[]; nodeOptions: string } {
  const dockerfile = readFileSync(`${ROOT}${service}/Dockerfile`, 'utf8');
  const cmd = /^CMD\s+(\[.*\])\s*$/m.exec(dockerfile)?.[1];
  if (cmd === undefined) throw new Error(`${service}/Dockerfile has no exec-form CMD`);
  const nodeOptions = /^ENV\s+NODE_OPTIONS=("?)(.*)\1\s*$/m.exec(dockerfile)?.[2] ?? '';
  return { command: JSON.parse(cmd) as string[], nodeOptions };
}

function startService(service: string, env: Record<string, string>): ChildProcess {
  const { command, nodeOptions } = imageStart(service);
  if (command[0] !== 'node') throw new Error(`${service}/Dockerfile's CMD does not start node`);
  return start(command.slice(1), `${ROOT}${service}`, { ...env, NODE_OPTIONS: nodeOptions });
}

function start(args: string[], cwd: string, env: Record<string, string>): ChildProcess {
  // Logs go nowhere: a pipe the benchmark had to drain would compete for CPU.
  const child = spawn(process.execPath, args, { cwd, env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(child);
  return child;
}

async function rssOf(child: ChildProcess): Promise<number | undefined> {
  if (child.pid === undefined) return undefined;
  const { stdout } = await exec('ps', ['-o', 'rss=', '-p', String(child.pid)]);
  return Number(stdout.trim()) / 1024;
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, HOST);
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

try {
  await main();
} finally {
  for (const child of children) child.kill('SIGTERM');
}
