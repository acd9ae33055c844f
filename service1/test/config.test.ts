import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LIMITS, loadConfig } from '../src/config.js';

describe('loadConfig', () => {
  it('listens on port 8001 of every interface and calls http://service2:8002/ within 2000 ms by default', () => {
    assert.deepEqual(loadConfig({}), { port: 8001, service2Url: new URL('http://service2:8002/'), upstreamTimeoutMs: 2000, limits: LIMITS });
  });

  it('treats empty variables as unset', () => {
    assert.deepEqual(loadConfig({ PORT: '', HOST: '', SERVICE2_URL: '', UPSTREAM_TIMEOUT_MS: '' }), loadConfig({}));
  });

  it('reads every variable', () => {
    const env = { PORT: '9001', HOST: '::1', SERVICE2_URL: 'http://[fd00::2]:9002/hello?x=1', UPSTREAM_TIMEOUT_MS: '150' };
    assert.deepEqual(loadConfig(env), {
      port: 9001,
      host: '::1',
      service2Url: new URL('http://[fd00::2]:9002/hello?x=1'),
      upstreamTimeoutMs: 150,
      limits: LIMITS,
    });
  });

  const refusals: ReadonlyArray<readonly [Record<string, string>, string]> = [
    [{ PORT: 'abc' }, 'PORT must be an integer 1-65535, got "abc"'],
    [{ PORT: '0' }, 'PORT must be an integer 1-65535, got "0"'],
    [{ PORT: '70000' }, 'PORT must be an integer 1-65535, got "70000"'],
    [{ HOST: 'service1' }, 'HOST must be an IP address, got "service1"'],
    [{ UPSTREAM_TIMEOUT_MS: '0' }, 'UPSTREAM_TIMEOUT_MS must be an integer 1-60000, got "0"'],
    [{ UPSTREAM_TIMEOUT_MS: '2s' }, 'UPSTREAM_TIMEOUT_MS must be an integer 1-60000, got "2s"'],
    [{ SERVICE2_URL: 'service2:8002' }, 'SERVICE2_URL must be an http:// URL without credentials or fragment, got "service2:8002"'],
    [{ SERVICE2_URL: 'https://service2:8002/' }, 'SERVICE2_URL must be an http:// URL without credentials or fragment, got "https://service2:8002/"'],
    [{ SERVICE2_URL: 'http://user:pw@service2:8002/' }, 'SERVICE2_URL must be an http:// URL without credentials or fragment, got "http://user:pw@service2:8002/"'],
  ];
  for (const [env, message] of refusals) {
    it(`refuses ${JSON.stringify(env)} with a message naming it`, () => {
      assert.throws(() => loadConfig(env), { name: 'ConfigError', message });
    });
  }
});
