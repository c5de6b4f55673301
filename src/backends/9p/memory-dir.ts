// The entries of one directory in memory, with readdir cookies that survive changes: each
// entry gets the next number of a per-directory counter when it is added, entries are kept
// in that order, and a listing continues after a cookie by binary search. An entry removed
// stays as a tombstone until tombstones outnumber the live entries (plus a little), so
// removing is O(1) amortised and a listing skips at most that many dead slots. A listing in
// progress sees every entry that stays, once; one added or removed meanwhile may or may not
// appear (readdir(3) allows the same).
import type { Ino } from "./ninep-fs.js";

interface Slot {
  name: string;
  ino: Ino;
  cookie: number;
  live: boolean;
}

/** Tombstones kept beyond the live count before the order array is rebuilt. */
const SLACK = 64;

export class DirEntries {
  private readonly byName = new Map<string, Slot>();
  private order: Slot[] = [];
  private nextCookie = 1;
  private dead = 0;

  get size(): number {
    return this.byName.size;
  }

  get(name: string): Ino | undefined {
    return this.byName.get(name)?.ino;
  }

  /** Adds `name` (the caller has checked it is free). */
  add(name: string, ino: Ino): void {
    const slot = { name, ino, cookie: this.nextCookie++, live: true };
    this.byName.set(name, slot);
    this.order.push(slot);
  }

  delete(name: string): void {
    const slot = this.byName.get(name);
    if (slot === undefined) return;
    slot.live = false;
    this.byName.delete(name);
    if (++this.dead > this.byName.size + SLACK) {
      this.order = this.order.filter((s) => s.live);
      this.dead = 0;
    }
  }

  /** Up to `max` live entries with a cookie after `cookie`, in order. */
  list(cookie: number, max: number): { name: string; ino: Ino; cookie: number }[] {
    const out: { name: string; ino: Ino; cookie: number }[] = [];
    for (let i = this.firstAfter(cookie); i < this.order.length && out.length < max; i++) {
      const s = this.order[i]!;
      if (s.live) out.push({ name: s.name, ino: s.ino, cookie: s.cookie });
    }
    return out;
  }

  /** Index of the first slot whose cookie is greater than `cookie`. */
  private firstAfter(cookie: number): number {
    let lo = 0;
    let hi = this.order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.order[mid]!.cookie <= cookie) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
