import { lookup as getaddrinfo } from 'node:dns/promises';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';

/** Every address a host name has. */
export type LookupAll = (hostname: string) => Promise<readonly string[]>;

/** The system resolver (getaddrinfo): Docker's embedded DNS inside a container. */
export const lookupAll: LookupAll = async (hostname) => (await getaddrinfo(hostname, { all: true })).map((entry) => entry.address);

/**
 * How long one lookup's answer is used. Replicas come and go (a scale, a
 * rolling update) and service1 follows within this long, at the cost of one
 * lookup a second.
 */
export const REFRESH_MS = 1_000;

/** Where the rotation's addresses and time come from; tests give their own. */
export interface RotationSources {
  readonly lookup?: LookupAll;
  /** Milliseconds on a monotonic clock. */
  readonly now?: () => number;
}

/**
 * The addresses behind service2's name, taken in turn, so that calls spread
 * over every replica instead of sticking to the first connection made.
 * A name is looked up again once its last answer is REFRESH_MS old, or after
 * `forget()`; an IP address is used as it is.
 */
export class AddressRotation {
  readonly #hostname: string;
  readonly #lookup: LookupAll;
  readonly #now: () => number;
  readonly #fixed: boolean;
  #addresses: readonly string[];
  #resolvedAt = Number.NEGATIVE_INFINITY;
  #turn = 0;
  #resolving: Promise<void> | undefined;

  constructor(hostname: string, { lookup = lookupAll, now = () => performance.now() }: RotationSources = {}) {
    this.#hostname = hostname;
    this.#lookup = lookup;
    this.#now = now;
    this.#fixed = isIP(hostname) !== 0;
    this.#addresses = [hostname];
  }

  /** The next address in turn, after a new lookup if the last answer is stale. Rejects with the lookup's error, such as ENOTFOUND. */
  async next(): Promise<string> {
    if (!this.#fixed && this.#now() - this.#resolvedAt >= REFRESH_MS) await this.#refresh();
    // Never empty: it starts with the name itself, and a lookup that finds nothing throws.
    const address = this.#addresses[this.#turn % this.#addresses.length] as string;
    this.#turn += 1;
    return address;
  }

  /** Drops the last answer, so that the next address comes from a new lookup. */
  forget(): void {
    this.#resolvedAt = Number.NEGATIVE_INFINITY;
  }

  // Calls that find the answer stale at the same time share one lookup.
  #refresh(): Promise<void> {
    this.#resolving ??= this.#lookup(this.#hostname)
      .then((addresses) => {
        if (addresses.length === 0) throw Object.assign(new Error(`${this.#hostname} has no address`), { code: 'ENOTFOUND' });
        this.#addresses = addresses;
        this.#resolvedAt = this.#now();
      })
      .finally(() => {
        this.#resolving = undefined;
      });
    return this.#resolving;
  }
}
