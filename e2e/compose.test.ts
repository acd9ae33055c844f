// What people run, against a real Docker engine: `up --build`, `curl
// localhost:8001`, `down`, under each Compose front end installed here. Every
// address in the answer is checked against what `docker inspect` says; then
// the containers' privileges and logs, the metrics both services export, and
// what service1 does when service2 is stopped, frozen or restarted under load.
// SERVICE1_PORT moves the published port, as it does for docker-compose.yaml.
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { explainStack, publishedPort } from '@two-services/explain';
import { sample } from '@two-services/service-kit/testing';
import {
  ComposeProject,
  connectionsTo,
  get,
  getInside,
  inspectContainer,
  installedComposeClis,
  isCommand,
  isInternalNetwork,
  networksOf,
  privileges,
  publishedPorts,
  run,
  UNPRIVILEGED,
  waitFor,
  waitForHealthy,
  waitForOk,
} from '../harness/docker.ts';
import type { GetResult, ContainerInfo } from '../harness/docker.ts';
import { engineTraits, limitsInside } from '../harness/engine.ts';
import { explainInContainer } from './explain-container.ts';
import { verify } from './verify-explanation.ts';
const UPSTREAM_TIMEOUT_MS = 2_000;
const SERVICE1_PORT = publishedPort();
const URL_ON_HOST = `http://localhost:${SERVICE1_PORT}/`;
const clis = await installedComposeClis();
const traits = clis.length === 0 ? undefined : await engineTraits('docker');
const noCgroups = traits?.noCgroups ?? false;
const noPromtool = (await isCommand('promtool'))
  ? false
  : "promtool is not installed here: Debian's and Ubuntu's prometheus package has it (apt install prometheus)";

it('finds a Compose front end to test with', () => {
  assert.notEqual(clis.length, 0, 'neither `docker compose` nor `docker-compose` runs here: provision Docker first');
});

for (const cli of clis) {
  describe(`the stack under ${cli.label}`, { timeout: 10 * 60_000 }, () => {
    const project = new ComposeProject(cli, `e2e-${cli.file === 'docker' ? 'v2' : 'v1'}`, SERVICE1_PORT);
    const ids = { service1: '', service2: '' };
    let service1: ContainerInfo;
    let service2: ContainerInfo;

    before(async () => {
      await project.run(['down', '--remove-orphans']);
      await project.run(['up', '--build', '-d']);
      await waitForOk(URL_ON_HOST, 60_000);
      ids.service1 = await project.containerId('service1');
      ids.service2 = await project.containerId('service2');
      await Promise.all([waitForHealthy(ids.service1, 30_000), waitForHealthy(ids.service2, 30_000)]);
      service1 = await inspectContainer(ids.service1);
      service2 = await inspectContainer(ids.service2);
    });
    after(() => project.run(['down', '--remove-orphans']));

    it('reads docker-compose.yaml without a warning', async () => {
      const { stderr } = await project.run(['config', '-q']);
      assert.equal(stderr, '');
    });

    it('publishes service1 on the host port SERVICE1_PORT names, 8001 by default, and builds both images rather than pull them', async () => {
      const moved = await run(cli.file, [...cli.prefix, '-p', project.name, 'config'], { SERVICE1_PORT: '18001' });
      assert.match(moved.stdout, /published: "?18001"?/);
      const unset = await run(cli.file, [...cli.prefix, '-p', project.name, 'config'], { SERVICE1_PORT: '' });
      assert.match(unset.stdout, /published: "?8001"?/);
      assert.equal(unset.stdout.match(/pull_policy: build/g)?.length, 2);
    });

    it('answers curl localhost:8001 with two lines whose addresses are those docker inspect shows', async () => {
      const { stdout } = await run('curl', ['-sS', '--max-time', '5', '-w', '%{http_code} %{local_port}', URL_ON_HOST]);
      const match = new RegExp(`^${project.answerPattern(service1, service2, traits?.lineOneFrom)}200 (\\d+)$`).exec(stdout);
      assert.ok(match, `unexpected answer:\n${stdout}`);
      const [, proxyPort, relayPort, curlPort] = match.map(Number);
      // Line 1's remote end is docker-proxy's connection, not curl's.
      assert.notEqual(proxyPort, curlPort);
      for (const port of [proxyPort, relayPort]) assert.ok(port !== undefined && port >= 1024 && port <= 65_535);
    });

    it("gives each container its image's healthcheck, which docker-compose.yaml restates for Podman", async () => {
      for (const info of [service1, service2]) {
        const { stdout } = await run('docker', ['image', 'inspect', '--format', '{{json .Config.Healthcheck}}', info.Image]);
        assert.deepEqual(info.Config.Healthcheck, JSON.parse(stdout));
      }
    });

    it('npm run explain names, for every address and port of its answer, the network, container and interface docker inspect shows', async () => {
      const explanation = await explainStack(SERVICE1_PORT);
      assert.deepEqual(explanation.stack, {
        kind: 'compose',
        name: project.name,
        cli: cli.file === 'docker' ? 'v2' : 'v1',
        version: explanation.stack.kind === 'compose' ? explanation.stack.version : '',
      });
      const [front, back] = [project.network('frontend'), project.network('backend')];
      assert.deepEqual(
        explanation.parts.map((part) => [part.line, part.end, part.kind, part.role, part.network, part.service]),
        [
          [1, 'from', 'address', 'gateway', front, undefined],
          [1, 'from', 'port', 'ephemeral', front, undefined],
          [1, 'to', 'address', 'container', front, 'service1'],
          [1, 'to', 'port', 'listening', front, 'service1'],
          [2, 'from', 'address', 'container', back, 'service1'],
          [2, 'from', 'port', 'ephemeral', back, 'service1'],
          [2, 'to', 'address', 'container', back, 'service2'],
          [2, 'to', 'port', 'listening', back, 'service2'],
        ],
      );
      for (const part of explanation.parts) {
        if (part.containerId !== undefined)
          assert.ok(
            part.containerId.startsWith(part.service === 'service1' ? ids.service1 : ids.service2),
            `${part.value} is in ${part.service}`,
          );
      }
      // Every address, port, container, interface and gateway it names, checked against docker inspect, docker port and /sys inside.
      assert.deepEqual(await verify(explanation), []);
      const { client } = explanation.ask;
      assert.deepEqual(
        explanation.absent.map((note) => note.subject),
        [
          `port ${SERVICE1_PORT}`,
          client.address.includes(':') ? `[${client.address}]:${client.port}` : `${client.address}:${client.port}`,
          'service2',
          back,
        ],
      );
    });

    it('explains the same from its own container, with Docker alone: the same check passes, and it says where it ran', async () => {
      const explanation = await explainInContainer(cli, SERVICE1_PORT);
      assert.deepEqual(await verify(explanation), []);
      assert.match(explanation.where, /^This tool ran in its container, on the network and processes of the engine's host/);
      assert.deepEqual(
        explanation.parts.map((part) => [part.role, part.service]),
        [
          ['gateway', undefined],
          ['ephemeral', undefined],
          ['container', 'service1'],
          ['listening', 'service1'],
          ['container', 'service1'],
          ['ephemeral', 'service1'],
          ['container', 'service2'],
          ['listening', 'service2'],
        ],
      );
    });

    it('publishes service1 on port 8001 and nothing of service2', async () => {
      assert.deepEqual(Object.keys(service1.HostConfig.PortBindings ?? {}), ['8001/tcp']);
      assert.equal(service1.NetworkSettings.Ports?.['8001/tcp']?.[0]?.HostPort, String(SERVICE1_PORT));
      assert.deepEqual(service2.HostConfig.PortBindings ?? {}, {});
      assert.deepEqual(publishedPorts(service2), []);
      assert.equal((await get('http://localhost:8002/')).status, 'ECONNREFUSED');
    });

    it('keeps service2 on the internal network only, which service1 joins too', async () => {
      assert.deepEqual(networksOf(service2), [project.network('backend')]);
      assert.deepEqual(networksOf(service1).toSorted(), [project.network('backend'), project.network('frontend')]);
      assert.equal(await isInternalNetwork(project.network('backend')), true);
      assert.equal(await isInternalNetwork(project.network('frontend')), false);
    });

    it('holds both containers to 128 MiB of memory and 64 processes, as docker inspect and their own cgroups say', {
      skip: noCgroups,
    }, async () => {
      for (const info of [service1, service2]) {
        assert.deepEqual([info.HostConfig.Memory, info.HostConfig.PidsLimit], [128 * 1024 * 1024, 64]);
        assert.deepEqual(await limitsInside(info.Id, 'docker'), { memory: 128 * 1024 * 1024, pids: 64 });
      }
    });

    it('runs both containers as node, read-only, with no capabilities, no privilege gain, an init and capped logs', async () => {
      for (const info of [service1, service2]) {
        assert.deepEqual(info.HostConfig.LogConfig, { Type: 'json-file', Config: { 'max-file': '5', 'max-size': '10m' } });
        assert.equal(info.Config.User, 'node');
        assert.equal(info.HostConfig.ReadonlyRootfs, true);
        assert.deepEqual(info.HostConfig.CapDrop, ['ALL']);
        assert.deepEqual(info.HostConfig.CapAdd ?? [], []);
        assert.equal(info.HostConfig.Privileged, false);
        assert.ok(info.HostConfig.SecurityOpt?.some((option) => /^no-new-privileges([:=]true)?$/.test(option)));
        assert.equal(info.HostConfig.Init, true);
        assert.equal(info.State.Health?.Status, 'healthy');
      }
      // What the kernel says, from inside: uid 1000, no effective capabilities, no_new_privs set.
      assert.deepEqual(await privileges(ids.service1), UNPRIVILEGED);
    });

    const scrape = async (): Promise<[string, string]> => [
      (await get(`${URL_ON_HOST}metrics`)).body,
      await getInside(ids.service2, 8002, '/metrics'),
    ];

    it('counts each call exactly, on service1 and on service2', async () => {
      const ok = (text: string): number => sample(text, 'http_requests_total{route="/",status="200"}');
      const calls = (text: string): number => sample(text, 'service2_calls_total{outcome="ok"}');
      const [before1, before2] = await scrape();
      for (let i = 0; i < 25; i += 1) assert.equal((await get(URL_ON_HOST)).status, 200);
      const [after1, after2] = await scrape();
      assert.deepEqual([ok(after1) - ok(before1), calls(after1) - calls(before1), ok(after2) - ok(before2)], [25, 25, 25]);
    });

    it('writes metrics in which promtool check metrics finds no fault', { skip: noPromtool }, async () => {
      for (const text of await scrape()) {
        const checked = await run('sh', ['-c', 'printf %s "$METRICS" | promtool check metrics'], { METRICS: text });
        assert.equal(checked.stdout + checked.stderr, '');
      }
    });

    it('logs each request to stdout as one JSON line with a level, the same request id in both services', async () => {
      const id = `e2e-${cli.file}-${Date.now()}`;
      assert.equal((await run('curl', ['-sS', '-o', '/dev/null', '-H', `x-request-id: ${id}`, URL_ON_HOST])).stderr, '');
      // Lines are written in batches, a moment after the request (docs/logs.md).
      let lines: string[] = [];
      await waitFor(
        async () => {
          lines = (await project.run(['logs', '--no-color', 'service1', 'service2'])).stdout
            .split('\n')
            .filter((line) => line.includes(id));
          return lines.length >= 2;
        },
        5_000,
        'both request lines in the logs',
      );
      const parsed = lines.map((line) => JSON.parse(line.slice(line.indexOf('{'))) as Record<string, unknown>);
      assert.deepEqual(
        parsed.map((line) => [line['service'], line['level'], line['status']]).toSorted((a, b) => String(a[0]).localeCompare(String(b[0]))),
        [
          ['service1', 'info', 200],
          ['service2', 'info', 200],
        ],
      );
    });

    it('answers 502 at once while service2 is stopped, naming the cause, and 200 once it is back', async () => {
      await project.run(['stop', 'service2']);
      try {
        const answer = await get(URL_ON_HOST);
        assert.equal(answer.status, 502);
        const [own, cause, rest] = answer.body.split('\n');
        assert.match(own ?? '', /^Hello from \S+ to \S+:8001$/);
        assert.match(
          cause ?? '',
          /^service2 (is not known to DNS|could not be looked up in DNS|refused the connection|is unreachable) \(E[A-Z_]+\)$/,
        );
        assert.equal(rest, '');
        assert.ok(answer.ms < 1_000, `took ${Math.round(answer.ms)} ms`);
      } finally {
        await project.run(['start', 'service2']);
      }
      await waitForHealthy(ids.service2, 30_000);
      assert.equal((await get(URL_ON_HOST)).status, 200);
    });

    it('answers 504 after UPSTREAM_TIMEOUT_MS while service2 is frozen, and drops that connection', { skip: noCgroups }, async () => {
      // At rest, after a call, service1 keeps one pooled connection to service2.
      assert.equal((await get(URL_ON_HOST)).status, 200);
      assert.equal(await connectionsTo(ids.service1, 8002), 1);
      await project.pause('service2');
      try {
        const answer = await get(URL_ON_HOST);
        assert.equal(answer.status, 504);
        assert.match(
          answer.body,
          new RegExp(`^Hello from \\S+ to \\S+:8001\\nservice2 did not answer within ${UPSTREAM_TIMEOUT_MS} ms\\n$`),
        );
        assert.ok(answer.ms >= UPSTREAM_TIMEOUT_MS - 50 && answer.ms < UPSTREAM_TIMEOUT_MS + 1_000, `took ${Math.round(answer.ms)} ms`);
        // The connection to the frozen service2 is destroyed, not left to hang.
        assert.equal(await connectionsTo(ids.service1, 8002), 0);
      } finally {
        await project.run(['unpause', 'service2']);
      }
      assert.equal((await get(URL_ON_HOST)).status, 200);
      assert.equal(await connectionsTo(ids.service1, 8002), 1);
    });

    it('answers every request with 200, 502 or 504 while service2 restarts under load, and recovers without restarting', async (t) => {
      const answers: GetResult[] = [];
      const loading = new AbortController();
      const worker = async (): Promise<void> => {
        const agent = new Agent({ keepAlive: true, maxSockets: 1 });
        while (!loading.signal.aborted) answers.push(await get(URL_ON_HOST, 10_000, agent));
        agent.destroy();
      };
      const workers = Array.from({ length: 4 }, worker);
      await sleep(500);
      await project.run(['restart', 'service2']);
      const restarted = performance.now();
      await waitFor(
        async () => answers.some((answer) => answer.at > restarted && answer.status === 200),
        10_000,
        'a 200 after the restart',
      );
      const recoveredMs = Math.min(...answers.filter((a) => a.at > restarted && a.status === 200).map((a) => a.at)) - restarted;
      await sleep(500);
      loading.abort();
      await Promise.all(workers);

      const tally = new Map<number | string, number>();
      for (const { status } of answers) tally.set(status, (tally.get(status) ?? 0) + 1);
      t.diagnostic(
        `${answers.length} requests: ${[...tally].map(([status, n]) => `${n} × ${status}`).join(', ')}; 200 again ${Math.round(recoveredMs)} ms after restart returned`,
      );
      assert.deepEqual(
        [...tally.keys()].filter((status) => status !== 200 && status !== 502 && status !== 504),
        [],
      );
      assert.ok(recoveredMs < 5_000);
      const now = await inspectContainer(ids.service1);
      assert.equal(now.RestartCount, 0);
      assert.equal(now.State.StartedAt, service1.State.StartedAt);
    });

    it('stops both services on SIGTERM with exit code 0, not by a kill', async (t) => {
      const started = Date.now();
      await project.run(['stop']);
      const elapsed = Date.now() - started;
      for (const id of [ids.service1, ids.service2]) {
        const { State } = await inspectContainer(id);
        assert.deepEqual([State.Status, State.ExitCode], ['exited', 0]);
      }
      t.diagnostic(`${cli.label}: stop took ${elapsed} ms`);
    });

    it('recreates both containers for another LOG_LEVEL with up -d; under Compose v1 on Engine 25 or later, after a down', async () => {
      const engine = (await run('docker', ['version', '--format', '{{.Server.Version}}'])).stdout.trim();
      if (cli.file === 'docker-compose' && Number.parseInt(engine, 10) >= 25) {
        // 1.29 reads the image's ContainerConfig to carry volumes over, a field Engine 25 no longer reports (README.md).
        await assert.rejects(project.run(['up', '-d'], 'warn'), /KeyError: 'ContainerConfig'/);
        await project.down();
      }
      await project.up('warn');
      for (const service of ['service1', 'service2']) assert.ok((await project.inspect(service)).Config.Env?.includes('LOG_LEVEL=warn'));
    });
  });
}
