// The grader's run on Podman, with podman-compose: `up --build -d`, both lines
// against what `podman inspect` shows (line 1 where this Podman, rootful or
// rootless, really starts it), service2 unpublished on the internal network
// only, both healthchecks passing, explain on the command line and in its
// container, `down`. Skipped, with the reason, where podman or podman-compose
// is missing; what the engine cannot do (limits, rootless on cgroup v1) too.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  ComposeProject,
  get,
  isInstalled,
  isInternalNetwork,
  networksOf,
  PODMAN_COMPOSE,
  privileges,
  publishedPorts,
  run,
  UNPRIVILEGED,
  waitFor,
  waitForHealthy,
  waitForOk,
} from '../harness/docker.ts';
import type { ContainerInfo } from '../harness/docker.ts';
import { engineTraits, limitsInside } from '../harness/engine.ts';
import { explainStack, publishedPort } from '@two-services/explain';
import { explainInContainer } from './explain-container.ts';
import { verify } from './verify-explanation.ts';

const skip = (await isInstalled(PODMAN_COMPOSE))
  ? false
  : 'podman-compose is not installed here (../shared/docker/provision --podman installs it with Podman)';
const traits = skip === false ? await engineTraits('podman') : undefined;
const versions = skip === false ? (await run('podman-compose', ['version'])).stdout : '';
const [podmanVersion = '', composeVersion = ''] = [/podman version (\S+)/, /podman-composer? version\s+(\S+)/].map(
  (re) => re.exec(versions)?.[1],
);
const noContainedExplain = atLeast(composeVersion, 1, 1)
  ? false
  : `podman-compose ${composeVersion} gives a network_mode: host service a network of its own, which Podman refuses: README.md gives the plain podman run line`;

describe('the stack under podman-compose', { skip, timeout: 10 * 60_000 }, () => {
  const project = new ComposeProject(PODMAN_COMPOSE, 'e2e-podman', publishedPort());
  let service1: ContainerInfo;
  let service2: ContainerInfo;

  before(async () => {
    await project.down();
    await project.run(['up', '--build', '-d']);
    await Promise.all(
      ['service1', 'service2'].map(async (service) => waitForHealthy(await project.containerId(service), 60_000, 'podman')),
    );
    await waitForOk(project.url, 30_000);
    [service1, service2] = [await project.inspect('service1'), await project.inspect('service2')];
  });
  after(async () => {
    await project.down();
    // podman-compose 1.0.3's down leaves the project's networks behind (README.md, Podman).
    const { stdout } = await run('podman', ['network', 'ls', '-q', '--filter', `label=com.docker.compose.project=${project.name}`]);
    const left = stdout.split('\n').filter(Boolean);
    if (left.length > 0) await run('podman', ['network', 'rm', ...left]);
  });

  it("passes the shell's LOG_LEVEL to both services, and no variable on as text", () => {
    for (const info of [service1, service2]) {
      assert.ok(info.Config.Env?.includes('LOG_LEVEL=info'));
      assert.deepEqual(
        (info.Config.Env ?? []).filter((variable) => variable.includes('${')),
        [],
      );
    }
  });

  it(`answers with two lines whose addresses are those podman inspect shows, line 1 from ${traits?.lineOneFrom === 'own' ? "one of service1's own addresses (rootlessport)" : "frontend's gateway"}`, async () => {
    const { stdout } = await run('curl', ['-sS', '--max-time', '5', project.url]);
    assert.match(stdout, new RegExp(`^${project.answerPattern(service1, service2, traits?.lineOneFrom)}$`));
  });

  it('npm run explain names every address and port as podman inspect shows it, reading Podman with no Docker in the way', async () => {
    const explanation = await explainStack(project.port);
    assert.deepEqual(await verify(explanation, 'podman'), []);
    assert.equal(explanation.forwarding.kind, traits?.lineOneFrom === 'own' ? 'rootlessport' : 'nat');
    assert.match(explanation.summary, /^Podman /);
  });

  describe('explain in its container, on a Podman API socket', { skip: noContainedExplain }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'e2e-podman-socket-'));
    const socket = join(dir, 'podman.sock');
    let service: ChildProcess | undefined;
    before(async () => {
      service = spawn('podman', ['system', 'service', '--time=0', `unix://${socket}`], { stdio: 'ignore' });
      await waitFor(async () => existsSync(socket), 10_000, 'the Podman API socket');
    });
    after(() => {
      service?.kill();
      rmSync(dir, { recursive: true, force: true });
    });

    it('explains the same from its container, through podman-compose run: the same check passes', async () => {
      const explanation = await explainInContainer(PODMAN_COMPOSE, project.port, { ENGINE_SOCKET: socket });
      assert.deepEqual(await verify(explanation, 'podman'), []);
      assert.match(explanation.where, /^This tool ran in its container/);
    });
  });

  it('gives both containers the healthcheck of docker-compose.yaml, which passes', () => {
    for (const info of [service1, service2]) {
      assert.equal(info.State.Health?.Status, 'healthy');
      assert.ok(info.State.Health.Log.some((check) => check.ExitCode === 0));
    }
  });

  it('starts service1 after service2, and once service2 is healthy where podman-compose waits for it', async (t) => {
    const started = Date.parse(service1.State.StartedAt);
    assert.ok(started >= Date.parse(service2.State.StartedAt));
    // podman-compose 1.0.3 orders the start by depends_on but does not wait for
    // service_healthy; later ones do, with Podman 4.6 and later (docs/platforms.md).
    t.diagnostic(`podman ${podmanVersion}, podman-compose ${composeVersion}${traits?.rootless === true ? ', rootless' : ''}`);
    if (atLeast(composeVersion, 1, 1) && atLeast(podmanVersion, 4, 6)) {
      const healthy = (service2.State.Health?.Log ?? []).filter((check) => check.ExitCode === 0).map((check) => Date.parse(check.End));
      assert.ok(
        healthy.some((end) => end <= started),
        "service1 started before service2's first passing healthcheck",
      );
    }
  });

  it('publishes service1 only, and keeps service2 on the internal network alone', async () => {
    assert.deepEqual(publishedPorts(service1), ['8001/tcp']);
    assert.deepEqual(publishedPorts(service2), []);
    assert.equal((await get('http://localhost:8002/')).status, 'ECONNREFUSED');
    assert.deepEqual(networksOf(service2), [project.network('backend')]);
    assert.equal(await isInternalNetwork(project.network('backend'), 'podman'), true);
    assert.equal(await isInternalNetwork(project.network('frontend'), 'podman'), false);
  });

  it('holds both containers to 128 MiB of memory, as podman inspect and their own cgroups say', {
    skip: traits?.noCgroups ?? false,
  }, async () => {
    for (const info of [service1, service2]) {
      assert.equal(info.HostConfig.Memory, 128 * 1024 * 1024);
      assert.equal((await limitsInside(info.Id, 'podman')).memory, 128 * 1024 * 1024);
    }
  });

  it('runs both containers as node, read-only, with no capabilities, no privilege gain and an init', async () => {
    for (const info of [service1, service2]) {
      assert.equal(info.Config.User, 'node');
      assert.equal(info.HostConfig.ReadonlyRootfs, true);
      assert.equal(info.HostConfig.Init, true);
      assert.deepEqual(await privileges(info.Id, 'podman'), UNPRIVILEGED);
    }
  });

  it('removes both containers on down', async () => {
    await project.down();
    const { stdout } = await run('podman', ['ps', '-a', '-q', '--filter', `label=com.docker.compose.project=${project.name}`]);
    assert.equal(stdout.trim(), '');
  });
});

/** Whether a version such as 4.3.1 is at least major.minor. */
function atLeast(version: string, major: number, minor: number): boolean {
  const [a = 0, b = 0] = version.split('.').map(Number);
  return a > major || (a === major && b >= minor);
}
