// What the host's /proc shows of how a published port reaches a container:
// docker-proxy, dockerd, rootlesskit (rootless Docker), rootlessport
// (rootless Podman), and the network namespaces they and the containers are
// in. Run in explain's container, /proc is the engine host's (pid: host).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';
import type { ContainerJson, HostFacts, ProcessFacts } from '../types.ts';

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** A process's network namespace, or null where /proc does not let this tool see it (another user's). */
function netnsOf(pid: number): string | null {
  try {
    return readlinkSync(`/proc/${pid}/ns/net`);
  } catch {
    return null;
  }
}

function processes(): Array<{ pid: number; name: string; args: string[] }> {
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    // No /proc (not Linux): nothing in sight.
  }
  return pids.flatMap((pid) => {
    const [file = '', ...args] = (readOrNull(`/proc/${pid}/cmdline`) ?? '').split('\0').filter((arg) => arg !== '');
    return file === '' ? [] : [{ pid: Number(pid), name: basename(file), args }];
  });
}

/** The host's facts for `port`, and the network namespace of each of `containers`. */
export function hostFacts(port: number, containers: readonly ContainerJson[] = []): HostFacts {
  const proxies: ProcessFacts[] = [];
  const rootlessports: ProcessFacts[] = [];
  let dockerd: string[] | null = null;
  let rootlesskit: ProcessFacts | null = null;
  for (const { pid, name, args } of processes().toSorted((a, b) => a.pid - b.pid)) {
    if (name === 'dockerd') dockerd = args;
    // The first, the parent: the one that listens on the host.
    if (name === 'rootlesskit' && rootlesskit === null) rootlesskit = { pid, args };
    if (name === 'rootlessport') rootlessports.push({ pid, args, netns: netnsOf(pid) });
    if (name === 'docker-proxy' && args[args.indexOf('-host-port') + 1] === String(port)) proxies.push({ pid, args, netns: netnsOf(pid) });
  }
  const range = readOrNull('/proc/sys/net/ipv4/ip_local_port_range')?.trim().split(/\s+/).map(Number);
  const containerNetns = Object.fromEntries(
    containers.flatMap((container) => {
      const pid = container.State?.Pid ?? 0;
      return pid > 0 ? [[container.Id, netnsOf(pid)]] : [];
    }),
  );
  return {
    proxies,
    dockerd,
    daemonJson: readOrNull('/etc/docker/daemon.json'),
    portRange: range?.length === 2 ? [range[0] ?? 0, range[1] ?? 0] : null,
    rootlesskit,
    rootlessports,
    containerNetns,
  };
}
