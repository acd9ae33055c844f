// FdOutput on real pipes: a child process writes through it to its stdout,
// which this test reads, holds full, or closes (fixtures/output.ts).
import assert from 'node:assert/strict';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, constants, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { FdOutput, OUTPUT_LIMITS } from '../src/output.ts';
import { spawnNode } from '../testing/index.ts';

const FIXTURE = new URL('fixtures/output.ts', import.meta.url).pathname;
const noFifo = process.platform === 'win32' ? 'FIFOs (mkfifo) are a POSIX thing' : false;

/** What the fixture reports on stderr. */
interface Report {
  readonly dropped: number;
  readonly handedOver?: true;
  readonly exited?: true;
  readonly writeCalls?: number | null;
}

interface Run {
  readonly child: ChildProcessWithoutNullStreams;
  /** Its reports, as they come. */
  readonly reports: Report[];
  /** Settles with the first report that `matches`. */
  report(matches: (report: Report) => boolean): Promise<Report>;
  /** Reads the rest of stdout; settles with all of it, and the exit code, once the process has ended. */
  finish(): Promise<{ stdout: string; code: number | null; stderr: string }>;
}

function runFixture(env: Readonly<Record<string, string>>): Run {
  const child = spawnNode(FIXTURE, env);
  const reports: Report[] = [];
  let stderr = '';
  const stderrLines = createInterface({ input: child.stderr });
  stderrLines.on('line', (line) => {
    stderr += `${line}\n`;
    if (line.startsWith('{')) reports.push(JSON.parse(line) as Report);
  });
  const exited = once(child, 'exit');
  return {
    child,
    reports,
    async report(matches) {
      for (;;) {
        const found = reports.find(matches);
        if (found !== undefined) return found;
        await once(stderrLines, 'line');
      }
    },
    async finish() {
      let stdout = '';
      child.stdout.setEncoding('utf8');
      for await (const chunk of child.stdout) stdout += chunk as string;
      const [code] = (await exited) as [number | null];
      return { stdout, code, stderr };
    },
  };
}

/** The line numbered `n`, as the fixture writes it. */
function lineOf(n: number, lineBytes: number): string {
  const head = `line ${n} `;
  return `${head}${'x'.repeat(lineBytes - head.length - 1)}\n`;
}

/** The numbers of the lines `text` holds, checking that each is whole; names the first that is not, without printing megabytes. */
function numbersOf(text: string, lineBytes: number): number[] {
  return text.split(/(?<=\n)/).map((line) => {
    const n = Number(/^line (\d+) /.exec(line)?.[1]);
    assert.equal(line, lineOf(n, lineBytes), `not a whole line: ${JSON.stringify(line.slice(0, 40))}`);
    return n;
  });
}

/** Checks that `text` is lines 0 to `count` - 1, whole and in order. */
function assertLines(text: string, count: number, lineBytes: number): void {
  const numbers = numbersOf(text, lineBytes);
  assert.equal(numbers.length, count);
  assert.equal(
    numbers.findIndex((n, i) => n !== i),
    -1,
  );
}

describe('FdOutput, on a real pipe', { timeout: 20_000 }, () => {
  it('writes every line whole and in order, many lines to a write(2), and what waits before the process ends', async (t) => {
    const run = runFixture({ LINES: '2000', LINE_BYTES: '100', BURST: '50', END: 'done' });
    const { stdout, code } = await run.finish();
    assert.equal(code, 0);
    assertLines(stdout, 2000, 100);
    const exit = await run.report((report) => report.exited === true);
    assert.equal(exit.dropped, 0);
    if (exit.writeCalls === null || exit.writeCalls === undefined) {
      t.diagnostic('no /proc/self/io here: the count of write(2) calls is not checked');
      return;
    }
    // Each write to the pipe, made in libuv's threads, comes with one to wake the event loop when it is done;
    // and the report made on stderr before the process exited is one more.
    // A batch goes as soon as it is full, not only when its time is up: one write for each, at least.
    const batches = Math.ceil((2000 * 100) / OUTPUT_LIMITS.batchChars);
    t.diagnostic(`2,000 lines of 100 bytes in ${exit.writeCalls} write(2) calls, for ${batches} batches`);
    assert.ok(exit.writeCalls >= batches && exit.writeCalls <= 2 * batches + 3, `${exit.writeCalls} write(2) calls`);
  });

  it('writes a line on its own a moment after it comes, without waiting for more or for the end', async () => {
    const run = runFixture({ LINES: '1', LINE_BYTES: '30', BURST: '1', END: 'wait' });
    const [chunk] = (await once(run.child.stdout, 'data')) as [Buffer];
    assert.equal(chunk.toString(), lineOf(0, 30));
    run.child.kill('SIGTERM');
    const { code } = await run.finish();
    assert.equal(code, 0);
  });

  it('writes the lines that wait when an error nobody catches ends the process', async () => {
    const run = runFixture({ LINES: '100', LINE_BYTES: '30', BURST: '100', END: 'throw' });
    const { stdout, code, stderr } = await run.finish();
    assert.equal(code, 1);
    assert.match(stderr, /a failure nobody catches/);
    assertLines(stdout, 100, 30);
  });

  it('keeps what fits its bound while the reader lags, drops and counts the rest, and writes what it kept whole and in order once the reader is back', async () => {
    const lines = 30_000;
    const run = runFixture({ LINES: String(lines), LINE_BYTES: '100', BURST: '500', END: 'wait' });
    // Nothing read: the pipe fills, and the lines wait in the output.
    run.child.stdout.pause();
    const { dropped } = await run.report((report) => report.handedOver === true);
    const kept = lines - dropped;
    // The bound, plus what the pipe and this reader's buffer took before they were full.
    assert.ok(kept >= OUTPUT_LIMITS.maxPendingChars / 100 && kept <= (OUTPUT_LIMITS.maxPendingChars + 512 * 1024) / 100, `kept ${kept}`);
    run.child.stdout.resume();
    run.child.kill('SIGTERM');
    const { stdout, code } = await run.finish();
    assert.equal(code, 0);
    // Every line kept, whole and in order; those dropped, missing.
    const numbers = numbersOf(stdout, 100);
    assert.equal(numbers.length, kept);
    assert.equal(
      numbers.findIndex((n, i) => i > 0 && n <= (numbers[i - 1] ?? -1)),
      -1,
    );
    assert.equal((await run.report((report) => report.exited === true)).dropped, dropped);
  });

  it('counts the lines of a reader that has gone as dropped, and goes on', async () => {
    const run = runFixture({ LINES: '100', LINE_BYTES: '100', BURST: '100', END: 'done' });
    run.child.stdout.destroy();
    const [code] = (await once(run.child, 'exit')) as [number | null];
    assert.equal(code, 0);
    assert.equal((await run.report((report) => report.exited === true)).dropped, 100);
  });
});

describe('FdOutput, on a non-blocking pipe (a FIFO), as a terminal shared with another Node process is', {
  skip: noFifo,
  timeout: 20_000,
}, () => {
  /** A FIFO whose both ends are open and non-blocking, its buffer already full; the read end as a stream, paused. */
  function fullFifo(): { writeFd: number; reader: Socket; filled: number; done: () => void } {
    const dir = mkdtempSync(join(tmpdir(), 'fdoutput-'));
    const path = join(dir, 'fifo');
    execFileSync('mkfifo', [path]);
    const readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const writeFd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
    let filled = 0;
    const chunk = Buffer.alloc(1_024, '.');
    try {
      for (;;) filled += writeSync(writeFd, chunk);
    } catch (error) {
      assert.equal((error as NodeJS.ErrnoException).code, 'EAGAIN');
    }
    const reader = new Socket({ fd: readFd, readable: true, writable: false }).pause();
    const done = (): void => {
      reader.destroy();
      closeSync(writeFd);
      rmSync(dir, { recursive: true, force: true });
    };
    return { writeFd, reader, filled, done };
  }

  it('writes the rest once the reader has room again (EAGAIN), and loses no line', async () => {
    const { writeFd, reader, filled, done } = fullFifo();
    try {
      const output = new FdOutput(writeFd);
      // More than a batch: the first goes at once, into the full FIFO, and meets EAGAIN.
      for (let n = 0; n < 1_000; n += 1) output.write(lineOf(n, 100));
      // No event says the output has met EAGAIN and waits to try again: two of its own waits, then the reader comes back.
      await sleep(2 * OUTPUT_LIMITS.flushMs);
      let text = '';
      reader.setEncoding('latin1').on('data', (chunk: string) => {
        text += chunk;
        if (text.length === filled + 1_000 * 100) reader.emit('all');
      });
      reader.resume();
      await once(reader, 'all');
      assert.equal(output.dropped, 0);
      assert.equal(text.slice(0, filled), '.'.repeat(filled));
      assertLines(text.slice(filled), 1_000, 100);
    } finally {
      done();
    }
  });

  it('counts as dropped, at exit, the lines a full non-blocking reader has no room for, rather than wait', () => {
    const { writeFd, done } = fullFifo();
    try {
      const output = new FdOutput(writeFd);
      for (let n = 0; n < 10; n += 1) output.write(lineOf(n, 100));
      output.flushSync();
      assert.equal(output.dropped, 10);
    } finally {
      done();
    }
  });
});
