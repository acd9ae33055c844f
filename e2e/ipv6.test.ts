// The stack with IPv6 turned on, as today's Docker makes it a one-line choice:
// both networks dual-stack, then IPv6 only (the overrides in e2e/ipv6/). Each:
// both lines against what the engine reports, line 2 in one family (a replica
// is a container, not an address), a paused service2 answered once per
// request when it resumes, service2 scaled to 3 seen as 3 replicas, and
// explain passing the same check as on IPv4. Skipped, with the reason, on an
// engine older than 28 or without Compose v2.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { explainStack, publishedPort } from '@two-services/explain';
import { sample } from '@two-services/service-kit/testing';
import {
  addressOn,
  ComposeProject,
  get,
  getInside,
  inspectContainer,
  installedComposeClis,
  ROOT,
  run,
  waitFor,
  waitForOk,
} from '../harness/docker.ts';
import type { ContainerInfo, Family } from '../harness/docker.ts';
import { engineTraits } from '../harness/engine.ts';
import { explainInContainer } from './explain-container.ts';
import { verify } from './verify-explanation.ts';

const PORT = publishedPort();
const LINE = /^Hello from (\S+):(\d+) to (\S+):(\d+)$/;
const v2 = (await installedComposeClis()).find((cli) => cli.file === 'docker');
const traits = v2 === undefined ? undefined : await engineTraits('docker');
const skip =
  v2 === undefined
    ? 'needs Compose v2 (docker compose): v1 knows no enable_ipv6 without a subnet, nor enable_ipv4'
    : Number.parseInt(traits?.version ?? '0', 10) < 28
      ? `needs Docker Engine 28 or later, for enable_ipv4 and IPv6 subnets given by default (here ${traits?.version})`
      : false;

/** The family an address is of, as the answer writes it. */
function familyOf(written: string): Family {
  return written.startsWith('[') ? 'IPv6' : 'IPv4';
}

/** The ends of a greeting line, as written. */
function ends(line: string): { from: string; to: string } {
  const [, from = '', , to = ''] = LINE.exec(line) ?? [];
  return { from, to };
}

/** Line 2's ends, of a GET's answer. */
async function secondLine(url: string): Promise<{ from: string; to: string }> {
  const answer = await get(url);
  assert.equal(answer.status, 200);
  return ends(answer.body.split('\n')[1] ?? '');
}

const NETWORKS = [
  { name: 'dual-stack', file: 'dual-stack.yaml', families: ['IPv4', 'IPv6'] as readonly Family[] },
  { name: 'IPv6-only', file: 'ipv6-only.yaml', families: ['IPv6'] as readonly Family[] },
] as const;

for (const { name, file, families } of NETWORKS) {
  describe(`the stack on ${name} networks`, { skip, timeout: 10 * 60_000 }, () => {
    const cli = v2 as NonNullable<typeof v2>;
    const project = new ComposeProject(cli, `e2e-${name.toLowerCase()}`, PORT, [`${ROOT}docker-compose.yaml`, `${ROOT}e2e/ipv6/${file}`]);
    // Asked over IPv6 where the port is published on IPv6 alone.
    const url = families.includes('IPv4') ? `http://127.0.0.1:${PORT}/` : `http://[::1]:${PORT}/`;
    let service1: ContainerInfo;
    let service2: ContainerInfo;

    before(async () => {
      await project.down();
      await project.run(['up', '--build', '-d']);
      await waitForOk(url, 60_000);
      [service1, service2] = [await project.inspect('service1'), await project.inspect('service2')];
    });
    after(() => project.down());

    it(`gives each container an address of each of its families (${families.join(', ')}) on each network`, () => {
      for (const [info, networks] of [
        [service1, ['frontend', 'backend']],
        [service2, ['backend']],
      ] as const) {
        for (const network of networks) {
          for (const family of ['IPv4', 'IPv6'] as const) {
            const has = (() => {
              try {
                addressOn(info, project.network(network), family);
                return true;
              } catch {
                return false;
              }
            })();
            assert.equal(has, families.includes(family), `${info.Name} ${family} on ${network}`);
          }
        }
      }
    });

    it('answers curl localhost:8001 with both lines at the addresses the engine reports, curl trying each address of localhost', async () => {
      const { stdout } = await run('curl', ['-sS', '--max-time', '5', `http://localhost:${PORT}/`]);
      const [first = '', second = '', rest] = stdout.split('\n');
      const [front, back] = [project.network('frontend'), project.network('backend')];
      const one = familyOf(ends(first).from);
      const two = familyOf(ends(second).to);
      assert.deepEqual(
        [ends(first), ends(second), rest],
        [
          { from: addressOn(service1, front, one, true), to: addressOn(service1, front, one) },
          { from: addressOn(service1, back, two), to: addressOn(service2, back, two) },
          '',
        ],
      );
      assert.match(first, /:8001$/);
      assert.match(second, /:8002$/);
    });

    it('keeps line 2 in one family over 20 GETs: service2 is one replica, however many addresses it has', async (t) => {
      const seen = new Set<string>();
      for (let i = 0; i < 20; i += 1) {
        const { from, to } = await secondLine(url);
        seen.add(`${from} ${to}`);
      }
      const [only, ...others] = [...seen];
      t.diagnostic(`line 2 over 20 GETs: ${[...seen].join(', ')}`);
      assert.deepEqual(others, [], `line 2 went ${[...seen].join(' and ')}`);
      const [from = '', to = ''] = (only ?? '').split(' ');
      const family = familyOf(to);
      assert.deepEqual(
        [from, to],
        [addressOn(service1, project.network('backend'), family), addressOn(service2, project.network('backend'), family)],
      );
    });

    it('answers four requests made during a 0.9 s pause once service2 resumes: each 200, each reaching service2 once, none sent again', {
      skip: traits?.noCgroups ?? false,
    }, async (t) => {
      const served = async (): Promise<number> =>
        sample(await getInside(service2.Id, 8002, '/metrics'), 'http_requests_total{route="/",status="200"}');
      const retries = async (): Promise<number> => sample((await get(`${url}metrics`)).body, 'service2_retries_total');
      const [servedBefore, retriesBefore] = [await served(), await retries()];
      await project.pause('service2');
      const answers = Array.from({ length: 4 }, () => get(url, 10_000));
      await sleep(900);
      await project.run(['unpause', 'service2']);
      const answered = await Promise.all(answers);
      const counts = [(await served()) - servedBefore, (await retries()) - retriesBefore];
      t.diagnostic(
        `${answered.map((a) => `${a.status} in ${Math.round(a.ms)} ms`).join(', ')}; GETs at service2 ${counts[0]}, retries ${counts[1]}`,
      );
      assert.deepEqual(
        answered.map((answer) => answer.status),
        [200, 200, 200, 200],
      );
      assert.deepEqual(counts, [4, 0]);
    });

    it('npm run explain and its container name every address and port as the engine does, and which family each connection used', async () => {
      for (const explanation of [await explainStack(PORT), await explainInContainer(cli, PORT)]) {
        assert.deepEqual(await verify(explanation), []);
        const line2 = explanation.families.find((sentence) => sentence.startsWith('line 2'));
        assert.match(
          line2 ?? '',
          families.length === 2 ? /an address of each family for each container/ : /^line 2: IPv6: .*of that family only$/,
        );
        if (families.length === 1) {
          assert.deepEqual(
            explanation.parts.filter((part) => part.kind === 'address' && !part.value.includes(':')).map((part) => part.value),
            [],
          );
        }
      }
    });

    it('takes service2 scaled to 3 for 3 replicas: 3 containers at 3 addresses on line 2 over 30 GETs', async (t) => {
      await project.run(['up', '-d', '--no-recreate', '--scale', 'service2=3']);
      const { stdout } = await project.run(['ps', '-q', 'service2']);
      const ids = stdout.split('\n').filter(Boolean);
      assert.equal(ids.length, 3);
      const containers = await Promise.all(ids.map((id) => inspectContainer(id)));
      // service1 looks the name up again within a second: until then it knows the first replica alone.
      const { to: first } = await secondLine(url);
      await waitFor(async () => (await secondLine(url)).to !== first, 5_000, 'another replica on line 2');
      const seen = new Set<string>();
      for (let i = 0; i < 30; i += 1) seen.add((await secondLine(url)).to);
      t.diagnostic(`line 2 over 30 GETs went to ${[...seen].toSorted().join(', ')}`);
      const family = familyOf([...seen][0] ?? '');
      assert.deepEqual([...seen].toSorted(), containers.map((info) => addressOn(info, project.network('backend'), family)).toSorted());
    });
  });
}
