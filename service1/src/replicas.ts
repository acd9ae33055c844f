// Which replicas service2 has, and which one the next call goes to.
//
// A replica is a container, known by one address. service2's name is looked
// up at most once a REFRESH_MS; where it has addresses of both families (a
// dual-stack network gives each container an IPv4 and an IPv6 address), only
// those of the family the resolver lists first are replicas: the family the
// system's address selection prefers (getaddrinfo's RFC 6724 order), the one
// Node's autoSelectFamily and curl try first. Calls take the replicas in
// turn, but for one set aside (it refused, was unreachable or stayed silent)
// while another remains. An IP address in the URL is the one replica.
import { lookup as getaddrinfo } from 'node:dns/promises';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';

/** Every address a host name has, in the resolver's order. */
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
 * How long a replica that did not take a connection, or did not answer, is
 * left out while others remain: DNS lists a replica whose node is gone for
 * seconds after (docs/swarm.md), and each call sent there would wait for it first.
 */
export const SET_ASIDE_MS = 5_000;

/** The addresses of one family among `addresses`: that of the first. */
export function oneFamily(addresses: readonly string[]): string[] {
  const family = isIP(addresses[0] ?? '');
  return addresses.filter((address) => isIP(address) === family);
}

/** The replicas behind a host name, and whose turn it is. */
export class Replicas {
  readonly #hostname: string;
  readonly #lookup: LookupAll;
  readonly #now: () => number;
  readonly #fixed: boolean;
  #addresses: readonly string[];
  #lookedUpAt = Number.NEGATIVE_INFINITY;
  #turn = 0;
  #lookingUp: Promise<void> | undefined;
  // Replicas set aside, and until when (on the #now clock).
  readonly #asideUntil = new Map<string, number>();

  /** `lookup` and `now` (milliseconds, monotonic) are the system's resolver and clock unless given. */
  constructor(hostname: string, lookup: LookupAll = lookupAll, now: () => number = () => performance.now()) {
    this.#hostname = hostname;
    this.#lookup = lookup;
    this.#now = now;
    this.#fixed = isIP(hostname) !== 0;
    this.#addresses = [hostname];
  }

  /**
   * The next replica in turn, after a new lookup if the last answer is
   * REFRESH_MS old: one not set aside, or, when every one is, the next all
   * the same (a name with one address is called rather than not at all).
   * Rejects with the lookup's error, such as ENOTFOUND.
   */
  async next(): Promise<string> {
    return (await this.nextNotAside()) ?? this.#take(0);
  }

  /** The next replica in turn that is not set aside, after a new lookup if due; undefined when every one is. */
  async nextNotAside(): Promise<string | undefined> {
    if (!this.#fixed && this.#now() - this.#lookedUpAt >= REFRESH_MS) await this.#lookUp();
    for (let skip = 0; skip < this.#addresses.length; skip += 1) {
      if (!this.#isAside(this.#inTurn(skip))) return this.#take(skip);
    }
    return undefined;
  }

  /** Leaves `address` out for SET_ASIDE_MS, and has the next call look the name up again. */
  setAside(address: string): void {
    const now = this.#now();
    for (const [aside, until] of this.#asideUntil) if (until <= now) this.#asideUntil.delete(aside);
    this.#asideUntil.set(address, now + SET_ASIDE_MS);
    this.#lookedUpAt = Number.NEGATIVE_INFINITY;
  }

  /** Whether a replica other than `address` could take a call now. */
  hasAlternativeTo(address: string): boolean {
    return this.#addresses.some((other) => other !== address && !this.#isAside(other));
  }

  #inTurn(skip: number): string {
    return this.#addresses[(this.#turn + skip) % this.#addresses.length] as string;
  }

  // The address `skip` places after the one whose turn it is; the turn moves past it.
  #take(skip: number): string {
    const address = this.#inTurn(skip);
    this.#turn += skip + 1;
    return address;
  }

  #isAside(address: string): boolean {
    return (this.#asideUntil.get(address) ?? Number.NEGATIVE_INFINITY) > this.#now();
  }

  // Calls that find the answer stale at the same time share one lookup.
  #lookUp(): Promise<void> {
    this.#lookingUp ??= this.#lookup(this.#hostname)
      .then((addresses) => {
        if (addresses.length === 0) throw Object.assign(new Error(`${this.#hostname} has no address`), { code: 'ENOTFOUND' });
        this.#addresses = oneFamily(addresses);
        this.#lookedUpAt = this.#now();
      })
      .finally(() => {
        this.#lookingUp = undefined;
      });
    return this.#lookingUp;
  }
}
