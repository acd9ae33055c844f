// npm run overload: what the stack as shipped does under more clients than it
// can serve. Builds and starts docker-compose.yaml under a project of its own
// on BENCH_PORT (default 28001), then:
//   - a flood of wrk at 2,000 and at 10,000 connections, 20 s each, with a
//     plain client (one request at a time, a new connection each) beside it;
//   - 5,000 connections that never send a request, and a plain request beside them.
// It prints, per run, the 200s per second, the 503s and every other status,
// the connections refused or reset, latencies, each container's peak memory
// (from its cgroup) and restarts, and what the first plain request after the
// run got; then each target, met or not. Exits 1 when one is missed.
//
//   npm run overload -- [--seconds 20] [--floods 2000,10000] [--idle 5000]
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { cpus, totalmem } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { hostFacts } from '@two-services/explain';
import { ComposeProject, composeCli, get, inspectContainer, onNetwork, run } from '../harness/docker.ts';
import type { GetResult, ContainerInfo } from '../harness/docker.ts';
import { memoryFile } from './accounting.ts';
import { benchPort, removeReferences, startBareContainer } from './containers.ts';
import { count, ms, printTable } from './figures.ts';
import { requireWrk, wrk } from './wrk.ts';

const SERVICES = ['service1', 'service2'] as const;
const MIN_OK_PER_SECOND = 1_000;
const MAX_PLAIN_MS = 1_000;
const SAMPLE_MS = 100;

/** Each container's peak memory while `during` runs, sampled every SAMPLE_MS, in MB. */
async function peakMemory<T>(files: readonly string[], during: Promise<T>): Promise<{ result: T; peaks: number[] }> {
  const peaks = files.map(() => 0);
  const stop = new AbortController();
  const sampling = (async () => {
    while (!stop.signal.aborted) {
      files.forEach((file, i) => {
        try {
          peaks[i] = Math.max(peaks[i] ?? 0, Number(readFileSync(file, 'utf8')) / 1e6);
        } catch {
          // The container is restarting: its cgroup is gone for a moment.
        }
      });
      await sleep(SAMPLE_MS);
    }
  })();
  try {
    return { result: await during, peaks };
  } finally {
    stop.abort();
    await sampling;
  }
}

/** A plain client beside the load: one request at a time, each on a connection of its own, until `stop`. */
async function plainClient(url: string, stop: AbortSignal): Promise<GetResult[]> {
  const answers: GetResult[] = [];
  while (!stop.aborted) {
    answers.push(await get(url, 5_000));
    await sleep(50);
  }
  return answers;
}

function percentile(values: readonly number[], p: number): number {
  const sorted = values.toSorted((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Opens `n` connections that never send a byte; resolves once each has connected or failed. */
async function idleConnections(port: number, n: number): Promise<Socket[]> {
  const sockets: Socket[] = [];
  for (let i = 0; i < n; i += 1) {
    const socket = connect({ host: '127.0.0.1', port });
    socket.on('error', () => {});
    sockets.push(socket);
    // A few hundred at a time, so that the listen queue does not overflow.
    if (i % 200 === 199) await sleep(20);
  }
  await Promise.all(
    sockets.map(
      (socket) => new Promise((resolve) => (socket.connecting ? socket.once('connect', resolve).once('close', resolve) : resolve(null))),
    ),
  );
  return sockets;
}

interface Run {
  readonly name: string;
  readonly okPerSecond: number | undefined;
  readonly statuses: Readonly<Record<string, number>>;
  readonly refusedOrReset: number | undefined;
  readonly latency: string;
  readonly plain: string;
  readonly peaks: readonly number[];
  readonly restarts: readonly number[];
  readonly oomKilled: boolean;
  readonly after: GetResult;
  /** The run's own target: a flood's 200s, or the request beside idle connections. */
  readonly ownTarget: [string, string, boolean];
  /** Targets that do not apply: a reference run shows what the path does, not what the stack does. */
  readonly reference?: boolean;
}

/** The stack as shipped, under load, read from outside: its cgroups, its restarts, its answers. */
class Overload {
  readonly stack: ComposeProject;
  readonly #ids: string[];
  readonly #files: string[];
  readonly #restarts: number[];
  /** service1 on its frontend address, as the host reaches it without docker-proxy. */
  readonly directUrl: string;

  constructor(stack: ComposeProject, infos: readonly ContainerInfo[], files: string[]) {
    this.stack = stack;
    this.#ids = infos.map((info) => info.Id);
    this.#restarts = infos.map((info) => info.RestartCount);
    this.#files = files;
    this.directUrl = `http://${(infos[0] && onNetwork(infos[0], stack.network('frontend')))?.IPAddress ?? ''}:8001/`;
  }

  static async start(stack: ComposeProject): Promise<Overload> {
    await stack.down();
    await stack.run(['up', '--build', '-d']);
    await stack.up('info');
    const infos = await Promise.all(SERVICES.map((service) => stack.inspect(service)));
    return new Overload(
      stack,
      infos,
      infos.map((info) => memoryFile(info.State.Pid)),
    );
  }

  async #state(): Promise<{ restarts: number[]; oomKilled: boolean }> {
    const infos = await Promise.all(this.#ids.map((id) => inspectContainer(id)));
    const restarts = infos.map((info, i) => info.RestartCount - (this.#restarts[i] ?? 0));
    return { restarts, oomKilled: infos.some((info) => info.State.OOMKilled) };
  }

  /** wrk at `connections` on `url` for `seconds`, a plain client beside it on the same URL. */
  async flood(name: string, url: string, connections: number, seconds: number, reference = false): Promise<Run> {
    const stop = new AbortController();
    const plain = plainClient(url, stop.signal);
    const { result: load, peaks } = await peakMemory(
      this.#files,
      wrk(url, { connections, seconds, statuses: true, timeoutSeconds: 5 }).finally(() => stop.abort()),
    );
    const after = await get(url, 5_000);
    const answers = await plain;
    const plainOk = answers.filter((answer) => answer.status === 200).map((answer) => answer.ms);
    const okPerSecond = (load.statuses['200'] ?? 0) / seconds;
    return {
      name,
      okPerSecond,
      statuses: load.statuses,
      refusedOrReset: load.socketErrors,
      latency: `${ms(load.p50)} / ${ms(load.p99)}`,
      plain:
        plainOk.length === 0
          ? `no 200 of ${answers.length}`
          : `${ms(percentile(plainOk, 50))} / ${ms(percentile(plainOk, 99))} (${plainOk.length} of ${answers.length})`,
      peaks,
      ...(await this.#state()),
      after,
      ownTarget: [`≥ ${count(MIN_OK_PER_SECOND)} 200s per second`, `${count(okPerSecond)}/s`, okPerSecond >= MIN_OK_PER_SECOND],
      reference,
    };
  }

  /** `n` connections that send nothing on the published port, and a plain request beside them. */
  async idle(n: number): Promise<Run> {
    const { result, peaks } = await peakMemory(
      this.#files,
      (async () => {
        const sockets = await idleConnections(this.stack.port, n);
        const open = sockets.filter((socket) => !socket.destroyed).length;
        // Let service1 see them all before the plain request comes.
        await sleep(1_000);
        const beside = await get(this.stack.url, 5_000);
        const stillOpen = sockets.filter((socket) => !socket.destroyed).length;
        for (const socket of sockets) socket.destroy();
        return { beside, open, stillOpen };
      })(),
    );
    const { beside, open, stillOpen } = result;
    const ok = beside.status === 200 && beside.ms <= MAX_PLAIN_MS;
    return {
      name: `${count(n)} idle connections, published port (${count(open)} opened, ${count(stillOpen)} still open after)`,
      okPerSecond: undefined,
      statuses: { [String(beside.status)]: 1 },
      refusedOrReset: undefined,
      latency: '-',
      plain: `${beside.status} in ${ms(beside.ms)}`,
      peaks,
      ...(await this.#state()),
      after: await get(this.stack.url, 5_000),
      ownTarget: [`a plain request beside them: 200 within ${MAX_PLAIN_MS} ms`, `${beside.status} in ${ms(beside.ms)}`, ok],
    };
  }
}

/** docker-proxy's limit on open files, for the port: it needs some six per connection it carries (two sockets, two splice pipes). */
function proxyFileLimit(port: number): string {
  const [proxy] = hostFacts(port).proxies;
  if (proxy === undefined) return 'no docker-proxy in sight';
  const limit = /^Max open files\s+(\d+)/m.exec(readFileSync(`/proc/${proxy.pid}/limits`, 'utf8'))?.[1];
  return `docker-proxy (pid ${proxy.pid}) may hold ${limit === undefined ? '?' : count(Number(limit))} open files`;
}

function report(runs: readonly Run[]): boolean {
  const rows = runs.map((r) => [
    r.name,
    r.okPerSecond === undefined ? '-' : count(r.okPerSecond),
    count(r.statuses['503'] ?? 0),
    Object.entries(r.statuses)
      .filter(([status]) => status !== '200' && status !== '503')
      .map(([status, n]) => `${n} × ${status}`)
      .join(', ') || 'none',
    r.refusedOrReset === undefined ? '-' : count(r.refusedOrReset),
    r.latency,
    r.plain,
    ...r.peaks.map((peak) => (r.reference === true ? '-' : `${peak.toFixed(1)} MB`)),
    r.reference === true ? '-' : r.restarts.join(' / '),
    `${r.after.status} in ${ms(r.after.ms)}`,
  ]);
  printTable(
    [
      'run',
      '200/s',
      '503s',
      'other answers',
      'refused or reset',
      'wrk p50 / p99',
      'plain client: p50 / p99 of 200s',
      'service1 peak',
      'service2 peak',
      'restarts',
      'first request after',
    ],
    rows,
  );
  const checks: Array<[string, string, boolean]> = [];
  for (const r of runs.filter((each) => each.reference !== true)) {
    const others = Object.keys(r.statuses).filter((status) => status !== '200' && status !== '503');
    checks.push(
      [`${r.name}: no restart, no OOM kill`, `restarts ${r.restarts.join(' / ')}`, r.restarts.every((n) => n === 0) && !r.oomKilled],
      [`${r.name}: every answer a 200 or a 503`, others.length === 0 ? 'yes' : `also ${others.join(', ')}`, others.length === 0],
      [`${r.name}: ${r.ownTarget[0]}`, r.ownTarget[1], r.ownTarget[2]],
      [
        `${r.name}: first request after, 200 within ${MAX_PLAIN_MS} ms`,
        `${r.after.status} in ${ms(r.after.ms)}`,
        r.after.status === 200 && r.after.ms <= MAX_PLAIN_MS,
      ],
    );
  }
  process.stdout.write(
    '\n200/s, 503s, other answers: as wrk counted them; refused or reset: connections wrk could not open or lost;\n' +
      'peaks: each container as its cgroup counts it (what mem_limit caps), sampled every 100 ms; restarts: service1 / service2.\n\ntargets:\n',
  );
  for (const [what, figure, met] of checks) process.stdout.write(`  ${met ? 'met   ' : 'MISSED'} ${what}: ${figure}\n`);
  return checks.every(([, , met]) => met);
}

async function main(): Promise<boolean> {
  requireWrk('overload');
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '20' },
      floods: { type: 'string', default: '2000,10000' },
      idle: { type: 'string', default: '5000' },
    },
  });
  const seconds = Number(values.seconds);
  const floods = values.floods.split(',').map(Number);
  const stack = new ComposeProject(await composeCli(), 'perf-overload', benchPort());
  const overload = await Overload.start(stack);
  process.stdout.write(
    `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Docker ` +
      `${(await run('docker', ['version', '--format', '{{.Server.Version}}'])).stdout.trim()}; ` +
      `the stack as shipped under ${stack.cli.label}, project ${stack.name}, on port ${stack.port}; ${proxyFileLimit(stack.port)}\n`,
  );
  const runs: Run[] = [];
  const record = async (next: Promise<Run>): Promise<void> => {
    runs.push(await next);
    process.stdout.write(`done: ${runs.at(-1)?.name}\n`);
    // The run's connections drain before the next one starts.
    await sleep(2_000);
  };
  try {
    // Idle first: a flood that outgrows docker-proxy's files stops its listener for good.
    if (Number(values.idle) > 0) await record(overload.idle(Number(values.idle)));
    for (const connections of floods) {
      await record(overload.flood(`wrk, ${count(connections)} connections, published port`, stack.url, connections, seconds));
      await record(overload.flood(`wrk, ${count(connections)} connections, service1 direct`, overload.directUrl, connections, seconds));
    }
    // What docker-proxy does at the largest flood with nothing but a bare Node server behind it, on the next port.
    const largest = Math.max(...floods);
    try {
      const url = await startBareContainer(stack.port + 1);
      runs.push(await overload.flood(`reference: bare Node hop behind docker-proxy, wrk ${count(largest)}`, url, largest, seconds, true));
    } finally {
      await removeReferences();
    }
  } finally {
    await stack.down();
  }
  return report(runs);
}

if (!(await main())) process.exitCode = 1;
