// What the e2e tests hold explain to: every address and port it names,
// checked against the live engine by other means than the tool's own (the
// engine's CLI: inspect, network inspect and port per container; /sys and
// /proc inside it; the host's /sys and /proc for bridges), on Docker or Podman.
import { existsSync, readFileSync } from 'node:fs';
import { canonical } from '@two-services/explain';
import type { Explanation, Part } from '@two-services/explain';
import { inspectContainer, inspectNetwork, run, tcpSockets } from '../harness/docker.ts';
import type { Engine } from '../harness/docker.ts';

/** Ports in LISTEN inside a container, from its own /proc. */
async function listening(id: string, engine: Engine): Promise<number[]> {
  // State 0A is LISTEN.
  return (await tcpSockets(id, engine))
    .filter((columns) => columns[3] === '0A')
    .map((columns) => Number.parseInt(columns[1]?.split(':').at(-1) ?? '', 16));
}

/** `docker port`, in one spelling: "0.0.0.0:28001", "[::]:28001" (Docker 20.10's CLI writes ":::28001"). */
async function published(id: string, port: string, engine: Engine): Promise<string[]> {
  try {
    const lines = (await run(engine, ['port', id, `${port}/tcp`])).stdout.split('\n').filter((line) => line !== '');
    return lines.map((line) => {
      const at = line.lastIndexOf(':');
      const host = line.slice(0, at).replace(/^\[(.*)\]$/, '$1');
      return host.includes(':') ? `[${host}]:${line.slice(at + 1)}` : line;
    });
  } catch {
    // "no public port … published": not published.
    return [];
  }
}

/**
 * Whether a bridge is where the explanation says it is: on the host, or, for
 * a rootless Docker engine, in rootlesskit's network namespace (that of the
 * docker-proxy it names), and not on the host.
 */
function bridgeWhereSaid(bridge: string, explanation: Explanation): string | undefined {
  const onHost = existsSync(`/sys/class/net/${bridge}`);
  const { forwarding } = explanation;
  if (forwarding.kind !== 'rootlesskit') return onHost ? undefined : `the host has no bridge ${bridge}`;
  const proxy = forwarding.listeners[0]?.pid;
  const inside = proxy === undefined ? '' : readFileSync(`/proc/${proxy}/net/dev`, 'utf8');
  if (onHost) return `the host has a bridge ${bridge}, said to be in rootlesskit's namespace only`;
  return new RegExp(`^\\s*${bridge}:`, 'm').test(inside)
    ? undefined
    : `docker-proxy (pid ${proxy}) sees no bridge ${bridge} in its namespace`;
}

async function checkPart(part: Part, explanation: Explanation, engine: Engine): Promise<string[]> {
  const where = `line ${part.line}, ${part.end} ${part.kind} ${part.value}`;
  const wrong = (what: string): string[] => [`${where}: ${what}`];
  if (part.role === 'unknown') return wrong(`unexplained: ${part.text}`);
  if (part.role === 'client') {
    // This tool's own end, which NAT kept: what the tool's socket says.
    const { client } = explanation.ask;
    const own = part.kind === 'address' ? canonical(client.address) : String(client.port);
    return part.value === own ? [] : wrong(`this tool's own is ${own}`);
  }
  if (part.role === 'gateway') {
    if (part.network === undefined) return wrong('gateway of no network');
    const info = await inspectNetwork(part.network, engine);
    // Endpoints such as ingress-sbox or a Swarm load balancer are no containers to inspect.
    const seen = await Promise.all(
      Object.keys(info.Containers ?? {}).map(
        async (id) => (await inspectContainer(id, engine).catch(() => undefined))?.NetworkSettings.Networks?.[part.network ?? ''],
      ),
    );
    const gateways = [
      ...(info.IPAM.Config ?? []).map((config) => config.Gateway ?? ''),
      ...seen.flatMap((entry) => (entry === undefined ? [] : [entry.Gateway, entry.IPv6Gateway])),
    ]
      .filter((gateway) => gateway !== '')
      .map(canonical);
    const out = gateways.includes(part.value)
      ? []
      : wrong(`${engine} network inspect ${part.network} gives gateways ${[...new Set(gateways)].join(', ')}`);
    const bridge = info.Options?.['com.docker.network.bridge.name'] ?? `br-${info.Id.slice(0, 12)}`;
    if (part.interface !== bridge)
      out.push(...wrong(`${engine} network inspect ${part.network} gives bridge ${bridge}, not ${part.interface}`));
    const misplaced = bridgeWhereSaid(bridge, explanation);
    if (misplaced !== undefined) out.push(...wrong(misplaced));
    return out;
  }
  if (part.role === 'ephemeral' && part.containerId === undefined) {
    // The host's end of the connection docker-proxy (or NAT) made: a port, nothing more to look up.
    const port = Number(part.value);
    return Number.isInteger(port) && port >= 1024 && port <= 65_535 ? [] : wrong('not a port the kernel hands out');
  }
  if (part.containerId === undefined || part.network === undefined) return wrong('no container or network named');
  const info = await inspectContainer(part.containerId, engine);
  const out: string[] = [];
  if (info.Name.replace(/^\//, '') !== part.container) out.push(...wrong(`the container is named ${info.Name}, not ${part.container}`));
  if (part.role === 'container' || part.role === 'own') {
    // docker_gwbridge is not in a Swarm task's own inspect: its network's inspect lists the task.
    const own = info.NetworkSettings.Networks?.[part.network];
    const listed = (await inspectNetwork(part.network, engine)).Containers?.[part.containerId];
    const addresses = [own?.IPAddress, own?.GlobalIPv6Address, listed?.IPv4Address, listed?.IPv6Address]
      .filter((a): a is string => a !== undefined && a !== '')
      .map(canonical);
    if (!addresses.includes(part.value))
      out.push(...wrong(`${engine} inspect gives ${[...new Set(addresses)].join(', ')} on ${part.network}`));
    const mac = own?.MacAddress ?? listed?.MacAddress ?? '';
    const inside =
      part.interface === undefined
        ? ''
        : (await run(engine, ['exec', part.containerId, 'cat', `/sys/class/net/${part.interface}/address`])).stdout.trim();
    if (inside !== mac) out.push(...wrong(`${part.interface} inside has MAC ${inside}, the endpoint on ${part.network} ${mac}`));
  } else if (part.role === 'listening') {
    if (!(await listening(part.containerId, engine)).includes(Number(part.value)))
      out.push(...wrong('nothing listens on it inside the container'));
    const ports = await published(part.containerId, part.value, engine);
    if (ports.join(' ') !== (part.published ?? []).join(' ')) out.push(...wrong(`${engine} port says ${ports.join(', ') || 'nothing'}`));
  } else if ((await listening(part.containerId, engine)).includes(Number(part.value))) {
    out.push(...wrong('an ephemeral port the container listens on'));
  }
  return out;
}

/** What the live engine contradicts in an explanation: nothing, when every address and port is named rightly. */
export async function verify(explanation: Explanation, engine: Engine = 'docker'): Promise<string[]> {
  const out: string[] = [];
  for (const part of explanation.parts) out.push(...(await checkPart(part, explanation, engine)));
  const ephemeral = explanation.parts.find((part) => part.line === 1 && part.end === 'from' && part.kind === 'port');
  if (explanation.forwarding.kind === 'docker-proxy' && ephemeral?.value === String(explanation.ask.client.port)) {
    out.push(`line 1's port ${ephemeral.value} is the client's own, yet docker-proxy is said to forward`);
  }
  return out;
}
