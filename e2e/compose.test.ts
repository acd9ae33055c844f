// The grader's run, against a real Docker engine: `up --build`, `curl
// localhost:8001`, `down`, under each Compose front end installed here. Every
// address in the answer is checked against what `docker inspect` says.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ComposeProject, inspectContainer, installedComposeClis, isInternalNetwork, run, statusOf, waitForHealthy, waitForOk } from './docker.js';
import type { ContainerInfo } from './docker.js';

const URL_ON_HOST = 'http://localhost:8001/';
const clis = await installedComposeClis();

it('finds a Compose front end to test with', () => {
  assert.notEqual(clis.length, 0, 'neither `docker compose` nor `docker-compose` runs here: provision Docker first');
});

for (const cli of clis) {
  describe(`the stack under ${cli.label}`, { timeout: 10 * 60_000 }, () => {
    const project = new ComposeProject(cli, `e2e-${cli.file === 'docker' ? 'v2' : 'v1'}`);
    const ids = { service1: '', service2: '' };
    let service1: ContainerInfo;
    let service2: ContainerInfo;

    before(async () => {
      await project.run('down', '--remove-orphans');
      await project.run('up', '--build', '-d');
      await waitForOk(URL_ON_HOST, 60_000);
      ids.service1 = await project.containerId('service1');
      ids.service2 = await project.containerId('service2');
      await Promise.all([waitForHealthy(ids.service1, 30_000), waitForHealthy(ids.service2, 30_000)]);
      service1 = await inspectContainer(ids.service1);
      service2 = await inspectContainer(ids.service2);
    });
    after(() => project.run('down', '--remove-orphans'));

    it('reads docker-compose.yaml without a warning', async () => {
      const { stderr } = await project.run('config', '-q');
      assert.equal(stderr, '');
    });

    it('answers curl localhost:8001 with two lines whose addresses are those docker inspect shows', async () => {
      const { stdout } = await run('curl', ['-sS', '--max-time', '5', '-w', '%{http_code} %{local_port}', URL_ON_HOST]);
      const front = service1.NetworkSettings.Networks[project.network('frontend')];
      const back1 = service1.NetworkSettings.Networks[project.network('backend')];
      const back2 = service2.NetworkSettings.Networks[project.network('backend')];
      assert.ok(front && back1 && back2, 'service1 is on frontend and backend, service2 on backend');

      const match = new RegExp(
        `^Hello from ${escape(front.Gateway)}:(\\d+) to ${escape(front.IPAddress)}:8001\\n` +
          `Hello from ${escape(back1.IPAddress)}:(\\d+) to ${escape(back2.IPAddress)}:8002\\n` +
          `200 (\\d+)$`,
      ).exec(stdout);
      assert.ok(match, `unexpected answer:\n${stdout}`);
      const [, proxyPort, relayPort, curlPort] = match.map(Number);
      // Line 1's remote end is docker-proxy's connection, not curl's.
      assert.notEqual(proxyPort, curlPort);
      for (const port of [proxyPort, relayPort]) assert.ok(port !== undefined && port >= 1024 && port <= 65_535);
    });

    it('publishes service1 on port 8001 and nothing of service2', async () => {
      assert.deepEqual(Object.keys(service1.HostConfig.PortBindings ?? {}), ['8001/tcp']);
      assert.deepEqual(service2.HostConfig.PortBindings ?? {}, {});
      const published = Object.values(service2.NetworkSettings.Ports ?? {}).filter((bindings) => bindings !== null);
      assert.deepEqual(published, []);
      assert.match(await statusOf('http://localhost:8002/'), /ECONNREFUSED/);
    });

    it('keeps service2 on the internal network only, which service1 joins too', async () => {
      assert.deepEqual(Object.keys(service2.NetworkSettings.Networks), [project.network('backend')]);
      assert.deepEqual(Object.keys(service1.NetworkSettings.Networks).sort(), [project.network('backend'), project.network('frontend')]);
      assert.equal(await isInternalNetwork(project.network('backend')), true);
      assert.equal(await isInternalNetwork(project.network('frontend')), false);
    });

    it('runs both containers as user node, under an init, and healthy', () => {
      for (const info of [service1, service2]) {
        assert.equal(info.Config.User, 'node');
        assert.equal(info.HostConfig.Init, true);
        assert.equal(info.State.Health?.Status, 'healthy');
      }
    });

    it('stops both services on SIGTERM with exit code 0, not by a kill', async (t) => {
      const started = Date.now();
      await project.run('stop');
      const elapsed = Date.now() - started;
      for (const id of [ids.service1, ids.service2]) {
        const { State } = await inspectContainer(id);
        assert.deepEqual([State.Status, State.ExitCode], ['exited', 0]);
      }
      t.diagnostic(`${cli.label}: stop took ${elapsed} ms`);
    });
  });
}

function escape(text: string): string {
  return text.replaceAll('.', '\\.');
}
