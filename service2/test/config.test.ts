import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, LIMITS, loadConfig } from '../src/config.js';

describe('loadConfig', () => {
  it('listens on port 8002 of every interface by default', () => {
    assert.deepEqual(loadConfig({}), { port: 8002, limits: LIMITS });
  });

  it('treats empty variables as unset', () => {
    assert.deepEqual(loadConfig({ PORT: '', HOST: '' }), { port: 8002, limits: LIMITS });
  });

  it('reads PORT and HOST', () => {
    assert.deepEqual(loadConfig({ PORT: '9000', HOST: '127.0.0.1' }), { port: 9000, host: '127.0.0.1', limits: LIMITS });
    assert.deepEqual(loadConfig({ PORT: '65535', HOST: '::' }), { port: 65_535, host: '::', limits: LIMITS });
  });

  for (const bad of ['abc', '0', '65536', '80.5', '-1', ' 80', '1e3']) {
    it(`refuses PORT=${JSON.stringify(bad)} with a message naming it`, () => {
      assert.throws(() => loadConfig({ PORT: bad }), {
        name: 'ConfigError',
        message: `PORT must be an integer 1-65535, got ${JSON.stringify(bad)}`,
      });
    });
  }

  it('keeps idle connections open longer than service1 keeps its idle connections to service2 (10 s)', () => {
    assert.ok(loadConfig({}).limits.keepAliveTimeoutMs > 10_000);
  });

  it('refuses a HOST that is not an IP address', () => {
    assert.throws(() => loadConfig({ HOST: 'localhost' }), new ConfigError('HOST must be an IP address, got "localhost"'));
  });
});
