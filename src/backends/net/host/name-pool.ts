// Addresses for names the host network cannot resolve itself. With a dialer that resolves
// names on its own (a wisp server, the browser's fetch(), the host's resolver), DNS answers
// any name with an address from 198.18.0.0/15 (RFC 2544's benchmarking block: never routed
// on the internet, so it collides with nothing the guest could reach) and a connection to
// that address is dialed by the name. The pool is bounded: once full, the name asked for
// longest ago gives its address to the new one (a guest that keeps a connection across
// thousands of lookups of other names would then see its address change meaning).
import { formatIpv4, parseIpv4 } from "./addresses.js";

const POOL_BASE = parseIpv4("198.18.0.1");
/** Names kept at once; each costs a map entry both ways. */
export const NAME_POOL_SIZE = 4096;
/** RFC 1035: a name is at most 255 bytes on the wire. */
const MAX_NAME_LENGTH = 253;

export class NamePool {
  private readonly byName = new Map<string, number>();
  private readonly byAddress = new Map<number, string>();
  private next = 0;

  constructor(private readonly size = NAME_POOL_SIZE) {}

  /** The pool address for `name` (lower case, no trailing dot), allocating one if needed. */
  addressFor(name: string): number | undefined {
    if (name === "" || name.length > MAX_NAME_LENGTH) return undefined;
    const known = this.byName.get(name);
    if (known !== undefined) {
      // Asked again: it moves to the back of the eviction order.
      this.byName.delete(name);
      this.byName.set(name, known);
      return known;
    }
    let address: number;
    if (this.byName.size < this.size) address = (POOL_BASE + this.next++) >>> 0;
    else {
      const [oldest, reused] = this.byName.entries().next().value as [string, number];
      this.byName.delete(oldest);
      address = reused;
    }
    this.byName.set(name, address);
    this.byAddress.set(address, name);
    return address;
  }

  /** The name an address was handed out for, if it is one of the pool's. */
  nameFor(address: number): string | undefined {
    return this.byAddress.get(address);
  }

  /** Whether `address` lies in the pool's block (dialed without a lookup, or forgotten). */
  contains(address: number): boolean {
    return address >= POOL_BASE && address < POOL_BASE + this.size;
  }

  /** For the inspector and tests. */
  entries(): { name: string; address: string }[] {
    return [...this.byName].map(([name, address]) => ({ name, address: formatIpv4(address) }));
  }
}
