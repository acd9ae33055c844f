import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';

/** Every address a host name has. */
export type LookupAll = (hostname: string) => Promise<readonly string[]>;

/** The system resolver (getaddrinfo): Docker's embedded DNS inside a container. */
export const lookupAll: LookupAll = async (hostname) => (await lookup(hostname, { all: true })).map((entry) => entry.address);

/**
 * How long one lookup's answer is used. Replicas come and go (a scale, a
 * rolling update) and service1 follows within this long, at the cost of one
 * lookup a second.
 */
export const REFRESH_MS = 1_000;

/**
 * The addresses behind service2's name, taken in turn, so that calls spread
 * over every replica instead of sticking to the first connection made.
 * A name is looked up again once its last answer is older than REFRESH_MS, or
 * after `forget()`; an IP address is used as it is.
 */
export class AddressRotation {
  readonly #hostname: string;
  readonly #lookup: LookupAll;
  readonly #fixed: boolean;
  #addresses: readonly string[];
  #resolvedAt = Number.NEGATIVE_INFINITY;
  #turn = 0;
  #resolving: Promise<void> | undefined;

  constructor(hostname: string, lookupAllOf: LookupAll = lookupAll) {
    this.#hostname = hostname;
    this.#lookup = lookupAllOf;
    this.#fixed = isIP(hostname) !== 0;
    this.#addresses = this.#fixed ? [hostname] : [];
  }

  /**
   * The next address in turn: at once while the last answer is fresh (the
   * common case, kept free of promises), else once a new lookup has answered.
   * Rejects with the lookup's error, such as ENOTFOUND.
   */
  next(): string | Promise<string> {
    if (this.#fixed || (this.#addresses.length > 0 && performance.now() - this.#resolvedAt < REFRESH_MS)) return this.#take();
    return this.#refresh().then(() => this.#take());
  }

  /** Drops the last answer, so that the next address comes from a new lookup. */
  forget(): void {
    this.#resolvedAt = Number.NEGATIVE_INFINITY;
  }

  #take(): string {
    const address = this.#addresses[this.#turn % this.#addresses.length];
    this.#turn = (this.#turn + 1) % 1_000_000;
    if (address === undefined) throw new Error(`no address for ${this.#hostname}`);
    return address;
  }

  // Calls that find the answer stale at the same time share one lookup.
  #refresh(): Promise<void> {
    this.#resolving ??= this.#lookup(this.#hostname)
      .then(
        (addresses) => {
          if (addresses.length === 0) throw Object.assign(new Error(`${this.#hostname} has no address`), { code: 'ENOTFOUND' });
          this.#addresses = addresses;
          this.#resolvedAt = performance.now();
        },
        (error: unknown) => {
          // A name that has gone (service2 stopped) must fail the next calls
          // too, not send them to an address that no longer answers.
          this.#addresses = [];
          throw error;
        },
      )
      .finally(() => {
        this.#resolving = undefined;
      });
    return this.#resolving;
  }
}
