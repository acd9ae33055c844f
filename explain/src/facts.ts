// What explain reads and what it makes of it: the recording of one run (raw
// `docker inspect` JSON and a few facts of the host) and the explanation,
// as types only.

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
}

/** A port binding, as `docker inspect` (and `docker port`) shows it. */
export interface BindingJson {
  readonly HostIp: string;
  readonly HostPort: string;
}

/** The parts of `docker inspect <container>` read here. */
export interface ContainerJson {
  readonly Id: string;
  readonly Name: string;
  readonly Config: {
    readonly Labels: Readonly<Record<string, string>> | null;
    readonly ExposedPorts?: Readonly<Record<string, unknown>> | null;
  };
  readonly NetworkSettings: {
    readonly Ports: Readonly<Record<string, readonly BindingJson[] | null>> | null;
    readonly Networks: Readonly<
      Record<
        string,
        {
          readonly IPAddress: string;
          readonly GlobalIPv6Address: string;
          readonly Gateway: string;
          readonly IPv6Gateway: string;
          readonly MacAddress: string;
        }
      >
    > | null;
  };
}

/** The parts of `docker network inspect` read here. */
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
}

/** The parts of `docker inspect` of a Swarm task read here. */
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

/** What a container's own Node says from inside it (`docker exec`). */
export interface Inside {
  /** os.networkInterfaces(), reduced to addresses and MACs. */
  readonly interfaces: Readonly<Record<string, ReadonlyArray<{ readonly address: string; readonly mac: string }>>>;
  /** TCP ports in state LISTEN, from /proc/net/tcp and tcp6. */
  readonly listening: readonly number[];
  /** net.ipv4.ip_local_port_range: where the kernel takes ephemeral ports. */
  readonly portRange: readonly [number, number] | null;
}

/** What the host says about how its port reaches the container. */
export interface HostFacts {
  /** docker-proxy processes for the asked port, from /proc. */
  readonly proxies: ReadonlyArray<{ readonly pid: number; readonly args: readonly string[] }>;
  /** dockerd's arguments, or null when /proc shows no dockerd (Docker Desktop, a remote engine). */
  readonly dockerd: readonly string[] | null;
  /** /etc/docker/daemon.json, or null when there is none. */
  readonly daemonJson: string | null;
  readonly portRange: readonly [number, number] | null;
}

/** What the engine says of itself (`docker info`). */
export interface EngineFacts {
  /** ServerVersion. */
  readonly version: string;
  /** OperatingSystem: the host's distribution, or `Docker Desktop`, whose engine runs in a VM. */
  readonly os: string;
  /** Whether it runs rootless (`name=rootless` among its SecurityOptions). */
  readonly rootless: boolean;
}

/** A node of a Swarm, as a manager reports it (`docker node inspect`). */
export interface NodeFacts {
  readonly id: string;
  readonly hostname: string;
  /** The address it is known by in the swarm, where its host-mode ports answer. */
  readonly address: string;
}

/** A running task of the stack, as a manager reports it (`docker inspect` of the task). */
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
  /** `docker inspect` of every container of the stack. */
  readonly containers: readonly ContainerJson[];
  /** `docker network inspect` of every network they are on (and docker_gwbridge under Swarm). */
  readonly networks: readonly NetworkJson[];
  /** By container id. */
  readonly insides: Readonly<Record<string, Inside>>;
  readonly engine: EngineFacts;
  readonly host: HostFacts;
  /** Where the engine read is a manager of a swarm of more than one node. */
  readonly swarm?: SwarmFacts;
}

export type Stack =
  | { readonly kind: 'compose'; readonly name: string; readonly cli: 'v1' | 'v2'; readonly version: string }
  | { readonly kind: 'swarm'; readonly name: string };

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
  /** Rootless Docker: rootlesskit's port driver on the host, the engine in a namespace of its own. */
  | { readonly kind: 'rootless' }
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
  /** `client`: this tool's own end, as a node that forwards its port by NAT keeps it for a connection from another machine. */
  readonly role: 'gateway' | 'container' | 'ephemeral' | 'listening' | 'client' | 'unknown';
  /** The network the address is on, or the connection ran over. */
  readonly network?: string | undefined;
  readonly containerId?: string | undefined;
  readonly container?: string | undefined;
  readonly service?: string | undefined;
  /** The interface inside the container; for a gateway, the host's bridge. */
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
  readonly summary: string;
  /** A heading for each line of the answer. */
  readonly headings: readonly string[];
  /** Every address and port of the answer, in the order written. */
  readonly parts: readonly Part[];
  readonly absent: readonly Note[];
  readonly why: string;
}
