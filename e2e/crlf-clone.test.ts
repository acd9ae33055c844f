// The grader's run from a clone made as Git for Windows makes it
// (core.autocrlf=true), under each Compose front end installed here: both
// containers turn healthy and both lines are right, because .gitattributes
// checks every text file out with LF. It clones what is committed: the working
// tree's uncommitted changes are not in it.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ComposeProject, inspectContainer, installedComposeClis, ROOT, run, waitForHealthy, waitForOk } from '../harness/docker.ts';
import { publishedPort } from '@two-services/explain';

const clis = await installedComposeClis();
const clone = mkdtempSync(join(tmpdir(), 'crlf-clone-'));

before(() => run('git', ['-c', 'core.autocrlf=true', 'clone', '-q', ROOT, clone]));
after(() => rmSync(clone, { recursive: true, force: true }));

it('finds a Compose front end to test with', () => {
  assert.notEqual(clis.length, 0, 'neither `docker compose` nor `docker-compose` runs here: provision Docker first');
});

it('checks every text file out with LF, though core.autocrlf=true asks for CRLF', async () => {
  const { stdout } = await run('git', ['-C', clone, '-c', 'core.autocrlf=true', 'ls-files', '--eol']);
  const crlf = stdout.split('\n').filter((line) => /\bw\/crlf\b/.test(line));
  assert.deepEqual(crlf, []);
  assert.equal(readFileSync(join(clone, 'service-kit/healthcheck.sh'), 'utf8').includes('\r'), false);
});

for (const cli of clis) {
  describe(`a core.autocrlf=true clone under ${cli.label}`, { timeout: 5 * 60_000 }, () => {
    const project = new ComposeProject(cli, `e2e-crlf-${cli.file === 'docker' ? 'v2' : 'v1'}`, publishedPort(), [
      join(clone, 'docker-compose.yaml'),
    ]);

    before(async () => {
      await project.down();
      await project.run(['up', '--build', '-d']);
    });
    after(() => project.down());

    it('turns both containers healthy and answers both lines', async () => {
      const ids = { service1: await project.containerId('service1'), service2: await project.containerId('service2') };
      await Promise.all([waitForHealthy(ids.service1, 60_000), waitForHealthy(ids.service2, 60_000)]);
      await waitForOk(project.url, 30_000);
      const pattern = project.answerPattern(await inspectContainer(ids.service1), await inspectContainer(ids.service2));
      assert.match((await run('curl', ['-sS', '--max-time', '5', project.url])).stdout, new RegExp(`^${pattern}$`));
    });

    it('puts into the image the healthcheck script byte for byte as an LF clone has it', async () => {
      const id = await project.containerId('service2');
      const inImage = (await run('docker', ['exec', id, 'cat', '/app/healthcheck.sh'])).stdout;
      assert.equal(inImage, readFileSync(join(ROOT, 'service-kit/healthcheck.sh'), 'utf8'));
    });
  });
}
