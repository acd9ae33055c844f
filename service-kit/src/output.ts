import { write, writeSync } from 'node:fs';

/** Where log lines go. */
export interface LineSink {
  /** Takes one whole line, its newline included. */
  write(line: string): void;
  /** Lines it has not written and never will, so far. */
  readonly dropped: number;
}

/** How an output batches its lines, and how far a slow reader may fall behind, in characters (bytes, for ASCII lines). */
export interface OutputLimits {
  /** A line waits at most this long to be written with those that follow it. */
  readonly flushMs: number;
  /** Lines are written as soon as this much waits, whatever the time. */
  readonly batchChars: number;
  /** What may wait for a reader that does not keep up; lines beyond are dropped. */
  readonly maxPendingChars: number;
}

/** The services' outputs (docs/performance.md says why these). */
export const OUTPUT_LIMITS: OutputLimits = { flushMs: 100, batchChars: 65_536, maxPendingChars: 1_048_576 };

/**
 * Writes lines to a file descriptor (stdout, stderr) in batches: the lines
 * of `flushMs`, or of `batchChars`, whichever comes first, in one write(2).
 * Each write is made off the event loop (fs.write, in libuv's threads), one
 * at a time, so that a reader that stalls (a full pipe) never stalls the
 * service: lines wait for it up to `maxPendingChars`, then are dropped and
 * counted. `flushSync` writes what waits as the process exits.
 */
export class FdOutput implements LineSink {
  readonly #fd: number;
  readonly #limits: OutputLimits;
  // Lines waiting, and how many.
  #pending = '';
  #pendingLines = 0;
  // The batch being written: what of it is left, how many lines it holds, whether a thread is writing it now.
  #current: { rest: Buffer; lines: number; inThread: boolean } | undefined;
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
    if (this.#pending.length + line.length > this.#limits.maxPendingChars) {
      this.#dropped += 1;
      return;
    }
    this.#pending += line;
    this.#pendingLines += 1;
    this.#schedule();
  }

  /**
   * Writes every line that waits, now, for the process's last moments, when
   * no callback will come. A write in flight goes on in its thread; these
   * follow it. (A reader that takes nothing at all holds the process as it
   * exits, as it would any process that writes to it: Node waits for that
   * thread.)
   */
  flushSync(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const current = this.#current;
    // What is left of a batch the reader had no room for comes first: no thread is writing it.
    if (current !== undefined && !current.inThread && !writeAllSync(this.#fd, current.rest)) this.#dropped += current.lines;
    if (this.#pending !== '' && !writeAllSync(this.#fd, Buffer.from(this.#pending))) this.#dropped += this.#pendingLines;
    this.#pending = '';
    this.#pendingLines = 0;
  }

  // Writes what waits, unless a write is under way: then it goes once that one is done.
  #next(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#current !== undefined || this.#pending === '') return;
    this.#current = { rest: Buffer.from(this.#pending), lines: this.#pendingLines, inThread: false };
    this.#pending = '';
    this.#pendingLines = 0;
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
      if (error !== null) this.#dropped += current.lines;
      this.#current = undefined;
      this.#schedule();
    });
  }

  // What waits goes at once if it is a batch already, else after at most flushMs.
  #schedule(): void {
    if (this.#pending.length >= this.#limits.batchChars) this.#next();
    else if (this.#pending !== '') this.#timer ??= setTimeout(() => this.#next(), this.#limits.flushMs).unref();
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
