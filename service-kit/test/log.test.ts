import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Writable } from 'node:stream';
import { createLogger, LOG_LEVELS } from '../src/log.ts';
import type { Logger, LogLevel } from '../src/log.ts';

/** A stream that keeps each write. */
function sink(into: string[]): Writable {
  return new Writable({
    decodeStrings: false,
    write(chunk: string, _encoding, done) {
      into.push(chunk);
      done();
    },
  });
}

/** A logger whose two streams are kept apart, as written. */
function logger(least: LogLevel): { log: Logger['log']; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const created = createLogger('svc', least, { out: sink(out), err: sink(err) });
  return { log: (...args) => created.log(...args), out, err };
}

describe('the JSON logger', () => {
  it('writes one JSON object per line: time, level, service, event, then the fields', () => {
    const { log, out } = logger('debug');
    log('info', 'request', { requestId: 'r1', status: 200, ok: true, missing: undefined });
    assert.equal(out.length, 1);
    const line = out[0] ?? '';
    assert.ok(line.endsWith('}\n'));
    assert.equal(line.indexOf('\n'), line.length - 1);
    const parsed = JSON.parse(line) as Record<string, unknown>;
    assert.deepEqual(Object.keys(parsed), ['time', 'level', 'service', 'event', 'requestId', 'status', 'ok']);
    assert.deepEqual(parsed, {
      time: parsed['time'],
      level: 'info',
      service: 'svc',
      event: 'request',
      requestId: 'r1',
      status: 200,
      ok: true,
    });
    assert.match(String(parsed['time']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(Math.abs(Date.parse(String(parsed['time'])) - Date.now()) < 5_000);
  });

  it('writes debug and info on the out stream, warn and error on the err stream', () => {
    const { log, out, err } = logger('debug');
    for (const level of LOG_LEVELS) log(level, level);
    assert.deepEqual(
      out.map((line) => JSON.parse(line).event),
      ['debug', 'info'],
    );
    assert.deepEqual(
      err.map((line) => JSON.parse(line).event),
      ['warn', 'error'],
    );
  });

  const written: Record<LogLevel, LogLevel[]> = {
    debug: ['debug', 'info', 'warn', 'error'],
    info: ['info', 'warn', 'error'],
    warn: ['warn', 'error'],
    error: ['error'],
  };
  for (const least of LOG_LEVELS) {
    it(`at ${least}, writes ${written[least].join(', ')} and drops the rest`, () => {
      const { log, out, err } = logger(least);
      for (const level of LOG_LEVELS) log(level, level);
      assert.deepEqual(
        [...out, ...err].map((line) => JSON.parse(line).level),
        written[least],
      );
    });
  }
});
