// The naming half of explain on recorded runs (fixtures/README.md says how
// each was made): what each address and port of the answer is, on each engine.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Explanation, Recording } from '../src/types.ts';
import { explain } from '../src/naming/explain.ts';
import { canonical } from '../src/naming/networks.ts';
import { text } from '../src/writing/text.ts';
import { answering, part, recorded, summary } from './fixtures.ts';

describe('npm run explain, on recorded docker inspect JSON', () => {
  it('names the network, container and interface behind every address and port of a Compose v2 answer', () => {
    const explanation = explain(recorded('compose-v2.json'));
    assert.deepEqual(explanation.lines, [
      'Hello from 172.29.0.1:39490 to 172.29.0.2:8001',
      'Hello from 172.30.0.3:35292 to 172.30.0.2:8002',
    ]);
    assert.deepEqual(explanation.parts.map(summary), [
      { value: '172.29.0.1', role: 'gateway', network: 'two-services_frontend', container: undefined, interface: 'br-bd0ba6c27ab1' },
      { value: '39490', role: 'ephemeral', network: 'two-services_frontend', container: undefined, interface: undefined },
      { value: '172.29.0.2', role: 'container', network: 'two-services_frontend', container: 'two-services-service1-1', interface: 'eth0' },
      { value: '8001', role: 'listening', network: 'two-services_frontend', container: 'two-services-service1-1', interface: undefined },
      { value: '172.30.0.3', role: 'container', network: 'two-services_backend', container: 'two-services-service1-1', interface: 'eth1' },
      { value: '35292', role: 'ephemeral', network: 'two-services_backend', container: 'two-services-service1-1', interface: undefined },
      { value: '172.30.0.2', role: 'container', network: 'two-services_backend', container: 'two-services-service2-1', interface: 'eth0' },
      { value: '8002', role: 'listening', network: 'two-services_backend', container: 'two-services-service2-1', interface: undefined },
    ]);
    assert.deepEqual(part(explanation, 1, 'to', 'port').published, ['0.0.0.0:28001', '[::]:28001']);
    assert.deepEqual(part(explanation, 2, 'to', 'port').published, []);
    assert.match(part(explanation, 2, 'to', 'address').text, /two-services_backend \(internal\)/);
  });

  it('tells Compose v1 names (project_service_1) from v2 names (project-service-1)', () => {
    const v1 = explain(recorded('compose-v1.json'));
    const v2 = explain(recorded('compose-v2.json'));
    assert.deepEqual(v1.stack, { kind: 'compose', name: 'explain-v1', cli: 'v1', version: '1.29.2' });
    assert.deepEqual(v2.stack, { kind: 'compose', name: 'two-services', cli: 'v2', version: '2.26.1' });
    assert.deepEqual([...new Set(v1.parts.flatMap((p) => p.container ?? []))], ['explain-v1_service1_1', 'explain-v1_service2_1']);
    assert.match(v1.summary, /docker-compose 1\.29\.2, v1 names: explain-v1_service1_1\)/);
    assert.match(v2.summary, /docker compose 2\.26\.1, v2 names: two-services-service1-1\)/);
    assert.deepEqual(
      v1.parts.filter((p) => p.kind === 'address').map((p) => [p.role, p.network, p.interface]),
      [
        ['gateway', 'explain-v1_frontend', 'br-fe50cc1ce129'],
        ['container', 'explain-v1_frontend', 'eth0'],
        ['container', 'explain-v1_backend', 'eth1'],
        ['container', 'explain-v1_backend', 'eth0'],
      ],
    );
  });

  it("explains line 1 by docker-proxy when it listens on the host port: its pids, its own ephemeral port, not the client's", () => {
    const explanation = explain(recorded('compose-v2.json'));
    assert.deepEqual(explanation.forwarding, {
      kind: 'docker-proxy',
      listeners: [
        { pid: 2525, listen: '0.0.0.0:28001', target: '172.29.0.2:8001' },
        { pid: 2530, listen: '[::]:28001', target: '172.29.0.2:8001' },
      ],
    });
    assert.equal(
      part(explanation, 1, 'from', 'port').text,
      "docker-proxy's ephemeral port on the host (range 32768-60999); this tool's own was 53370",
    );
    assert.match(explanation.why, /^Why line 1 starts at 172\.29\.0\.1 and not at 127\.0\.0\.1: .*docker-proxy \(pid 2525\) listens/);
    assert.match(explanation.why, /from two-services_frontend's bridge br-bd0ba6c27ab1, whose address is the network's gateway/);
  });

  it("explains line 1 by NAT when the userland proxy is off, and sees that NAT kept the client's own port", () => {
    const explanation = explain(recorded('compose-nat.json'));
    assert.deepEqual(explanation.forwarding, { kind: 'nat', evidence: '"userland-proxy": false in /etc/docker/daemon.json' });
    assert.deepEqual(
      summary(part(explanation, 1, 'from', 'address')),
      summary(part(explain(recorded('compose-v2.json')), 1, 'from', 'address')),
    );
    assert.equal(part(explanation, 1, 'from', 'port').text, "this tool's own ephemeral port: NAT rewrote the address and kept the port");
    assert.match(
      explanation.why,
      /no userland proxy forwards the port .* masquerade its source as the address of two-services_frontend's bridge br-bd0ba6c27ab1/,
    );
    assert.doesNotMatch(text(explanation), /pid/);
  });

  it('names the engine it read, and on Docker Desktop or rootless Docker names their forwarding, not docker-proxy or NAT', () => {
    const v2 = recorded('compose-v2.json');
    assert.match(
      explain(v2).summary,
      /^Docker Engine 20\.10\.24\+dfsg1 on Debian GNU\/Linux 12 \(bookworm\): Compose project two-services/,
    );
    const desktop = explain({ ...v2, engine: { ...v2.engine, os: 'Docker Desktop' }, host: { ...v2.host, proxies: [], dockerd: null } });
    assert.deepEqual(desktop.forwarding, { kind: 'desktop' });
    assert.match(desktop.summary, / on Docker Desktop: .*served by Docker Desktop's port forwarding\.$/);
    assert.match(desktop.why, /Docker Desktop runs the engine in a VM/);
    assert.doesNotMatch(text(desktop), /docker-proxy's ephemeral port|NAT rewrote|pid \d/);
    assert.equal(part(desktop, 1, 'from', 'address').role, 'gateway');
  });

  it('detects NAT from dockerd --userland-proxy=false or from no docker-proxy beside dockerd, and claims neither when dockerd is out of sight', () => {
    const nat = recorded('compose-nat.json');
    const withHost = (host: Partial<Recording['host']>): Explanation =>
      explain({ ...nat, host: { ...nat.host, daemonJson: null, ...host } });
    assert.deepEqual(withHost({ dockerd: ['--userland-proxy=false'] }).forwarding, {
      kind: 'nat',
      evidence: 'dockerd runs with --userland-proxy=false',
    });
    assert.deepEqual(withHost({ dockerd: [] }).forwarding, { kind: 'nat', evidence: 'no docker-proxy process serves the port' });
    const unseen = withHost({ dockerd: null });
    assert.deepEqual(unseen.forwarding, { kind: 'unknown' });
    assert.match(unseen.why, /through docker-proxy or by NAT \(which one is not in sight here\)/);
    // What the engine reports still places every address.
    assert.deepEqual(
      unseen.parts.map((p) => p.role),
      ['gateway', 'ephemeral', 'container', 'listening', 'container', 'ephemeral', 'container', 'listening'],
    );
  });

  it('matches IPv6 addresses on an IPv6-enabled network and says what IPv6 changes in each line', () => {
    const explanation = explain(recorded('compose-ipv6.json'));
    assert.equal(explanation.lines[1], 'Hello from [fd00:e1a1:2::3]:39260 to [fd00:e1a1:2::2]:8002');
    assert.deepEqual(explanation.parts.filter((p) => p.line === 2 && p.kind === 'address').map(summary), [
      {
        value: 'fd00:e1a1:2::3',
        role: 'container',
        network: 'explain-ipv6_backend',
        container: 'explain-ipv6-service1-1',
        interface: 'eth1',
      },
      {
        value: 'fd00:e1a1:2::2',
        role: 'container',
        network: 'explain-ipv6_backend',
        container: 'explain-ipv6-service2-1',
        interface: 'eth0',
      },
    ]);
    // Given a subnet and no gateway, Compose's IPAM config lists none: the gateway comes from the containers' view.
    assert.deepEqual(summary(part(explanation, 1, 'from', 'address')), {
      value: '10.201.1.1',
      role: 'gateway',
      network: 'explain-ipv6_frontend',
      container: undefined,
      interface: 'br-02ab48325726',
    });
    assert.deepEqual(explanation.families, [
      "this tool's connection: IPv4, to 127.0.0.1:28001, the first address of localhost to take it",
      "line 1: IPv4: docker-proxy (pid 6590) took this tool's connection on 0.0.0.0:28001 and connects to 10.201.1.2:8001, service1's IPv4 address",
      // Recorded before explain asked service1's resolver: what the answer shows, without the why.
      'line 2: IPv6',
    ]);
    const notes = new Map(explanation.absent.map((note) => [note.subject, note.text]));
    assert.match(notes.get('port 28001') ?? '', /pid 6595 on \[::\]:28001 to \[fd00:e1a1:1::2\]:8001/);
  });

  it("matches line 1 to the network's IPv6 gateway when the client came over ::1", () => {
    // What `curl 'http://[::1]:28001/'` got from that stack.
    const base = recorded('compose-ipv6.json');
    const recording = answering(
      base,
      'Hello from [fd00:e1a1:1::1]:51604 to [fd00:e1a1:1::2]:8001\nHello from 10.201.2.3:56928 to 10.201.2.2:8002\n',
    );
    const explanation = explain({
      ...recording,
      ask: { ...recording.ask, client: { address: '::1', port: 40000 }, server: { address: '::1', port: 28001 } },
    });
    assert.deepEqual(
      explanation.parts.filter((p) => p.line === 1 && p.kind === 'address').map((p) => [p.value, p.role, p.network, p.interface]),
      [
        ['fd00:e1a1:1::1', 'gateway', 'explain-ipv6_frontend', 'br-02ab48325726'],
        ['fd00:e1a1:1::2', 'container', 'explain-ipv6_frontend', 'eth0'],
      ],
    );
    assert.match(
      explanation.why,
      /^Why line 1 starts at fd00:e1a1:1::1 and not at ::1: this tool connected to \[::1\]:28001, where docker-proxy \(pid 6595\)/,
    );
  });

  it("under Swarm, names docker_gwbridge's gateway, service1's task, the replica that answered and the others", () => {
    const explanation = explain(recorded('swarm.json'));
    assert.deepEqual(explanation.stack, { kind: 'swarm', name: 'two-services' });
    assert.match(
      explanation.summary,
      /^Docker Engine 20\.10\.24\+dfsg1 on Debian GNU\/Linux 12 \(bookworm\): Swarm stack two-services \(service1 × 1, service2 × 3 on this node\); host port 28001 published in host mode/,
    );
    assert.deepEqual(
      explanation.parts.filter((p) => p.kind === 'address').map((p) => [p.value, p.role, p.network, p.interface, p.service]),
      [
        ['172.18.0.1', 'gateway', 'docker_gwbridge', 'docker_gwbridge', undefined],
        ['172.18.0.3', 'container', 'docker_gwbridge', 'eth2', 'service1'],
        ['10.0.1.3', 'container', 'two-services_backend', 'eth1', 'service1'],
        ['10.0.1.4', 'container', 'two-services_backend', 'eth0', 'service2'],
      ],
    );
    assert.match(
      part(explanation, 2, 'to', 'address').text,
      /^service2 \(two-services_service2\.1\), eth0 on two-services_backend \(overlay, internal\); answered this time, of 3 replicas: the others are 10\.0\.1\.5 \(two-services_service2\.2\) and 10\.0\.1\.6 \(two-services_service2\.3\)$/,
    );
    const notes = new Map(explanation.absent.map((note) => [note.subject, note.text]));
    assert.match(
      notes.get('two-services_frontend') ?? '',
      /^overlay, 10\.0\.2\.0\/24, service1 10\.0\.2\.3: carries traffic between nodes/,
    );
    assert.match(notes.get('two-services_backend') ?? '', /on it: service1 10\.0\.1\.3; service2 10\.0\.1\.4, 10\.0\.1\.5, 10\.0\.1\.6$/);
    assert.match(notes.get('ingress') ?? '', /host mode/);
    assert.match(explanation.why, /docker_gwbridge, the bridge of every task on this node/);
  });

  it("on a swarm of several nodes asked on another node than the one read, names that node, the NAT that kept this tool's own end, and where each task runs", () => {
    const explanation = explain(recorded('swarm-nodes-remote.json'));
    assert.match(explanation.summary, /Swarm stack two-services on 3 nodes; node swarm-node2 \(10\.77\.0\.2\) answered/);
    assert.match(
      explanation.summary,
      /this engine is swarm-node1's, a manager: what runs on other nodes comes from what it reports of them/,
    );
    assert.deepEqual(explanation.forwarding, { kind: 'node', node: 'swarm-node2' });
    assert.deepEqual(
      explanation.parts.map((p) => [p.value, p.role, p.network, p.service, p.node]),
      [
        ['10.77.0.254', 'client', 'docker_gwbridge', undefined, 'swarm-node2'],
        [String(explanation.ask.client.port), 'client', 'docker_gwbridge', undefined, 'swarm-node2'],
        ['172.18.0.3', 'container', 'docker_gwbridge', 'service1', 'swarm-node2'],
        ['8001', 'listening', 'docker_gwbridge', 'service1', 'swarm-node2'],
        ['10.0.1.5', 'container', 'two-services_backend', 'service1', 'swarm-node2'],
        [explanation.parts[5]?.value, 'ephemeral', 'two-services_backend', 'service1', 'swarm-node2'],
        ['10.0.1.9', 'container', 'two-services_backend', 'service2', 'swarm-node3'],
        ['8002', 'listening', 'two-services_backend', 'service2', 'swarm-node3'],
      ],
    );
    assert.deepEqual(part(explanation, 1, 'to', 'port').published, ['10.77.0.2:8001']);
    assert.match(
      part(explanation, 2, 'to', 'address').text,
      /answered this time, of 3 replicas: the others are 10\.0\.1\.10 \(two-services_service2\.3 on swarm-node1\)/,
    );
    assert.match(
      explanation.why,
      /^Why line 1 starts at this tool's own end: this tool connected to 10\.77\.0\.2:8001 from another machine than swarm-node2/,
    );
    const nodes = explanation.absent.find((note) => note.subject === 'nodes')?.text ?? '';
    assert.match(
      nodes,
      /service2: two-services_service2\.1 on swarm-node2, two-services_service2\.2 on swarm-node3 and two-services_service2\.3 on swarm-node1/,
    );
    assert.match(nodes, /read from swarm-node1's engine only/);
  });

  it('on a swarm of several nodes asked on the node read, names its own task and interfaces, and the replica on another node', () => {
    const explanation = explain(recorded('swarm-nodes-local.json'));
    assert.match(
      explanation.summary,
      /node swarm-node1 \(10\.77\.0\.1\) answered, on port 8001 published there in host mode; this engine is swarm-node1's, a manager\.$/,
    );
    assert.deepEqual(
      explanation.parts.map((p) => [p.value, p.role, p.interface, p.node]),
      [
        ['10.77.0.254', 'client', undefined, 'swarm-node1'],
        [String(explanation.ask.client.port), 'client', undefined, 'swarm-node1'],
        ['172.18.0.3', 'container', 'eth2', 'swarm-node1'],
        ['8001', 'listening', undefined, 'swarm-node1'],
        ['10.0.1.4', 'container', 'eth1', 'swarm-node1'],
        [explanation.parts[5]?.value, 'ephemeral', undefined, 'swarm-node1'],
        ['10.0.1.9', 'container', undefined, 'swarm-node3'],
        ['8002', 'listening', undefined, 'swarm-node3'],
      ],
    );
    assert.deepEqual(part(explanation, 1, 'to', 'port').published, ['0.0.0.0:8001', '[::]:8001']);
  });

  it("names what the answer leaves out: the host port and who listens there, the client's own port, service2's lack of a published port, the internal network", () => {
    const explanation = explain(recorded('compose-v2.json'));
    assert.deepEqual(explanation.absent, [
      {
        subject: 'port 28001',
        text: 'the host port: docker-proxy pid 2525 on 0.0.0.0:28001 and pid 2530 on [::]:28001, to 172.29.0.2:8001',
      },
      {
        subject: '127.0.0.1:53370',
        text: "this tool's own end (curl's, had curl asked) of the first connection, to 127.0.0.1:28001: docker-proxy ends it; no container sees it",
      },
      { subject: 'service2', text: 'publishes no port: nothing on the host listens for 8002' },
      {
        subject: 'two-services_backend',
        text: 'internal (172.30.0.0/16): no route in or out, nothing published through it; on it: service1 172.30.0.3; service2 172.30.0.2',
      },
    ]);
  });

  it('flags an address no container or network here has, rather than guess', () => {
    const recording = answering(
      recorded('compose-v2.json'),
      'Hello from 10.9.9.1:40000 to 172.29.0.2:8001\nHello from 172.30.0.3:35292 to 172.30.0.9:8002\n',
    );
    const explanation = explain(recording);
    assert.deepEqual(summary(part(explanation, 1, 'from', 'address')), {
      value: '10.9.9.1',
      role: 'unknown',
      network: undefined,
      container: undefined,
      interface: undefined,
    });
    assert.equal(part(explanation, 1, 'from', 'address').text, 'on no network the engine shows here');
    assert.equal(part(explanation, 2, 'to', 'address').role, 'unknown');
    assert.match(part(explanation, 2, 'to', 'address').text, /in two-services_backend's subnet, but no container here has it/);
  });

  it("explains line 1 of a 502 and takes line 2 for service1's own words", () => {
    const recording = answering(
      recorded('compose-v2.json'),
      'Hello from 172.29.0.1:39490 to 172.29.0.2:8001\nservice2 is not known to DNS (ENOTFOUND)\n',
      502,
    );
    const explanation = explain(recording);
    assert.deepEqual(
      explanation.parts.map((p) => p.line),
      [1, 1, 1, 1],
    );
    assert.equal(explanation.headings[1], "service1's own words: service2 did not answer (status 502)");
  });

  it('reads addresses in whatever spelling docker and Node write them', () => {
    assert.equal(canonical('172.20.0.2/16'), '172.20.0.2');
    assert.equal(canonical('[fd00:0:0:0::2]'), 'fd00::2');
    assert.equal(canonical('FD00:E1A1:2:0:0:0:0:3/64'), 'fd00:e1a1:2::3');
  });
});

describe('npm run explain, on the engines a grader may have', () => {
  it('on Engine 28 as Docker 29 ships it: docker-proxy, and the interfaces in the order the engine gave them', () => {
    const explanation = explain(recorded('docker-28.json'));
    assert.deepEqual(explanation.stack, { kind: 'compose', name: 'two-services', cli: 'v2', version: '2.40.3' });
    assert.equal(explanation.forwarding.kind, 'docker-proxy');
    assert.deepEqual(
      explanation.parts.filter((p) => p.kind === 'address').map((p) => [p.role, p.network, p.interface]),
      [
        ['gateway', 'two-services_frontend', 'br-5b762efe83aa'],
        ['container', 'two-services_frontend', 'eth1'],
        ['container', 'two-services_backend', 'eth0'],
        ['container', 'two-services_backend', 'eth0'],
      ],
    );
    assert.deepEqual(explanation.families, [], 'no IPv6 in play, nothing said of families');
  });

  it('on dual-stack networks: line 1 in the family this tool came in on, line 2 in the one service1 resolver lists first, and why', () => {
    const explanation = explain(recorded('docker-28-dual-stack.json'));
    assert.deepEqual(
      explanation.parts.filter((p) => p.kind === 'address').map((p) => p.value.includes(':')),
      [false, false, true, true],
    );
    const [first, line1, line2] = explanation.families;
    assert.match(first ?? '', /^this tool's connection: IPv4, to 127\.0\.0\.1:8001, the first address of localhost to take it$/);
    assert.match(
      line1 ?? '',
      /^line 1: IPv4: docker-proxy \(pid \d+\) took this tool's connection on 0\.0\.0\.0:8001 and connects to 172\.\d+\.0\.2:8001/,
    );
    assert.match(
      line2 ?? '',
      /^line 2: IPv6: service1's resolver answers service2 with fd[0-9a-f:]+ and 172\.[0-9.]+, an address of each family for each container; service1 calls every container at the family listed first, so line 2 stays IPv6/,
    );
    assert.doesNotMatch(text(explanation), /in turn|changes family/);
  });

  it('on IPv6-only networks: every address IPv6, this tool on ::1 after 127.0.0.1 refused, and no sentence of IPv4 on line 2', () => {
    const explanation = explain(recorded('docker-28-ipv6-only.json'));
    assert.deepEqual(
      explanation.parts.filter((p) => p.kind === 'address' && !p.value.includes(':')),
      [],
    );
    assert.deepEqual(
      explanation.parts.map((p) => p.role),
      ['gateway', 'ephemeral', 'container', 'listening', 'container', 'ephemeral', 'container', 'listening'],
    );
    assert.deepEqual(explanation.ask.refused, ['127.0.0.1']);
    assert.match(explanation.families[0] ?? '', /^this tool's connection: IPv6, to \[::1\]:8001, after 127\.0\.0\.1 refused it/);
    assert.match(
      explanation.families[2] ?? '',
      /^line 2: IPv6: service1's resolver answers service2 with [0-9a-f:]+, of that family only$/,
    );
  });

  it('on rootless Docker: rootlesskit on the host, docker-proxy and the bridge in its namespace, the gateway as under root', () => {
    const explanation = explain(recorded('docker-28-rootless.json'));
    assert.deepEqual(explanation.forwarding, {
      kind: 'rootlesskit',
      pid: 18372,
      portDriver: 'builtin',
      listeners: [
        { pid: 2772, listen: '127.0.0.1:8001', target: '172.19.0.2:8001' },
        { pid: 2778, listen: '[::1]:8001', target: '172.19.0.2:8001' },
      ],
      fromInside: false,
    });
    assert.equal(part(explanation, 1, 'from', 'address').role, 'gateway');
    assert.match(
      part(explanation, 1, 'from', 'address').text,
      /bridge br-[0-9a-f]{12} in rootlesskit's network namespace \(the host has no such bridge\)$/,
    );
    assert.match(
      explanation.absent[0]?.text ?? '',
      /^the host port: rootlesskit \(pid 18372\) listens on it on the host; its builtin port driver connects, inside rootlesskit's network namespace, to docker-proxy \(pid 2772 on 127\.0\.0\.1:8001 and pid 2778 on \[::1\]:8001\)/,
    );
    assert.match(explanation.why, /rootlesskit \(pid 18372\) takes the connection on the host and hands it into its namespace/);
    assert.equal(explanation.where, '');
  });

  it("on rootless Docker, run in its container: asked from inside rootlesskit's namespace, past rootlesskit, and says so first", () => {
    const explanation = explain({ ...recorded('docker-28-rootless.json'), ranIn: 'container' });
    assert.equal(explanation.forwarding.kind === 'rootlesskit' && explanation.forwarding.fromInside, true);
    assert.match(
      explanation.where,
      /^This tool ran in its container, .* A rootless engine's host network is rootlesskit's namespace: this tool reached docker-proxy there directly/,
    );
    assert.match(
      explanation.why,
      /where this tool ran: it reached docker-proxy \(.*\) directly \(from the host, rootlesskit \(pid 18372\) takes the connection first/,
    );
    assert.match(text(explanation).split('\n')[4] ?? '', /^This tool ran in its container/);
  });

  it("on rootless Podman: rootlessport in service1's own namespace, as /proc shows, so line 1 starts at one of service1's addresses", () => {
    const explanation = explain(recorded('podman-5.8-rootless.json'));
    assert.deepEqual(explanation.forwarding, { kind: 'rootlessport', pid: 6487, sharesNamespace: true });
    assert.deepEqual(explanation.stack, { kind: 'compose', name: 'two-services', cli: 'podman-compose', version: '1.6.0' });
    assert.match(explanation.summary, /^Podman 5\.8\.6, rootless, on debian: /);
    const start = part(explanation, 1, 'from', 'address');
    assert.deepEqual([start.role, start.value, start.service], ['own', part(explanation, 1, 'to', 'address').value, 'service1']);
    assert.equal(part(explanation, 1, 'from', 'port').containerId, start.containerId);
    assert.match(explanation.why, /^Why line 1 starts at 10\.89\.1\.2 and not at ::1: Podman runs rootless: rootlessport \(pid 6487\)/);
  });

  it("on rootless Podman, line 1 from service1's address on the internal network when rootlessport was given that one, and says it is not the published network's", () => {
    const base = recorded('podman-5.8-rootless.json');
    const answer = 'Hello from 10.89.0.3:41284 to 10.89.0.3:8001\nHello from 10.89.0.3:41946 to 10.89.0.2:8002\n';
    const explanation = explain(answering(base, answer));
    const start = part(explanation, 1, 'from', 'address');
    assert.deepEqual([start.role, start.network], ['own', 'two-services_backend']);
    assert.equal(part(explanation, 1, 'to', 'address').network, 'two-services_backend');
  });

  it('on rootful Podman: NAT by netavark, no process in between, and the bridge Podman names (podmanN)', () => {
    const explanation = explain(recorded('podman-4.3.json'));
    assert.deepEqual(explanation.forwarding, { kind: 'nat', evidence: "Podman's netavark forwards published ports by NAT rules" });
    const start = part(explanation, 1, 'from', 'address');
    assert.deepEqual([start.role, start.interface], ['gateway', 'podman2']);
    assert.equal(part(explanation, 1, 'from', 'port').value, String(explanation.ask.client.port));
    assert.deepEqual(part(explanation, 1, 'to', 'port').published, ['0.0.0.0:8001']);
  });

  it("on Docker Desktop, run in its container: docker-proxy in the VM's /proc, named, and the VM's forwarding said first", () => {
    const base = recorded('docker-28.json');
    const explanation = explain({ ...base, engine: { ...base.engine, os: 'Docker Desktop' }, ranIn: 'container' });
    assert.equal(explanation.forwarding.kind, 'docker-proxy');
    assert.match(
      explanation.where,
      /On Docker Desktop that host is Desktop's VM: your own curl on this machine comes in through Desktop's port forwarding/,
    );
  });

  it('counts the other replicas of a Compose service scaled up, as under Swarm', () => {
    const base = recorded('docker-28.json');
    const service2 = base.containers.find((c) => c.Config.Labels?.['com.docker.compose.service'] === 'service2');
    const backend = base.networks.find((n) => n.Name === 'two-services_backend');
    assert.ok(service2 && backend);
    const own = service2.NetworkSettings.Networks?.['two-services_backend'];
    assert.ok(own);
    const twin = {
      ...service2,
      Id: 'f'.repeat(64),
      Name: '/two-services-service2-2',
      NetworkSettings: { ...service2.NetworkSettings, Networks: { 'two-services_backend': { ...own, IPAddress: '172.18.0.9' } } },
    };
    const networks = base.networks.map((n) =>
      n === backend
        ? {
            ...n,
            Containers: {
              ...n.Containers,
              [twin.Id]: { Name: 'two-services-service2-2', MacAddress: '', IPv4Address: '172.18.0.9/16', IPv6Address: '' },
            },
          }
        : n,
    );
    const explanation = explain({ ...base, containers: [...base.containers, twin], networks });
    assert.match(
      part(explanation, 2, 'to', 'address').text,
      /answered this time, of 2 replicas: the others are 172\.18\.0\.9 \(two-services-service2-2\)$/,
    );
    assert.match(part(explanation, 2, 'from', 'port').text, /one kept-alive connection per replica$/);
  });
});
