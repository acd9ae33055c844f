// What a container and the Docker host spend, read from the kernel: a
// container's memory and CPU time from its cgroup (v1 or v2), and the CPU
// time of Docker's own processes (dockerd, containerd, the container's
// shim, docker-proxy) from /proc.
import { readdirSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { cpuSecondsOf } from './processes.ts';

/** The file of one controller's cgroup of a process: `v1` under that controller's hierarchy, else `v2` under the unified one. */
function cgroupFile(pid: number, controller: string, v1: string, v2: string): string {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n');
  const own = lines.find((line) => line.split(':')[1]?.split(',').includes(controller));
  if (own !== undefined) return `/sys/fs/cgroup/${own.split(':')[1]}${own.split(':')[2] ?? ''}/${v1}`;
  const unified = lines.find((line) => line.startsWith('0::'));
  if (unified !== undefined) return `/sys/fs/cgroup${unified.slice(3)}/${v2}`;
  throw new Error(`no ${controller} cgroup in /proc/${pid}/cgroup`);
}

/** A container's memory as its cgroup counts it (what mem_limit caps), from its first process's pid. */
export function memoryFile(pid: number): string {
  return cgroupFile(pid, 'memory', 'memory.usage_in_bytes', 'memory.current');
}

/** The CPU time a container's cgroup has used so far, in seconds, from its first process's pid. */
export function containerCpuSeconds(pid: number): number {
  const file = cgroupFile(pid, 'cpuacct', 'cpuacct.usage', 'cpu.stat');
  const text = readFileSync(file, 'utf8');
  // v1: nanoseconds; v2: a line `usage_usec N`.
  return file.endsWith('cpuacct.usage') ? Number(text) / 1e9 : Number(/^usage_usec (\d+)$/m.exec(text)?.[1]) / 1e6;
}

function cmdline(pid: string): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    // Gone since the listing.
    return [];
  }
}

/**
 * The pids of what Docker runs on the host for some containers: every
 * dockerd and containerd, each container's shim (named by its id) and the
 * docker-proxy processes of a published port.
 */
export function dockerPids(containerIds: readonly string[], publishedPort: number): number[] {
  const pids: number[] = [];
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    const [file = '', ...args] = cmdline(pid);
    const name = basename(file);
    const shim = name.startsWith('containerd-shim') && containerIds.some((id) => args.includes(id));
    const proxy = name === 'docker-proxy' && args[args.indexOf('-host-port') + 1] === String(publishedPort);
    if (name === 'dockerd' || name === 'containerd' || shim || proxy) pids.push(Number(pid));
  }
  return pids;
}

/** CPU seconds a target has used so far: the services' processes or containers, and, through Docker, Docker's processes for them. */
export interface CpuSeconds {
  readonly services: number;
  readonly docker: number;
}

/** Reads the CPU time of containers (by their first process's pid) and of the Docker processes that serve them. */
export function dockerCpu(containerPids: readonly number[], dockerProcesses: readonly number[]): CpuSeconds {
  const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);
  return {
    services: sum(containerPids.map(containerCpuSeconds)),
    docker: sum(
      dockerProcesses.map((pid) => {
        try {
          return cpuSecondsOf(pid);
        } catch {
          return 0;
        }
      }),
    ),
  };
}
