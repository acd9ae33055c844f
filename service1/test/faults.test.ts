// Every way a call to service2 can fail, one row each: what service1 answers
// (status and both lines), the request's log line, and the metrics it moves.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { freePort, sample } from '@two-services/service-kit/testing';
import { MAX_BODY_BYTES } from '../src/attempt.ts';
import { Replicas } from '../src/replicas.ts';
import { answers, drops, FakeService2, holding, stopsMidAnswer, streamsTooMuch } from './fake-service2.ts';
import type { Behaviour } from './fake-service2.ts';
import { metricsOf, notFound, resolver, startService1 } from './helpers.ts';

interface Fault {
  /** What service2 does, or where service1 is sent instead of to a fake service2. */
  readonly fake?: Behaviour;
  readonly url?: () => Promise<URL>;
  readonly replicas?: Replicas;
  readonly upstreamTimeoutMs?: number;
  readonly status: number;
  /** service1's second line. */
  readonly reason: string;
  readonly outcome: string;
  readonly upstreamStatus?: number;
  readonly retried?: true;
}

const FAULTS: Readonly<Record<string, Fault>> = {
  'answers a status other than 200': {
    fake: answers(500),
    status: 502,
    reason: 'service2 answered 500',
    outcome: 'bad_answer',
    upstreamStatus: 500,
  },
  'sends more than it may': {
    fake: streamsTooMuch,
    status: 502,
    reason: `service2 sent more than ${MAX_BODY_BYTES} bytes`,
    outcome: 'bad_answer',
    upstreamStatus: 200,
  },
  'answers with something not one line': {
    fake: (_req, res) => res.end('no newline'),
    status: 502,
    reason: 'service2 did not answer with one line',
    outcome: 'bad_answer',
    upstreamStatus: 200,
  },
  'drops the connection without a word': {
    fake: drops,
    status: 502,
    reason: 'service2 reset the connection (ECONNRESET)',
    outcome: 'reset',
  },
  'stops mid-answer': {
    fake: stopsMidAnswer,
    status: 502,
    reason: 'service2 reset the connection (ECONNRESET)',
    outcome: 'reset',
    upstreamStatus: 200,
  },
  // One address, which no new lookup can change: nowhere else to try.
  'refuses the connection': {
    url: async () => new URL(`http://127.0.0.1:${await freePort()}/`),
    status: 502,
    reason: 'service2 refused the connection (ECONNREFUSED)',
    outcome: 'unreachable',
  },
  'is not known to DNS': {
    url: async () => new URL('http://service2:8002/'),
    replicas: new Replicas('service2', resolver(() => notFound()).lookup),
    status: 502,
    reason: 'service2 is not known to DNS (ENOTFOUND)',
    outcome: 'dns',
  },
  'does not answer within the deadline': {
    upstreamTimeoutMs: 100,
    status: 504,
    reason: 'service2 did not answer within 100 ms',
    outcome: 'timeout',
  },
};

describe('service1 when its call to service2 fails', { timeout: 10_000 }, () => {
  for (const [when, fault] of Object.entries(FAULTS)) {
    it(`answers ${fault.status} with both lines, logs it at error and counts it, when service2 ${when}`, async () => {
      const service2 = await new FakeService2().start();
      // A fault without a behaviour of its own is a service2 that holds every call.
      const hold = holding();
      service2.behaviour = fault.fake ?? hold.behaviour;
      const url = fault.url === undefined ? service2.url : await fault.url();
      const service1 = await startService1(url, {
        upstreamTimeoutMs: fault.upstreamTimeoutMs ?? 2_000,
        ...(fault.replicas === undefined ? {} : { replicas: fault.replicas }),
      });
      try {
        const answer = await service1.ask({ headers: { 'x-request-id': 'fault' } });
        assert.equal(answer.status, fault.status);
        assert.equal(answer.body, `${service1.ownLine(answer)}${fault.reason}\n`);

        const line = await service1.logs.next((l) => l['requestId'] === 'fault');
        assert.deepEqual(
          [line['level'], line['status'], line['upstreamStatus'], line['upstreamError'], line['upstreamRetried']],
          ['error', fault.status, fault.upstreamStatus, fault.reason, fault.retried],
        );

        const metrics = await metricsOf(service1.port);
        assert.deepEqual(
          [
            sample(metrics, `http_requests_total{route="/",status="${fault.status}"}`),
            sample(metrics, `service2_calls_total{outcome="${fault.outcome}"}`),
            sample(metrics, 'service2_calls_total{outcome="ok"}'),
            sample(metrics, 'service2_retries_total'),
          ],
          [1, 1, 0, fault.retried === true ? 1 : 0],
        );
      } finally {
        hold.release();
        await service1.stop();
        await service2.stop();
      }
    });
  }
});
