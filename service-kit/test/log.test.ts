import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger, LOG_LEVELS } from '../src/log.ts';
import type { Logger, LogLevel } from '../src/log.ts';
import type { LineSink } from '../src/output.ts';
import { collect, parseLines } from '../testing/index.ts';

/** A logger whose two sinks are kept apart, as written. */
function logger(least: LogLevel): { log: Logger['log']; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const created = createLogger('svc', least, { out: collect(out), err: collect(err) });
  return { log: (...args) => created.log(...args), out, err };
}

/** A sink that has dropped `dropped` lines so far, and keeps the rest. */
function lagging(into: string[], dropped: number): LineSink & { dropped: number } {
  return { write: (line) => void into.push(line), dropped };
}

describe('the JSON logger', () => {
  it('writes one JSON object per line: time, level, service, event, then the fields that have a value', () => {
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

  it('escapes what JSON must, so that a field cannot break its line', () => {
    const { log, out } = logger('debug');
    log('info', 'request', { path: '/a"b\\c\nd\u0001' });
    assert.equal(out[0]?.split('\n').length, 2);
    assert.equal((JSON.parse(out[0] ?? '') as Record<string, unknown>)['path'], '/a"b\\c\nd\u0001');
  });

  it('writes debug and info on the out sink, warn and error on the err sink', () => {
    const { log, out, err } = logger('debug');
    for (const level of LOG_LEVELS) log(level, level);
    assert.deepEqual(
      parseLines(out).map((line) => line['event']),
      ['debug', 'info'],
    );
    assert.deepEqual(
      parseLines(err).map((line) => line['event']),
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
        [...parseLines(out), ...parseLines(err)].map((line) => line['level']),
        written[least],
      );
    });
  }

  it('counts the lines both sinks dropped, and says once on the err sink that stdout lost lines', () => {
    const [outLines, errLines]: [string[], string[]] = [[], []];
    const out = lagging(outLines, 0);
    const err = lagging(errLines, 2);
    const created = createLogger('svc', 'info', { out, err });
    created.log('info', 'kept');
    assert.deepEqual(errLines, []);
    out.dropped = 3;
    created.log('info', 'after a drop');
    created.log('info', 'and another');
    out.dropped = 4;
    created.log('info', 'after another drop');
    assert.equal(created.dropped(), 6);
    assert.deepEqual(
      parseLines(errLines).map((line) => [line['level'], line['event'], line['stream']]),
      [['error', 'log lines dropped', 'stdout']],
    );
    assert.match(String(parseLines(errLines)[0]?.['reason']), /log_lines_dropped_total/);
  });
});
