// What the engine the tests run on is and can do, from what it reports of
// itself (docker info, podman info) and of its processes: rootless or not,
// whether its containers get cgroups (pause, memory and pids limits), and so
// where line 1 of the answer starts.
import { readdirSync, readFileSync } from 'node:fs';
import { run } from './docker.ts';
import type { Engine } from './docker.ts';

/** The engine's traits that change what the stack can do or answers. */
export interface EngineTraits {
  readonly engine: Engine;
  /** Its version, as the server reports it. */
  readonly version: string;
  readonly rootless: boolean;
  /** Why containers get no cgroups here (so pause cannot freeze, and limits hold nothing), or false when they do. */
  readonly noCgroups: string | false;
  /**
   * Where line 1 starts: the gateway of the network service1 is published
   * through (docker-proxy or NAT on the host, or docker-proxy inside
   * rootlesskit with its builtin port driver), or one of service1's own
   * addresses (rootless Podman with netavark: rootlessport connects from
   * inside service1's own network namespace).
   */
  readonly lineOneFrom: 'gateway' | 'own';
}

/** `docker info`, the parts read here. */
interface DockerInfo {
  readonly ServerVersion: string;
  readonly SecurityOptions?: readonly string[] | null;
  readonly CgroupDriver?: string;
}

/** `podman info`, the parts read here. */
interface PodmanInfo {
  readonly host: {
    readonly cgroupVersion?: string;
    readonly networkBackend?: string;
    readonly security: { readonly rootless: boolean };
  };
  readonly version: { readonly Version: string };
}

/** The port driver rootlesskit runs with, from its command line in /proc, or undefined when none runs in sight. */
function rootlesskitPortDriver(): string | undefined {
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    let args: string[];
    try {
      args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (args[0]?.endsWith('rootlesskit') !== true) continue;
    return args.find((arg) => arg.startsWith('--port-driver='))?.slice('--port-driver='.length) ?? 'builtin';
  }
  return undefined;
}

/** The traits of the engine `engine`'s CLI talks to (DOCKER_HOST's, for Docker). */
export async function engineTraits(engine: Engine): Promise<EngineTraits> {
  if (engine === 'podman') {
    const info = JSON.parse((await run('podman', ['info', '--format', 'json'])).stdout) as PodmanInfo;
    const rootless = info.host.security.rootless;
    const v1 = info.host.cgroupVersion === 'v1';
    return {
      engine,
      version: info.version.Version,
      rootless,
      noCgroups:
        rootless && v1
          ? 'podman info says rootless on cgroup v1, where Podman gives containers no cgroup: "Resource limits are not supported and ignored on cgroups V1 rootless systems"'
          : false,
      lineOneFrom: rootless && info.host.networkBackend === 'netavark' ? 'own' : 'gateway',
    };
  }
  const info = JSON.parse((await run('docker', ['info', '--format', '{{json .}}'])).stdout) as DockerInfo;
  const rootless = (info.SecurityOptions ?? []).some((option) => option.split(',').includes('name=rootless'));
  const driver = rootless ? rootlesskitPortDriver() : undefined;
  if (driver !== undefined && driver !== 'builtin')
    throw new Error(`rootlesskit's ${driver} port driver: these tests know the builtin one only`);
  return {
    engine,
    version: info.ServerVersion,
    rootless,
    noCgroups:
      info.CgroupDriver === 'none'
        ? 'docker info says "Cgroup Driver: none": a rootless engine on a cgroup v1 host gives containers no cgroup'
        : false,
    lineOneFrom: 'gateway',
  };
}

/** The memory and pids limits a container's processes are under, as its own cgroup files say. */
export async function limitsInside(id: string, engine: Engine): Promise<{ memory: number; pids: number }> {
  const script = [
    'cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes',
    'cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max',
  ].join('; ');
  const [memory = '', pids = ''] = (await run(engine, ['exec', id, 'sh', '-c', script])).stdout.trim().split('\n');
  return { memory: Number(memory), pids: Number(pids) };
}
