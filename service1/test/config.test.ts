import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LIMITS } from '@two-services/service-kit';
import { loadConfig } from '../src/config.ts';

const URL_REFUSAL = 'SERVICE2_URL must be an http:// URL without credentials or fragment, got';

describe('loadConfig', () => {
  it('listens on port 8001 of every interface, logs from info and calls http://service2:8002/ within 2000 ms by default', () => {
    assert.deepEqual(loadConfig({}), {
      port: 8001,
      logLevel: 'info',
      service2Url: new URL('http://service2:8002/'),
      upstreamTimeoutMs: 2000,
      limits: LIMITS,
    });
  });

  it('treats empty variables as unset', () => {
    assert.deepEqual(loadConfig({ PORT: '', HOST: '', LOG_LEVEL: '', SERVICE2_URL: '', UPSTREAM_TIMEOUT_MS: '' }), loadConfig({}));
  });

  it('reads every variable', () => {
    const env = {
      PORT: '9001',
      HOST: '::1',
      LOG_LEVEL: 'warn',
      SERVICE2_URL: 'http://[fd00::2]:9002/hello?x=1',
      UPSTREAM_TIMEOUT_MS: '150',
    };
    assert.deepEqual(loadConfig(env), {
      port: 9001,
      host: '::1',
      logLevel: 'warn',
      service2Url: new URL('http://[fd00::2]:9002/hello?x=1'),
      upstreamTimeoutMs: 150,
      limits: LIMITS,
    });
  });

  it('takes the bounds themselves', () => {
    const config = loadConfig({ PORT: '65535', UPSTREAM_TIMEOUT_MS: '60000' });
    assert.deepEqual([config.port, config.upstreamTimeoutMs], [65535, 60000]);
    assert.deepEqual([loadConfig({ PORT: '1' }).port, loadConfig({ UPSTREAM_TIMEOUT_MS: '1' }).upstreamTimeoutMs], [1, 1]);
  });

  const refusals: ReadonlyArray<readonly [Record<string, string>, string]> = [
    [{ PORT: 'abc' }, 'PORT must be an integer 1-65535, got "abc"'],
    [{ PORT: '0' }, 'PORT must be an integer 1-65535, got "0"'],
    [{ PORT: '70000' }, 'PORT must be an integer 1-65535, got "70000"'],
    [{ HOST: 'service1' }, 'HOST must be an IP address, got "service1"'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL must be one of debug, info, warn, error, got "loud"'],
    [{ UPSTREAM_TIMEOUT_MS: '0' }, 'UPSTREAM_TIMEOUT_MS must be an integer 1-60000, got "0"'],
    [{ UPSTREAM_TIMEOUT_MS: '60001' }, 'UPSTREAM_TIMEOUT_MS must be an integer 1-60000, got "60001"'],
    [{ UPSTREAM_TIMEOUT_MS: '2s' }, 'UPSTREAM_TIMEOUT_MS must be an integer 1-60000, got "2s"'],
    [{ UPSTREAM_TIMEOUT_MS: '-5' }, 'UPSTREAM_TIMEOUT_MS must be an integer 1-60000, got "-5"'],
    [{ SERVICE2_URL: 'service2:8002' }, `${URL_REFUSAL} "service2:8002"`],
    [{ SERVICE2_URL: 'service2' }, `${URL_REFUSAL} "service2"`],
    [{ SERVICE2_URL: 'https://service2:8002/' }, `${URL_REFUSAL} "https://service2:8002/"`],
    [{ SERVICE2_URL: 'http://user:pw@service2:8002/' }, `${URL_REFUSAL} "http://user:pw@service2:8002/"`],
    [{ SERVICE2_URL: 'http://user@service2:8002/' }, `${URL_REFUSAL} "http://user@service2:8002/"`],
    [{ SERVICE2_URL: 'http://:pw@service2:8002/' }, `${URL_REFUSAL} "http://:pw@service2:8002/"`],
    [{ SERVICE2_URL: 'http://service2:8002/#frag' }, `${URL_REFUSAL} "http://service2:8002/#frag"`],
  ];
  for (const [env, message] of refusals) {
    it(`refuses ${JSON.stringify(env)} with a message naming it`, () => {
      assert.throws(() => loadConfig(env), { name: 'ConfigError', message });
    });
  }
});
