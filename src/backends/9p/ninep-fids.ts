// The fids of one session (from Tversion to the next, or to reset()): a bounded table, and the
// count of those open for I/O, bounded too. The guest chooses fid numbers (any u32), so the
// table is a Map, and it never holds more than maxFids entries whatever the guest sends.
//
// With an asynchronous filesystem a request may finish after the fid it started from was
// clunked, or after the whole session was reset; `isCurrent` and `markOpen` let a handler see
// that, so an open that arrives late is released instead of leaked.
import type { Ino } from "./ninep-fs.js";

export interface Fid {
  ino: Ino;
  /** The attaching user (Tattach n_uname), inherited by walks: the owner of what it creates. */
  uid: number;
  /**
   * The directory and name this fid was reached by (for Trename and Tremove, which name a
   * file by its fid alone); undefined for a root fid and after a walk through "..".
   */
  parent: Ino | undefined;
  name: string | undefined;
  /** Undefined until Tlopen or Tlcreate. */
  open: { read: boolean; write: boolean } | undefined;
  /**
   * Names from the share's root joined by '/' ("" for the root), kept up to date through
   * walks, creates, renames and unlinks (ninep-paths.ts): what a saved state records, as
   * inode numbers mean nothing to another run. Undefined once unknown (the name was removed).
   */
  path: string | undefined;
  /** Restored from a saved state but no longer found: every use is ESTALE, clunk works. */
  stale: boolean;
}

export type AddResult = "added" | "in use" | "full" | "closed";

export class FidTable {
  private readonly fids = new Map<number, Fid>();
  private opens = 0;
  private ended = false;

  constructor(readonly maxFids: number, readonly maxOpen: number) {}

  get(fid: number): Fid | undefined {
    return this.fids.get(fid);
  }

  /** Adds `entry` as `fid` unless the number is taken, the table is full or the session ended. */
  add(fid: number, entry: Fid): AddResult {
    if (this.ended) return "closed";
    if (this.fids.has(fid)) return "in use";
    if (this.fids.size >= this.maxFids) return "full";
    this.fids.set(fid, entry);
    if (entry.open !== undefined) this.opens++;
    return "added";
  }

  /** Takes `fid` out of the table; the caller releases it if it was open. */
  remove(fid: number): Fid | undefined {
    const entry = this.fids.get(fid);
    if (entry === undefined) return undefined;
    this.fids.delete(fid);
    if (entry.open !== undefined) this.opens--;
    return entry;
  }

  /** True while `entry` is still what `fid` names in a live session. */
  isCurrent(fid: number, entry: Fid): boolean {
    return !this.ended && this.fids.get(fid) === entry;
  }

  /** True when one more fid may be opened. */
  get canOpen(): boolean {
    return this.opens < this.maxOpen;
  }

  /**
   * Marks `entry` (named `fid`) open: "gone" if it is no longer current or already open,
   * "full" at maxOpen (other opens may have finished first). Unless "opened", the caller
   * releases what it opened.
   */
  markOpen(fid: number, entry: Fid, mode: { read: boolean; write: boolean }): "opened" | "gone" | "full" {
    if (!this.isCurrent(fid, entry) || entry.open !== undefined) return "gone";
    if (this.opens >= this.maxOpen) return "full";
    entry.open = mode;
    this.opens++;
    return "opened";
  }

  /** Ends the session: empties the table and returns the entries that were open. */
  end(): Fid[] {
    this.ended = true;
    const open = [...this.fids.values()].filter((f) => f.open !== undefined);
    this.fids.clear();
    this.opens = 0;
    return open;
  }

  /** Every fid and its number, in the order they were added. */
  entries(): IterableIterator<[number, Fid]> {
    return this.fids.entries();
  }

  get size(): number {
    return this.fids.size;
  }

  get openCount(): number {
    return this.opens;
  }
}
