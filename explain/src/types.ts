// The types of explain: what it reads (a Recording: the engine's own JSON for the stack's
// containers and networks, and a few facts of the host) and what it makes of
// it (an Explanation), as types only.

/** One end of a TCP connection. */
export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

/** The one request the tool made, and what it got. */
export interface Exchange {
  readonly url: string;
  readonly status: number;
  readonly body: string;
  /** The tool's own end of the connection (curl's, had curl asked). */
  readonly client: Endpoint;
  /** The host's end it reached: a listener on the published port. */
  readonly server: Endpoint;
  /** Addresses of the host name that refused, tried first, as curl tries each in turn. */
  readonly refused?: readonly string[];
}

/** A port binding, as the engine reports it. */
export interface BindingJson {
  readonly HostIp: string;
  readonly HostPort: string;
}

/** A container on one network, as the container's inspect shows it. */
export interface EndpointJson {
  readonly IPAddress: string;
  readonly GlobalIPv6Address: string;
  readonly Gateway: string;
  readonly IPv6Gateway: string;
  readonly MacAddress: string;
}

/** The parts of a container's inspect (`GET /containers/{id}/json`) read here. */
export interface ContainerJson {
  readonly Id: string;
  readonly Name: string;
  readonly State?: { readonly Pid?: number };
  readonly Config: {
    readonly Labels: Readonly<Record<string, string>> | null;
    readonly ExposedPorts?: Readonly<Record<string, unknown>> | null;
    readonly Env?: readonly string[] | null;
  };
  readonly NetworkSettings: {
    readonly Ports: Readonly<Record<string, readonly BindingJson[] | null>> | null;
    readonly Networks: Readonly<Record<string, EndpointJson>> | null;
  };
}

/** The parts of a network's inspect (`GET /networks/{id}`) read here. */
export interface NetworkJson {
  readonly Name: string;
  readonly Id: string;
  readonly Driver: string;
  readonly Internal: boolean;
  readonly EnableIPv6: boolean;
  readonly IPAM: { readonly Config: ReadonlyArray<{ readonly Subnet?: string; readonly Gateway?: string }> | null };
  readonly Options: Readonly<Record<string, string>> | null;
  readonly Containers: Readonly<
    Record<string, { readonly Name: string; readonly MacAddress: string; readonly IPv4Address: string; readonly IPv6Address: string }>
  > | null;
  /** Podman only: its bridge's name, from its own API (`GET /libpod/networks/{name}/json`), which its Docker-shaped JSON leaves out. */
  readonly network_interface?: string;
}

/** The parts of a Swarm task (`GET /tasks`) read here. */
export interface TaskJson {
  readonly ID: string;
  readonly NodeID: string;
  readonly Slot?: number;
  readonly ServiceID: string;
  readonly Status: { readonly State: string; readonly ContainerStatus?: { readonly ContainerID?: string } };
  readonly NetworksAttachments?: ReadonlyArray<{
    readonly Network: { readonly Spec: { readonly Name: string } };
    readonly Addresses?: readonly string[];
  }>;
}

/** What a container's own Node says from inside it (exec). */
export interface Inside {
  /** os.networkInterfaces(), reduced to addresses and MACs. */
  readonly interfaces: Readonly<Record<string, ReadonlyArray<{ readonly address: string; readonly mac: string }>>>;
  /** TCP ports in state LISTEN, from /proc/net/tcp and tcp6. */
  readonly listening: readonly number[];
  /** net.ipv4.ip_local_port_range: where the kernel takes ephemeral ports. */
  readonly portRange: readonly [number, number] | null;
  /** The host name of the URL the container calls (SERVICE2_URL), and what its resolver answers for it, in order. */
  readonly resolved?: { readonly name: string; readonly addresses: readonly string[] } | null;
}

/** A process of the host, as /proc shows it. */
export interface ProcessFacts {
  readonly pid: number;
  readonly args: readonly string[];
  /** Its network namespace (`net:[…]`), where /proc lets this tool read it. */
  readonly netns?: string | null;
}

/** What the host says about how its port reaches the container. */
export interface HostFacts {
  /** docker-proxy processes for the asked port, from /proc. */
  readonly proxies: readonly ProcessFacts[];
  /** dockerd's arguments, or null when /proc shows no dockerd (Docker Desktop, a remote engine). */
  readonly dockerd: readonly string[] | null;
  /** /etc/docker/daemon.json, or null when there is none. */
  readonly daemonJson: string | null;
  readonly portRange: readonly [number, number] | null;
  /** rootlesskit, which holds a rootless Docker engine in namespaces of its own and listens on its published ports. */
  readonly rootlesskit?: ProcessFacts | null;
  /** rootlessport processes, which rootless Podman runs for published ports. */
  readonly rootlessports?: readonly ProcessFacts[];
  /** The network namespace of each container's first process, by container id, where /proc shows it. */
  readonly containerNetns?: Readonly<Record<string, string | null>>;
}

/** What the engine says of itself. */
export interface EngineFacts {
  /** Docker Engine, or Podman through its Docker-compatible API (absent in recordings before Podman was read). */
  readonly kind?: 'docker' | 'podman';
  readonly version: string;
  /** OperatingSystem: the host's distribution, or `Docker Desktop`, whose engine runs in a VM. */
  readonly os: string;
  /** Whether it runs rootless (`name=rootless` among its SecurityOptions). */
  readonly rootless: boolean;
  /** Where this tool reached it (DOCKER_HOST's spelling). */
  readonly socket?: string;
}

/** A node of a Swarm, as a manager reports it. */
export interface NodeFacts {
  readonly id: string;
  readonly hostname: string;
  /** The address it is known by in the swarm, where its host-mode ports answer. */
  readonly address: string;
}

/** A running task of the stack, as a manager reports it. */
export interface TaskFacts {
  /** stack_service.slot, or stack_service.nodeid for a global service. */
  readonly name: string;
  readonly service: string;
  readonly nodeId: string;
  readonly containerId: string;
  /** Its addresses on the stack's overlay networks, by network name. */
  readonly addresses: Readonly<Record<string, readonly string[]>>;
}

/** What a manager of a swarm of several nodes says of them and of the stack's tasks. */
export interface SwarmFacts {
  /** The node whose engine was read. */
  readonly localNodeId: string;
  readonly nodes: readonly NodeFacts[];
  readonly tasks: readonly TaskFacts[];
}

/** Everything the explanation is made from: what the unit tests' fixtures hold. */
export interface Recording {
  /** The host port asked. */
  readonly port: number;
  readonly ask: Exchange;
  /** Inspect of every container of the stack. */
  readonly containers: readonly ContainerJson[];
  /** Inspect of every network they are on (and docker_gwbridge under Swarm). */
  readonly networks: readonly NetworkJson[];
  /** By container id. */
  readonly insides: Readonly<Record<string, Inside>>;
  readonly engine: EngineFacts;
  readonly host: HostFacts;
  /** Where this tool ran: on the host, or in its container on the engine's host network and processes (absent: the host). */
  readonly ranIn?: 'host' | 'container';
  /** Where the engine read is a manager of a swarm of more than one node. */
  readonly swarm?: SwarmFacts;
}

export type Stack =
  | { readonly kind: 'compose'; readonly name: string; readonly cli: 'v1' | 'v2' | 'podman-compose'; readonly version: string }
  | { readonly kind: 'swarm'; readonly name: string };

/** A docker-proxy process and what it forwards. */
export interface ProxyListener {
  readonly pid: number;
  readonly listen: string;
  readonly target: string;
}

/** How the host port reaches service1. */
export type Forwarding =
  | { readonly kind: 'docker-proxy'; readonly listeners: readonly ProxyListener[] }
  | { readonly kind: 'nat'; readonly evidence: string }
  /** Docker Desktop: a proxy of its own on the host, the engine in a VM, out of sight. */
  | { readonly kind: 'desktop' }
  /** Rootless Docker: rootlesskit listens on the host and hands the connection to docker-proxy inside its namespace. */
  | {
      readonly kind: 'rootlesskit';
      readonly pid: number | undefined;
      readonly portDriver: string;
      readonly listeners: readonly ProxyListener[];
      /** Whether this tool asked from inside rootlesskit's namespace (its container on the engine's host network), past rootlesskit. */
      readonly fromInside: boolean;
    }
  /** Rootless Podman: rootlessport takes the connection and opens one from inside service1's own network namespace. */
  | { readonly kind: 'rootlessport'; readonly pid: number | undefined; readonly sharesNamespace: boolean }
  /** A node of a swarm, asked from another machine: its NAT rules send the connection on, its source kept. */
  | { readonly kind: 'node'; readonly node: string }
  | { readonly kind: 'unknown' };

/** One address or port of the answer, and what it is on this machine. */
export interface Part {
  readonly line: 1 | 2;
  readonly end: 'from' | 'to';
  readonly kind: 'address' | 'port';
  /** As the answer wrote it, IPv6 without brackets. */
  readonly value: string;
  /**
   * `client`: this tool's own end, as a node that forwards its port by NAT keeps it;
   * `own`: service1's own address, where rootlessport connects from inside service1.
   */
  readonly role: 'gateway' | 'container' | 'ephemeral' | 'listening' | 'client' | 'own' | 'unknown';
  /** The network the address is on, or the connection ran over. */
  readonly network?: string | undefined;
  readonly containerId?: string | undefined;
  readonly container?: string | undefined;
  readonly service?: string | undefined;
  /** The interface inside the container; for a gateway, the bridge that holds it. */
  readonly interface?: string | undefined;
  /** For a listening port, the host ports it is published on. */
  readonly published?: readonly string[] | undefined;
  /** On a swarm of several nodes: the node the container runs on, or the address belongs to. */
  readonly node?: string | undefined;
  readonly text: string;
}

/** Something the answer does not show. */
export interface Note {
  readonly subject: string;
  readonly text: string;
}

export interface Explanation {
  readonly ask: Exchange;
  /** The answer's lines, without the final newline. */
  readonly lines: readonly string[];
  readonly stack: Stack;
  readonly forwarding: Forwarding;
  /** Where this tool ran, and how that differs from the reader's own curl, when it does. */
  readonly where: string;
  readonly summary: string;
  /** A heading for each line of the answer. */
  readonly headings: readonly string[];
  /** Every address and port of the answer, in the order written. */
  readonly parts: readonly Part[];
  readonly absent: readonly Note[];
  /** Which address family each connection used, and why. */
  readonly families: readonly string[];
  /** Each network of the stack, by name: its driver, whether internal, its subnets ("bridge, internal, 172.18.0.0/16"). */
  readonly networks: Readonly<Record<string, string>>;
  readonly why: string;
}
