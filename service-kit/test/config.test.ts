import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LIMITS, loadServerConfig } from '../src/config.ts';
import { ConfigError, integer, ipAddress, oneOf, setting } from '../src/env.ts';

describe('environment settings', () => {
  it('treats an empty variable as unset', () => {
    assert.equal(setting({ A: '' }, 'A'), undefined);
    assert.equal(setting({ A: 'x' }, 'A'), 'x');
  });

  it('reads integers within bounds, and the fallback when unset', () => {
    assert.equal(integer({}, 'N', 7, 1, 10), 7);
    assert.equal(integer({ N: '1' }, 'N', 7, 1, 10), 1);
    assert.equal(integer({ N: '10' }, 'N', 7, 1, 10), 10);
  });

  for (const raw of ['0', '11', 'abc', '5.5', '-5', ' 5', '1e1']) {
    it(`refuses the integer ${JSON.stringify(raw)} with a message naming the variable, its range and value`, () => {
      assert.throws(() => integer({ N: raw }, 'N', 7, 1, 10), new ConfigError(`N must be an integer 1-10, got ${JSON.stringify(raw)}`));
    });
  }

  it('takes IPv4 and IPv6 literals and refuses names', () => {
    assert.equal(ipAddress({ H: '10.0.0.1' }, 'H'), '10.0.0.1');
    assert.equal(ipAddress({ H: '::' }, 'H'), '::');
    assert.equal(ipAddress({}, 'H'), undefined);
    assert.throws(() => ipAddress({ H: 'localhost' }, 'H'), { name: 'ConfigError', message: 'H must be an IP address, got "localhost"' });
  });

  it('takes one of a list of choices, and names them when refusing', () => {
    assert.equal(oneOf({ C: 'b' }, 'C', ['a', 'b'], 'a'), 'b');
    assert.equal(oneOf({}, 'C', ['a', 'b'], 'a'), 'a');
    assert.throws(() => oneOf({ C: 'B' }, 'C', ['a', 'b'], 'a'), { name: 'ConfigError', message: 'C must be one of a, b, got "B"' });
  });
});

describe('loadServerConfig', () => {
  it('listens on the default port of every interface and logs at info by default', () => {
    assert.deepEqual(loadServerConfig({}, 8002), { port: 8002, logLevel: 'info', limits: LIMITS });
  });

  it('reads PORT, HOST and LOG_LEVEL', () => {
    assert.deepEqual(loadServerConfig({ PORT: '9000', HOST: '127.0.0.1', LOG_LEVEL: 'warn' }, 8002), {
      port: 9000,
      host: '127.0.0.1',
      logLevel: 'warn',
      limits: LIMITS,
    });
  });

  const refusals: ReadonlyArray<readonly [Record<string, string>, string]> = [
    [{ PORT: 'abc' }, 'PORT must be an integer 1-65535, got "abc"'],
    [{ PORT: '0' }, 'PORT must be an integer 1-65535, got "0"'],
    [{ PORT: '65536' }, 'PORT must be an integer 1-65535, got "65536"'],
    [{ HOST: 'service2' }, 'HOST must be an IP address, got "service2"'],
    [{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL must be one of debug, info, warn, error, got "verbose"'],
  ];
  for (const [env, message] of refusals) {
    it(`refuses ${JSON.stringify(env)} with a message naming it`, () => {
      assert.throws(() => loadServerConfig(env, 8002), { name: 'ConfigError', message });
    });
  }

  it('keeps idle connections longer than the 10 s a client pooling them may keep them', () => {
    assert.ok(LIMITS.keepAliveTimeoutMs > 10_000);
    assert.ok(LIMITS.headersTimeoutMs < LIMITS.requestTimeoutMs);
  });
});
