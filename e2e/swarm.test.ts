// The same images on a single-node Docker Swarm: deploy docker-stack.yaml,
// wait for every replica, check both lines against what Docker says, show that
// calls spread over every replica of service2, update service2 replica by
// replica under light load without a failed request, then remove the stack
// (and leave the swarm, if this test created it).
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { networkInterfaces } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { explainStack, publishedPort } from '@two-services/explain';
import { get, inspectContainer, installedComposeClis, onNetwork, run, waitFor, waitForOk } from '../harness/docker.ts';
import type { GetResult } from '../harness/docker.ts';
import { verify } from './verify-explanation.ts';

const STACK = 'e2e-swarm';
const URL_ON_HOST = `http://localhost:${publishedPort()}/`;
const LINE = /^Hello from (\S+):(\d+) to (\S+):(\d+)$/;

/** The running containers of one of the stack's services. */
async function tasks(service: string): Promise<string[]> {
  const { stdout } = await run('docker', ['ps', '-q', '--no-trunc', '--filter', `label=com.docker.swarm.service.name=${STACK}_${service}`]);
  return stdout.trim().split('\n').filter(Boolean);
}

/** Each running task's address on one of the stack's networks. */
async function addressesOn(service: string, network: string): Promise<string[]> {
  const addresses: string[] = [];
  for (const id of await tasks(service)) {
    const address = onNetwork(await inspectContainer(id), `${STACK}_${network}`)?.IPAddress;
    if (address !== undefined) addresses.push(address);
  }
  return addresses.toSorted();
}

async function replicas(): Promise<string> {
  const { stdout } = await run('docker', ['service', 'ls', '--filter', `name=${STACK}_`, '--format', '{{.Name}} {{.Replicas}}']);
  return stdout.trim().split('\n').toSorted().join(', ');
}

/** Joins this node to a swarm of its own; false when it already was in one. */
async function ensureSwarm(): Promise<boolean> {
  const state = (await run('docker', ['info', '--format', '{{.Swarm.LocalNodeState}}'])).stdout.trim();
  if (state === 'active') return false;
  try {
    await run('docker', ['swarm', 'init']);
  } catch {
    // Several addresses to choose from: advertise the first external IPv4 one.
    const address = Object.values(networkInterfaces())
      .flat()
      .find((i) => i !== undefined && i.family === 'IPv4' && !i.internal)?.address;
    if (address === undefined) throw new Error('docker swarm init failed and no address to advertise was found');
    await run('docker', ['swarm', 'init', '--advertise-addr', address]);
  }
  return true;
}

describe('the stack on Docker Swarm', { timeout: 10 * 60_000 }, () => {
  let createdSwarm = false;

  before(async () => {
    const [cli] = (await installedComposeClis()).toReversed();
    assert.ok(cli, 'a Compose front end builds the images');
    await run(cli.file, [...cli.prefix, 'build']);
    createdSwarm = await ensureSwarm();
    await run('docker', ['stack', 'deploy', '--resolve-image', 'never', '-c', 'docker-stack.yaml', STACK]);
    await waitFor(async () => (await replicas()) === `${STACK}_service1 1/1, ${STACK}_service2 3/3`, 120_000, 'every replica running');
    await waitForOk(URL_ON_HOST, 60_000);
  });

  after(async () => {
    await run('docker', ['stack', 'rm', STACK]);
    await waitFor(
      async () =>
        (await run('docker', ['network', 'ls', '-q', '--filter', `label=com.docker.stack.namespace=${STACK}`])).stdout.trim() === '',
      60_000,
      'the stack gone',
    );
    if (createdSwarm) await run('docker', ['swarm', 'leave', '--force']);
  });

  it('answers with two lines: docker_gwbridge to service1, then service1 to a replica of service2 on the backend network', async () => {
    const answer = await get(URL_ON_HOST);
    assert.equal(answer.status, 200);
    const [first, second, rest] = answer.body.split('\n');
    const own = LINE.exec(first ?? '');
    const relayed = LINE.exec(second ?? '');
    assert.ok(own && relayed && rest === '', `unexpected answer:\n${answer.body}`);

    // A host-mode port reaches the task through the node's docker_gwbridge.
    const [service1] = await tasks('service1');
    const gwbridge = JSON.parse((await run('docker', ['network', 'inspect', 'docker_gwbridge'])).stdout) as Array<{
      IPAM: { Config: Array<{ Gateway: string }> };
      Containers: Record<string, { IPv4Address: string }>;
    }>;
    const bridge = gwbridge[0];
    assert.ok(bridge && service1);
    assert.equal(own[1], bridge.IPAM.Config[0]?.Gateway);
    assert.equal(own[3], bridge.Containers[service1]?.IPv4Address.split('/')[0]);
    assert.equal(own[4], '8001');

    assert.deepEqual([relayed[1]], await addressesOn('service1', 'backend'));
    assert.ok((await addressesOn('service2', 'backend')).includes(relayed[3] ?? ''), `${relayed[3]} is a replica of service2`);
    assert.equal(relayed[4], '8002');
  });

  it('npm run explain names docker_gwbridge, the task of service1 and the replica of service2 that answered, as docker inspect shows them', async () => {
    const explanation = await explainStack();
    assert.deepEqual(explanation.stack, { kind: 'swarm', name: STACK });
    const back = `${STACK}_backend`;
    assert.deepEqual(
      explanation.parts.map((part) => [part.line, part.end, part.kind, part.role, part.network, part.service]),
      [
        [1, 'from', 'address', 'gateway', 'docker_gwbridge', undefined],
        [1, 'from', 'port', 'ephemeral', 'docker_gwbridge', undefined],
        [1, 'to', 'address', 'container', 'docker_gwbridge', 'service1'],
        [1, 'to', 'port', 'listening', 'docker_gwbridge', 'service1'],
        [2, 'from', 'address', 'container', back, 'service1'],
        [2, 'from', 'port', 'ephemeral', back, 'service1'],
        [2, 'to', 'address', 'container', back, 'service2'],
        [2, 'to', 'port', 'listening', back, 'service2'],
      ],
    );
    assert.deepEqual(await verify(explanation), []);
    const replica = explanation.parts.find((part) => part.line === 2 && part.end === 'to' && part.kind === 'address');
    assert.ok((await tasks('service2')).includes(replica?.containerId ?? ''), 'the replica that answered is a running task of service2');
    assert.match(replica?.text ?? '', /answered this time, of 3 replicas/);
    assert.deepEqual(
      explanation.absent.map((note) => note.subject).filter((subject) => !/^\[?[\d.:a-f]+\]?:\d+$/.test(subject)),
      [`port ${explanation.ask.server.port}`, 'service2', back, `${STACK}_frontend`, 'ingress'],
    );
  });

  it('spreads 60 calls over every replica of service2', async (t) => {
    const seen = new Map<string, number>();
    for (let i = 0; i < 60; i += 1) {
      const answer = await get(URL_ON_HOST);
      assert.equal(answer.status, 200);
      const replica = LINE.exec(answer.body.split('\n')[1] ?? '')?.[3] ?? 'none';
      seen.set(replica, (seen.get(replica) ?? 0) + 1);
    }
    t.diagnostic(`calls per replica: ${[...seen].map(([address, n]) => `${address} ${n}`).join(', ')}`);
    assert.deepEqual([...seen.keys()].toSorted(), await addressesOn('service2', 'backend'));
  });

  it('updates service2 replica by replica under light load without a failed request', async (t) => {
    const earlier = await addressesOn('service2', 'backend');
    const answers: GetResult[] = [];
    const loading = new AbortController();
    const client = async (): Promise<void> => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      while (!loading.signal.aborted) {
        answers.push(await get(URL_ON_HOST, 10_000, agent));
        await sleep(20);
      }
      agent.destroy();
    };
    const clients = [client(), client()];
    await sleep(1_000);
    await run('docker', ['service', 'update', '--force', '--detach=false', '--no-resolve-image', `${STACK}_service2`]);
    await sleep(1_000);
    loading.abort();
    await Promise.all(clients);

    const failed = answers.filter((answer) => answer.status !== 200);
    t.diagnostic(`${answers.length} requests during the update, ${failed.length} failed`);
    assert.ok(answers.length >= 100, `only ${answers.length} requests: the load was too light to show anything`);
    assert.deepEqual(
      failed.map((answer) => `${answer.status} ${answer.body}`),
      [],
    );
    const updated = await addressesOn('service2', 'backend');
    assert.equal(updated.length, 3);
    assert.notDeepEqual(updated, earlier, 'the update replaced the replicas');
    assert.equal(await replicas(), `${STACK}_service1 1/1, ${STACK}_service2 3/3`);
  });
});
