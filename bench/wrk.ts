// wrk, the load generator the benchmarks use, and what one load of it came to.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../harness/docker.ts';
import { scratch } from './scratch.ts';

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
