import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

/** The media type of the Prometheus text exposition format that `Registry.render` writes. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Label names and values of one series. */
export type Labels = Readonly<Record<string, string>>;

/** Anything a registry can write out. */
interface Metric {
  render(): string;
}

/** A count that only goes up, one per combination of labels. */
export class Counter implements Metric {
  readonly #name: string;
  readonly #help: string;
  readonly #series = new Map<string, number>();

  constructor(name: string, help: string) {
    this.#name = name;
    this.#help = help;
  }

  /** Adds `by` (default 1) to the series of `labels`. */
  inc(labels: Labels = {}, by = 1): void {
    const key = labelText(labels);
    this.#series.set(key, (this.#series.get(key) ?? 0) + by);
  }

  render(): string {
    let text = header(this.#name, this.#help, 'counter');
    for (const [labels, value] of this.#series) text += sampleLine(this.#name, labels, value);
    return text;
  }
}

/** Observations counted into buckets, with their sum, one set per combination of labels. */
export class Histogram implements Metric {
  readonly #name: string;
  readonly #help: string;
  readonly #bounds: readonly number[];
  readonly #series = new Map<string, { readonly buckets: number[]; sum: number; count: number }>();

  /** `bounds`: the buckets' upper bounds, ascending; `+Inf` is added. */
  constructor(name: string, help: string, bounds: readonly number[]) {
    this.#name = name;
    this.#help = help;
    this.#bounds = bounds;
  }

  observe(labels: Labels, value: number): void {
    const key = labelText(labels);
    let series = this.#series.get(key);
    if (series === undefined) {
      series = { buckets: [], sum: 0, count: 0 };
      this.#series.set(key, series);
    }
    // Counted once, in the first bucket it fits (the last, +Inf, past every bound), and added
    // up when written, as the format's buckets are cumulative: one count a request, not one a
    // bucket (docs/performance.md).
    const fits = this.#bounds.findIndex((bound) => value <= bound);
    const i = fits === -1 ? this.#bounds.length : fits;
    series.buckets[i] = (series.buckets[i] ?? 0) + 1;
    series.sum += value;
    series.count += 1;
  }

  render(): string {
    let text = header(this.#name, this.#help, 'histogram');
    for (const [labels, { buckets, sum, count }] of this.#series) {
      const prefix = labels === '' ? '' : `${labels},`;
      let cumulative = 0;
      this.#bounds.forEach((bound, i) => {
        cumulative += buckets[i] ?? 0;
        text += sampleLine(`${this.#name}_bucket`, `${prefix}le="${bound}"`, cumulative);
      });
      text += sampleLine(`${this.#name}_bucket`, `${prefix}le="+Inf"`, count);
      text += sampleLine(`${this.#name}_sum`, labels, sum);
      text += sampleLine(`${this.#name}_count`, labels, count);
    }
    return text;
  }
}

/** A value read when the metrics are written: memory in use, CPU time so far. */
class ReadAtScrape implements Metric {
  readonly #name: string;
  readonly #help: string;
  readonly #type: 'counter' | 'gauge';
  readonly #read: () => number;

  constructor(name: string, help: string, type: 'counter' | 'gauge', read: () => number) {
    this.#name = name;
    this.#help = help;
    this.#type = type;
    this.#read = read;
  }

  render(): string {
    return header(this.#name, this.#help, this.#type) + sampleLine(this.#name, '', this.#read());
  }
}

/** How late the event loop ran its timers since the process started, as a summary in seconds. */
class EventLoopDelay implements Metric {
  readonly #monitor = monitorEventLoopDelay();

  constructor() {
    // Its timer does not keep the process alive.
    this.#monitor.enable();
  }

  render(): string {
    const name = 'nodejs_eventloop_delay_seconds';
    const { count, mean } = this.#monitor;
    // The monitor counts in nanoseconds, and has no mean before its first sample.
    const seconds = (nanoseconds: number): number => (count === 0 ? 0 : nanoseconds / 1e9);
    let text = header(name, 'How late the event loop ran a timer, since the process started.', 'summary');
    for (const quantile of [0.5, 0.9, 0.99])
      text += sampleLine(name, `quantile="${quantile}"`, seconds(this.#monitor.percentile(quantile * 100)));
    return text + sampleLine(`${name}_sum`, '', seconds(mean * count)) + sampleLine(`${name}_count`, '', count);
  }
}

/**
 * The metrics of one service, written out in the Prometheus text format. It
 * starts with the series every Prometheus client library exports for its
 * process: resident memory, CPU time, start time, V8's heap, and the event
 * loop's delay.
 */
export class Registry {
  readonly #metrics: Metric[] = [
    new ReadAtScrape('process_resident_memory_bytes', 'Resident memory size in bytes.', 'gauge', () => process.memoryUsage.rss()),
    new ReadAtScrape('process_cpu_seconds_total', 'User and system CPU time spent in seconds.', 'counter', () => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1e6;
    }),
    new ReadAtScrape(
      'process_start_time_seconds',
      'Start time of the process since the Unix epoch in seconds.',
      'gauge',
      () => performance.timeOrigin / 1000,
    ),
    new ReadAtScrape(
      'nodejs_heap_size_used_bytes',
      'Process heap size used from Node.js in bytes.',
      'gauge',
      () => process.memoryUsage().heapUsed,
    ),
    new ReadAtScrape(
      'nodejs_heap_size_total_bytes',
      'Process heap size from Node.js in bytes.',
      'gauge',
      () => process.memoryUsage().heapTotal,
    ),
    new EventLoopDelay(),
  ];

  counter(name: string, help: string): Counter {
    return this.#add(new Counter(name, help));
  }

  /** A value read each time the metrics are written, such as a count kept elsewhere. */
  readAtScrape(name: string, help: string, type: 'counter' | 'gauge', read: () => number): void {
    this.#add(new ReadAtScrape(name, help, type, read));
  }

  histogram(name: string, help: string, bounds: readonly number[]): Histogram {
    return this.#add(new Histogram(name, help, bounds));
  }

  /** Every metric, in the order they were added. */
  render(): string {
    return this.#metrics.map((metric) => metric.render()).join('');
  }

  #add<T extends Metric>(metric: T): T {
    this.#metrics.push(metric);
    return metric;
  }
}

function header(name: string, help: string, type: string): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
}

function sampleLine(name: string, labels: string, value: number): string {
  return `${name}${labels === '' ? '' : `{${labels}}`} ${value}\n`;
}

// name="value" pairs, with the value escaped as the format requires.
function labelText(labels: Labels): string {
  return Object.entries(labels)
    .map(([name, value]) => `${name}="${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')}"`)
    .join(',');
}
