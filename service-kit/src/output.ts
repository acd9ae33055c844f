import { write, writeSync } from 'node:fs';

/** Where log lines go. */
export interface LineSink {
  /** Takes one whole line, its newline included. */
  write(line: string): void;
  /** Lines it has not written and never will, so far. */
  readonly dropped: number;
}

/** How an output batches its lines, and how far a slow reader may fall behind. */
export interface OutputLimits {
  /** A line waits at most this long to be written with those that follow it. */
  readonly flushMs: number;
  /** Bytes written at most at once: PIPE_BUF, so that each write reaches a pipe whole, never torn by another writer's. */
  readonly batchBytes: number;
  /** Bytes that may wait for a reader that does not keep up; lines beyond are dropped. */
  readonly maxPendingBytes: number;
}

/** The services' outputs (docs/logs.md says why these). */
export const OUTPUT_LIMITS: OutputLimits = { flushMs: 10, batchBytes: 4_096, maxPendingBytes: 1_048_576 };

/** A batch of whole lines: its text, its size in bytes, how many. */
interface Batch {
  text: string;
  bytes: number;
  lines: number;
}

/**
 * Writes lines to a file descriptor (stdout, stderr) in batches: the lines
 * of `flushMs`, or of `batchBytes`, whichever comes first, in one write(2).
 * Each write is made off the event loop (fs.write, in libuv's threads), one
 * at a time, so that a reader that stalls (a full pipe) never stalls the
 * service: lines wait for it up to `maxPendingBytes`, then are dropped and
 * counted. `flushSync` writes what waits as the process exits.
 */
export class FdOutput implements LineSink {
  readonly #fd: number;
  readonly #limits: OutputLimits;
  // Batches waiting, oldest first; the last one takes new lines until full.
  readonly #batches: Batch[] = [];
  #pendingBytes = 0;
  // The batch being written: what of it is left, and whether a thread is writing it now.
  #current: { batch: Batch; rest: Buffer; inThread: boolean } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #dropped = 0;

  constructor(fd: number, limits: OutputLimits = OUTPUT_LIMITS) {
    this.#fd = fd;
    this.#limits = limits;
  }

  get dropped(): number {
    return this.#dropped;
  }

  write(line: string): void {
    const bytes = Buffer.byteLength(line);
    if (this.#pendingBytes + bytes > this.#limits.maxPendingBytes) {
      this.#dropped += 1;
      return;
    }
    this.#pendingBytes += bytes;
    const last = this.#batches.at(-1);
    if (last !== undefined && last.bytes + bytes <= this.#limits.batchBytes) {
      last.text += line;
      last.bytes += bytes;
      last.lines += 1;
    } else {
      this.#batches.push({ text: line, bytes, lines: 1 });
    }
    // A full batch goes at once; else the lines wait a while for those that follow.
    if (this.#batches.length > 1 || bytes >= this.#limits.batchBytes) this.#next();
    else this.#timer ??= setTimeout(() => this.#next(), this.#limits.flushMs).unref();
  }

  /**
   * Writes every line that waits, now, for the process's last moments, when
   * no callback will come. A write in flight goes on in its thread; these
   * follow it, batch by batch. (A reader that takes nothing at all holds the
   * process as it exits, as it would any process that writes to it: Node
   * waits for that thread.)
   */
  flushSync(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const current = this.#current;
    // What is left of a batch the reader had no room for comes first: no thread is writing it.
    const rest = current === undefined || current.inThread ? [] : [{ buffer: current.rest, lines: current.batch.lines }];
    const waiting = this.#batches.splice(0).map((batch) => ({ buffer: Buffer.from(batch.text), lines: batch.lines }));
    for (const { buffer, lines } of [...rest, ...waiting]) if (!writeAllSync(this.#fd, buffer)) this.#dropped += lines;
  }

  // Writes the oldest batch, unless one is being written.
  #next(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#current !== undefined) return;
    const batch = this.#batches.shift();
    if (batch === undefined) return;
    this.#current = { batch, rest: Buffer.from(batch.text), inThread: false };
    this.#send();
  }

  #send(): void {
    const current = this.#current;
    if (current === undefined) return;
    current.inThread = true;
    write(this.#fd, current.rest, 0, current.rest.length, null, (error: NodeJS.ErrnoException | null, written) => {
      current.inThread = false;
      // A reader with no room yet for all of it (a non-blocking one: EAGAIN) gets the rest a moment later.
      if (error?.code === 'EAGAIN' || (error === null && written < current.rest.length)) {
        current.rest = current.rest.subarray(error === null ? written : 0);
        setTimeout(() => this.#send(), this.#limits.flushMs).unref();
        return;
      }
      // A reader that has gone (EPIPE) takes no more: the lines are lost, and counted.
      if (error !== null) this.#dropped += current.batch.lines;
      this.#pendingBytes -= current.batch.bytes;
      this.#current = undefined;
      // The reader kept up with this one: the next goes at once if full, else after the usual wait.
      if (this.#batches.length > 1) this.#next();
      else if (this.#batches.length === 1) this.#timer ??= setTimeout(() => this.#next(), this.#limits.flushMs).unref();
    });
  }
}

/** Writes all of `buffer` now; false when the reader has gone, or has no room (a non-blocking one). */
function writeAllSync(fd: number, buffer: Buffer): boolean {
  try {
    for (let written = 0; written < buffer.length; ) written += writeSync(fd, buffer, written);
    return true;
  } catch {
    return false;
  }
}
