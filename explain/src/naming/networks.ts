// What the engine's JSON says of networks and containers, asked the way the
// explanation asks it: which container has an address, on which network and
// interface, which service and stack it belongs to, a network's subnets,
// gateways and bridge.
import { BlockList, isIP } from 'node:net';
import type { ContainerJson, NetworkJson, Recording, Stack } from '../types.ts';

/** An address in one spelling, whatever the engine or Node wrote: no brackets, no prefix length, IPv6 compressed. */
export function canonical(address: string): string {
  const bare = address.replace(/^\[(.*)\]$/, '$1').replace(/\/\d+$/, '');
  // The URL parser writes IPv6 the one standard way (RFC 5952).
  return isIP(bare) === 6 ? new URL(`http://[${bare}]/`).hostname.slice(1, -1) : bare;
}

/** host:port, IPv6 in brackets. */
export function endpoint(address: string, port: number | string): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** "IPv4" or "IPv6". */
export function familyOf(address: string): 'IPv4' | 'IPv6' {
  return isIP(canonical(address)) === 6 && !canonical(address).startsWith('::ffff:') ? 'IPv6' : 'IPv4';
}

/** One container on one network. */
export interface Attachment {
  readonly network: NetworkJson;
  readonly containerId: string;
  /** The container, or undefined when the endpoint is no container of the stack (a Swarm load balancer). */
  readonly container: ContainerJson | undefined;
  readonly name: string;
  readonly addresses: readonly string[];
  readonly mac: string;
}

function labels(container: ContainerJson): Readonly<Record<string, string>> {
  return container.Config.Labels ?? {};
}

/** The Compose or Swarm service a container runs. Swarm first: task containers also carry the Compose labels of the image's build. */
export function serviceOf(container: ContainerJson): string {
  const l = labels(container);
  const swarm = l['com.docker.swarm.service.name'];
  const namespace = l['com.docker.stack.namespace'];
  if (swarm !== undefined) return namespace !== undefined && swarm.startsWith(`${namespace}_`) ? swarm.slice(namespace.length + 1) : swarm;
  return l['com.docker.compose.service'] ?? nameOf(container);
}

/** The container's name; for a Swarm task, without its 25-character task id. */
export function nameOf(container: ContainerJson): string {
  const task = labels(container)['com.docker.swarm.task.name'];
  return task === undefined ? container.Name.replace(/^\//, '') : task.replace(/\.[0-9a-z]{25}$/, '');
}

/** The Compose project or Swarm stack a container is in, and the front end that made it. */
export function stackOf(container: ContainerJson): Stack {
  const l = labels(container);
  const namespace = l['com.docker.stack.namespace'];
  if (namespace !== undefined) return { kind: 'swarm', name: namespace };
  const name = l['com.docker.compose.project'] ?? '';
  // podman-compose sets no version label of Compose's, and one of its own.
  if (l['io.podman.compose.version'] !== undefined)
    return { kind: 'compose', name, cli: 'podman-compose', version: l['io.podman.compose.version'] };
  const version = l['com.docker.compose.version'] ?? '';
  return { kind: 'compose', name, cli: version.startsWith('1.') ? 'v1' : 'v2', version };
}

/** Host bindings of a container port, as `docker port` prints them. */
export function bindings(container: ContainerJson, port: string): string[] {
  return (container.NetworkSettings.Ports?.[`${port}/tcp`] ?? []).map(({ HostIp, HostPort }) =>
    endpoint(HostIp === '' ? '0.0.0.0' : HostIp, HostPort),
  );
}

/** Whether a container publishes `hostPort`. */
export function publishes(container: ContainerJson, hostPort: number): boolean {
  return Object.values(container.NetworkSettings.Ports ?? {}).some((list) =>
    (list ?? []).some((binding) => binding.HostPort === String(hostPort)),
  );
}

export function subnets(network: NetworkJson): string[] {
  return (network.IPAM.Config ?? []).flatMap((config) => (config.Subnet === undefined ? [] : [config.Subnet]));
}

/** A network's gateways: from its IPAM config, or, when a subnet was given without one, as its containers see them. */
export function gateways(network: NetworkJson, containers: readonly ContainerJson[]): string[] {
  const seen = containers.flatMap((container) => {
    const entry = container.NetworkSettings.Networks?.[network.Name];
    return entry === undefined ? [] : [entry.Gateway, entry.IPv6Gateway];
  });
  const configured = (network.IPAM.Config ?? []).map((config) => config.Gateway ?? '');
  return [...new Set([...configured, ...seen].filter((gateway) => gateway !== '').map(canonical))];
}

/** Whether `address` is in one of the network's subnets. */
export function contains(network: NetworkJson, address: string): boolean {
  const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
  const list = new BlockList();
  for (const subnet of subnets(network)) {
    const [base = '', bits = ''] = subnet.split('/');
    if ((isIP(base) === 6 ? 'ipv6' : 'ipv4') === family) list.addSubnet(base, Number(bits), family);
  }
  return list.check(address, family);
}

/** "bridge, internal, 172.20.0.0/16" */
export function kindOf(network: NetworkJson): string {
  return [network.Driver, ...(network.Internal ? ['internal'] : []), ...subnets(network)].join(', ');
}

/** " (overlay, internal)": what sets a network apart from a plain bridge. */
export function flags(network: NetworkJson): string {
  const words = [...(network.Driver === 'bridge' ? [] : [network.Driver]), ...(network.Internal ? ['internal'] : [])];
  return words.length === 0 ? '' : ` (${words.join(', ')})`;
}

/** The bridge of a bridge network, which holds the gateway address: the name given it, Podman's own (podmanN), or Docker's br-<id>. */
export function bridgeOf(network: NetworkJson): string | undefined {
  if (network.Driver !== 'bridge') return undefined;
  return network.Options?.['com.docker.network.bridge.name'] ?? network.network_interface ?? `br-${network.Id.slice(0, 12)}`;
}

/** Numbers in order: 10.0.2.2 before 10.0.2.10. */
export function byNumber(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** Every container of the recording on every network, with its addresses there. */
export function attachmentsOf(recording: Recording, byId: ReadonlyMap<string, ContainerJson>): Attachment[] {
  return recording.networks.flatMap((network) =>
    Object.entries(network.Containers ?? {}).map(([containerId, entry]) => {
      const container = byId.get(containerId);
      // What the network lists, and what the container's own inspect says of it: Podman's network JSON leaves out IPv6 addresses.
      const own = container?.NetworkSettings.Networks?.[network.Name];
      return {
        network,
        containerId,
        container,
        name: container === undefined ? entry.Name : nameOf(container),
        addresses: [entry.IPv4Address, entry.IPv6Address, own?.IPAddress ?? '', own?.GlobalIPv6Address ?? '']
          .filter((address) => address !== '')
          .map(canonical)
          .filter((address, i, all) => all.indexOf(address) === i),
        mac: entry.MacAddress,
      };
    }),
  );
}

/** The service of an attachment: its container's, or the endpoint's name. */
export function serviceName(a: Attachment): string {
  return a.container === undefined ? a.name : serviceOf(a.container);
}

/** "service1 10.0.2.6; service2 10.0.2.2, 10.0.2.3, 10.0.2.4" */
export function byService(members: readonly Attachment[]): string {
  const addresses = new Map<string, string[]>();
  for (const a of members) addresses.set(serviceName(a), [...(addresses.get(serviceName(a)) ?? []), a.addresses.join(' ')]);
  return [...addresses]
    .toSorted(([a], [b]) => byNumber(a, b))
    .map(([service, list]) => `${service} ${list.toSorted(byNumber).join(', ')}`)
    .join('; ');
}
