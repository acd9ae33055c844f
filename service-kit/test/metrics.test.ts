import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Counter, Histogram, Registry } from '../src/metrics.ts';

describe('Counter', () => {
  it('writes HELP, TYPE and one sample per combination of labels, in the order first seen', () => {
    const counter = new Counter('jobs_total', 'Jobs done.');
    counter.inc({ kind: 'a' });
    counter.inc({ kind: 'b' }, 5);
    counter.inc({ kind: 'a' });
    assert.equal(
      counter.render(),
      '# HELP jobs_total Jobs done.\n# TYPE jobs_total counter\njobs_total{kind="a"} 2\njobs_total{kind="b"} 5\n',
    );
  });

  it('writes a series without labels bare, and nothing but its header before the first count', () => {
    const counter = new Counter('retries_total', 'Retries.');
    assert.equal(counter.render(), '# HELP retries_total Retries.\n# TYPE retries_total counter\n');
    counter.inc();
    assert.match(counter.render(), /\nretries_total 1\n$/);
  });

  it('escapes backslashes, double quotes and line feeds in label values', () => {
    const counter = new Counter('odd_total', 'Odd labels.');
    counter.inc({ path: 'a\\b"c\nd' });
    assert.match(counter.render(), /\nodd_total\{path="a\\\\b\\"c\\nd"\} 1\n$/);
  });
});

describe('Histogram', () => {
  it('counts each observation in the first bucket that holds it, cumulatively, with +Inf, sum and count', () => {
    const histogram = new Histogram('wait_seconds', 'Waits.', [0.5, 1]);
    for (const value of [0.25, 0.5, 0.75, 3]) histogram.observe({ route: '/' }, value);
    assert.equal(
      histogram.render(),
      [
        '# HELP wait_seconds Waits.',
        '# TYPE wait_seconds histogram',
        'wait_seconds_bucket{route="/",le="0.5"} 2',
        'wait_seconds_bucket{route="/",le="1"} 3',
        'wait_seconds_bucket{route="/",le="+Inf"} 4',
        'wait_seconds_sum{route="/"} 4.5',
        'wait_seconds_count{route="/"} 4',
        '',
      ].join('\n'),
    );
  });

  it('keeps a series per combination of labels, and writes one without labels bare', () => {
    const histogram = new Histogram('d_seconds', 'D.', [1]);
    histogram.observe({}, 2);
    assert.match(
      histogram.render(),
      /\nd_seconds_bucket\{le="1"\} 0\nd_seconds_bucket\{le="\+Inf"\} 1\nd_seconds_sum 2\nd_seconds_count 1\n$/,
    );
  });
});

describe('Registry', () => {
  it('writes the process series every client library exports, then its own metrics in order', () => {
    const registry = new Registry();
    registry.counter('a_total', 'A.').inc();
    registry.histogram('b_seconds', 'B.', [1]).observe({}, 0.5);
    const text = registry.render();
    const types = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((match) => `${match[1]} ${match[2]}`);
    assert.deepEqual(types, [
      'process_resident_memory_bytes gauge',
      'process_cpu_seconds_total counter',
      'process_start_time_seconds gauge',
      'nodejs_heap_size_used_bytes gauge',
      'nodejs_heap_size_total_bytes gauge',
      'nodejs_eventloop_delay_seconds summary',
      'a_total counter',
      'b_seconds histogram',
    ]);
  });

  it('says what each process series is, in the words of the client libraries', () => {
    const helps = new Registry().render().match(/^# HELP .*$/gm);
    assert.deepEqual(helps, [
      '# HELP process_resident_memory_bytes Resident memory size in bytes.',
      '# HELP process_cpu_seconds_total User and system CPU time spent in seconds.',
      '# HELP process_start_time_seconds Start time of the process since the Unix epoch in seconds.',
      '# HELP nodejs_heap_size_used_bytes Process heap size used from Node.js in bytes.',
      '# HELP nodejs_heap_size_total_bytes Process heap size from Node.js in bytes.',
      '# HELP nodejs_eventloop_delay_seconds How late the event loop ran a timer, since the process started.',
    ]);
  });

  it('writes nothing but HELP, TYPE and sample lines, each metric right after the one before', () => {
    const registry = new Registry();
    registry.counter('a_total', 'A.').inc({ kind: 'x' });
    const lines = registry.render().split('\n');
    assert.equal(lines.pop(), '', 'ends with a newline');
    for (const line of lines) assert.match(line, /^(# (HELP|TYPE) [a-z_]+ \S.*|[a-z_]+(\{[^}]*\})? \S+)$/);
  });

  it('reports this process: its memory, CPU time, start time and heap', () => {
    const cpuBefore = process.cpuUsage();
    const text = new Registry().render();
    const cpuAfter = process.cpuUsage();
    const value = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    const rss = process.memoryUsage.rss();
    assert.ok(Math.abs(value('process_resident_memory_bytes') - rss) < rss / 2);
    // User and system time together, as read while the registry wrote them.
    const cpu = value('process_cpu_seconds_total');
    assert.ok(cpu >= (cpuBefore.user + cpuBefore.system) / 1e6 && cpu <= (cpuAfter.user + cpuAfter.system) / 1e6, `${cpu} s`);
    const started = (Date.now() - process.uptime() * 1000) / 1000;
    assert.ok(Math.abs(value('process_start_time_seconds') - started) < 2);
    const { heapUsed, heapTotal } = process.memoryUsage();
    assert.ok(Math.abs(value('nodejs_heap_size_used_bytes') - heapUsed) < heapUsed / 2);
    assert.ok(Math.abs(value('nodejs_heap_size_total_bytes') - heapTotal) < heapTotal / 2);
    assert.ok(value('nodejs_heap_size_used_bytes') <= value('nodejs_heap_size_total_bytes'));
  });

  it('reports the event loop delay in seconds once it has been sampled', async () => {
    const registry = new Registry();
    const idle = registry.render();
    assert.match(idle, /^nodejs_eventloop_delay_seconds_count 0$/m);
    assert.match(idle, /^nodejs_eventloop_delay_seconds\{quantile="0.99"\} 0$/m);
    // Block the loop for 60 ms, so that a sample of at least that lateness is taken.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const until = performance.now() + 60;
    while (performance.now() < until);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const text = registry.render();
    const count = Number(/^nodejs_eventloop_delay_seconds_count (\S+)$/m.exec(text)?.[1]);
    const max = Number(/^nodejs_eventloop_delay_seconds\{quantile="0.99"\} (\S+)$/m.exec(text)?.[1]);
    const sum = Number(/^nodejs_eventloop_delay_seconds_sum (\S+)$/m.exec(text)?.[1]);
    assert.ok(count > 0, `count ${count}`);
    assert.ok(max >= 0.04 && max < 5, `p99 ${max} s`);
    assert.ok(sum >= max && sum < 5 * count, `sum ${sum} s`);
  });
});
