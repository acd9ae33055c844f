// What the e2e tests hold `npm run explain` to: every address and port it
// names, checked against the live engine by other means than the tool's own
// (docker inspect and docker port per container, /sys and /proc inside it).
import { existsSync } from 'node:fs';
import { canonical } from '@two-services/explain';
import type { Explanation, Part } from '@two-services/explain';
import { inspectContainer, inspectNetwork, run, tcpSockets } from '../harness/docker.ts';

async function dockerOutput(...args: string[]): Promise<string> {
  return (await run('docker', args)).stdout;
}

/** Ports in LISTEN inside a container, from its own /proc. */
async function listening(id: string): Promise<number[]> {
  // State 0A is LISTEN.
  return (await tcpSockets(id))
    .filter((columns) => columns[3] === '0A')
    .map((columns) => Number.parseInt(columns[1]?.split(':').at(-1) ?? '', 16));
}

/** `docker port`, in one spelling: "0.0.0.0:28001", "[::]:28001" (Docker 20.10's CLI writes ":::28001"). */
async function published(id: string, port: string): Promise<string[]> {
  try {
    const lines = (await dockerOutput('port', id, `${port}/tcp`)).split('\n').filter((line) => line !== '');
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

async function checkPart(part: Part, client: Explanation['ask']['client']): Promise<string[]> {
  const where = `line ${part.line}, ${part.end} ${part.kind} ${part.value}`;
  const wrong = (what: string): string[] => [`${where}: ${what}`];
  if (part.role === 'unknown') return wrong(`unexplained: ${part.text}`);
  if (part.role === 'client') {
    // This tool's own end, which NAT kept: what the tool's socket says.
    const own = part.kind === 'address' ? canonical(client.address) : String(client.port);
    return part.value === own ? [] : wrong(`this tool's own is ${own}`);
  }
  if (part.role === 'gateway') {
    if (part.network === undefined) return wrong('gateway of no network');
    const info = await inspectNetwork(part.network);
    // Endpoints such as ingress-sbox or a Swarm load balancer are no containers to inspect.
    const seen = await Promise.all(
      Object.keys(info.Containers ?? {}).map(
        async (id) => (await inspectContainer(id).catch(() => undefined))?.NetworkSettings.Networks?.[part.network ?? ''],
      ),
    );
    const gateways = [
      ...(info.IPAM.Config ?? []).map((config) => config.Gateway ?? ''),
      ...seen.flatMap((entry) => (entry === undefined ? [] : [entry.Gateway, entry.IPv6Gateway])),
    ]
      .filter((gateway) => gateway !== '')
      .map(canonical);
    const bridge = info.Options?.['com.docker.network.bridge.name'] ?? `br-${info.Id.slice(0, 12)}`;
    return [
      ...(gateways.includes(part.value)
        ? []
        : wrong(`docker network inspect ${part.network} gives gateways ${[...new Set(gateways)].join(', ')}`)),
      ...(part.interface === bridge && existsSync(`/sys/class/net/${bridge}`)
        ? []
        : wrong(`the host's bridge is ${bridge}, not ${part.interface}`)),
    ];
  }
  if (part.role === 'ephemeral' && part.containerId === undefined) {
    // The host's end of the connection docker-proxy (or NAT) made: a port, nothing more to look up.
    const port = Number(part.value);
    return Number.isInteger(port) && port >= 1024 && port <= 65_535 ? [] : wrong('not a port the kernel hands out');
  }
  if (part.containerId === undefined || part.network === undefined) return wrong('no container or network named');
  const info = await inspectContainer(part.containerId);
  const out: string[] = [];
  if (info.Name.replace(/^\//, '') !== part.container) out.push(...wrong(`the container is named ${info.Name}, not ${part.container}`));
  if (part.role === 'container') {
    // docker_gwbridge is not in a Swarm task's own inspect: its network's inspect lists the task.
    const own = info.NetworkSettings.Networks?.[part.network];
    const listed = (await inspectNetwork(part.network)).Containers?.[part.containerId];
    const addresses = [own?.IPAddress, own?.GlobalIPv6Address, listed?.IPv4Address, listed?.IPv6Address].filter(
      (a) => a !== undefined && a !== '',
    );
    if (!addresses.map((a) => canonical(a ?? '')).includes(part.value))
      out.push(...wrong(`docker inspect gives ${[...new Set(addresses.map((a) => canonical(a ?? '')))].join(', ')} on ${part.network}`));
    const mac = own?.MacAddress ?? listed?.MacAddress ?? '';
    const inside =
      part.interface === undefined
        ? ''
        : (await dockerOutput('exec', part.containerId, 'cat', `/sys/class/net/${part.interface}/address`)).trim();
    if (inside !== mac) out.push(...wrong(`${part.interface} inside has MAC ${inside}, the endpoint on ${part.network} ${mac}`));
  } else if (part.role === 'listening') {
    if (!(await listening(part.containerId)).includes(Number(part.value))) out.push(...wrong('nothing listens on it inside the container'));
    const ports = await published(part.containerId, part.value);
    if (ports.join(' ') !== (part.published ?? []).join(' ')) out.push(...wrong(`docker port says ${ports.join(', ') || 'nothing'}`));
  } else if ((await listening(part.containerId)).includes(Number(part.value))) {
    out.push(...wrong('an ephemeral port the container listens on'));
  }
  return out;
}

/** What the live engine contradicts in an explanation: nothing, when every address and port is named rightly. */
export async function verify(explanation: Explanation): Promise<string[]> {
  const out: string[] = [];
  for (const part of explanation.parts) out.push(...(await checkPart(part, explanation.ask.client)));
  const ephemeral = explanation.parts.find((part) => part.line === 1 && part.end === 'from' && part.kind === 'port');
  if (explanation.forwarding.kind === 'docker-proxy' && ephemeral?.value === String(explanation.ask.client.port)) {
    out.push(`line 1's port ${ephemeral.value} is the client's own, yet docker-proxy is said to forward`);
  }
  return out;
}
