import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate } from 'node:timers/promises';
import { createLogger, LOG_LEVELS } from '../src/log.ts';
import type { Logger, LogLevel } from '../src/log.ts';
import { collect, parseLines } from '../testing/index.ts';

/** A logger whose two streams are kept apart, as written. */
function logger(least: LogLevel): { log: Logger['log']; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const created = createLogger('svc', least, { out: collect(out), err: collect(err) });
  return { log: (...args) => created.log(...args), out, err };
}

describe('the JSON logger', () => {
  it('writes one JSON object per line: time, level, service, event, then the fields', async () => {
    const { log, out } = logger('debug');
    log('info', 'request', { requestId: 'r1', status: 200, ok: true, missing: undefined });
    await setImmediate();
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

  it('writes debug and info on the out stream, warn and error on the err stream', async () => {
    const { log, out, err } = logger('debug');
    for (const level of LOG_LEVELS) log(level, level);
    await setImmediate();
    assert.deepEqual(
      parseLines(out).map((line) => line['event']),
      ['debug', 'info'],
    );
    assert.deepEqual(
      parseLines(err).map((line) => line['event']),
      ['warn', 'error'],
    );
  });

  it('writes the debug and info lines of one turn of the event loop in one write, at its end', async () => {
    const { log, out } = logger('debug');
    log('info', 'first');
    log('debug', 'second');
    log('info', 'third');
    assert.deepEqual(out, []);
    await setImmediate();
    assert.equal(out.length, 1);
    assert.deepEqual(
      parseLines(out).map((line) => line['event']),
      ['first', 'second', 'third'],
    );
    log('info', 'next turn');
    await setImmediate();
    assert.deepEqual(
      parseLines(out.slice(1)).map((line) => line['event']),
      ['next turn'],
    );
  });

  it('writes warn and error lines at once, each in a write of its own', () => {
    const { log, err } = logger('debug');
    log('warn', 'first');
    log('error', 'second');
    assert.deepEqual(
      err.map((write) => (JSON.parse(write) as Record<string, unknown>)['event']),
      ['first', 'second'],
    );
  });

  const written: Record<LogLevel, LogLevel[]> = {
    debug: ['debug', 'info', 'warn', 'error'],
    info: ['info', 'warn', 'error'],
    warn: ['warn', 'error'],
    error: ['error'],
  };
  for (const least of LOG_LEVELS) {
    it(`at ${least}, writes ${written[least].join(', ')} and drops the rest`, async () => {
      const { log, out, err } = logger(least);
      for (const level of LOG_LEVELS) log(level, level);
      await setImmediate();
      assert.deepEqual(
        [...parseLines(out), ...parseLines(err)].map((line) => line['level']),
        written[least],
      );
    });
  }
});
