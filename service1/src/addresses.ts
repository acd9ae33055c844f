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

/**
 * How long an address that did not take a connection, or did not answer, is
 * left out of the turns while others remain: DNS lists a replica whose node
 * is gone for seconds after (docs/swarm.md), and each call sent there would
 * wait for it first.
 */
export const SET_ASIDE_MS = 5_000;

/** Where the rotation's addresses and time come from; tests give their own. */
export interface RotationSources {
  readonly lookup?: LookupAll;
  /** Milliseconds on a monotonic clock. */
  readonly now?: () => number;
}

/**
 * The addresses behind service2's name, taken in turn, so that calls spread
 * over every replica instead of sticking to the first connection made, but
 * for those set aside. A name is looked up again once its last answer is
 * REFRESH_MS old, or after `forget()`; an IP address is used as it is.
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
  // Addresses set aside, and until when.
  readonly #aside = new Map<string, number>();

  constructor(hostname: string, { lookup = lookupAll, now = () => performance.now() }: RotationSources = {}) {
    this.#hostname = hostname;
    this.#lookup = lookup;
    this.#now = now;
    this.#fixed = isIP(hostname) !== 0;
    this.#addresses = [hostname];
  }

  /**
   * The next address in turn that is not set aside (or the next in turn, if
   * every one is), after a new lookup if the last answer is stale. Rejects
   * with the lookup's error, such as ENOTFOUND.
   */
  async next(): Promise<string> {
    if (!this.#fixed && this.#now() - this.#resolvedAt >= REFRESH_MS) await this.#refresh();
    // Never empty: it starts with the name itself, and a lookup that finds nothing throws.
    const count = this.#addresses.length;
    let skip = 0;
    while (skip < count && this.#isAside(this.#addresses[(this.#turn + skip) % count] as string)) skip += 1;
    // Every one set aside: the next in turn all the same.
    if (skip === count) skip = 0;
    const address = this.#addresses[(this.#turn + skip) % count] as string;
    this.#turn += skip + 1;
    return address;
  }

  /** Leaves `address` out of the turns for SET_ASIDE_MS, while others remain. */
  setAside(address: string): void {
    const now = this.#now();
    for (const [aside, until] of this.#aside) if (until <= now) this.#aside.delete(aside);
    this.#aside.set(address, now + SET_ASIDE_MS);
  }

  /** Whether an address other than `address` is in the turns now. */
  hasOther(address: string): boolean {
    return this.#addresses.some((other) => other !== address && !this.#isAside(other));
  }

  /** Drops the last answer, so that the next address comes from a new lookup. */
  forget(): void {
    this.#resolvedAt = Number.NEGATIVE_INFINITY;
  }

  #isAside(address: string): boolean {
    return (this.#aside.get(address) ?? Number.NEGATIVE_INFINITY) > this.#now();
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
