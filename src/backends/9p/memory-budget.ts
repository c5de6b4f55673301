// What a memory filesystem may hold, so a guest cannot fill the host: a number of inodes and
// a number of bytes, charged for file data as it is allocated and for metadata (each inode,
// each directory entry with its name, each symlink target) at a fixed estimate. Charging is
// all or nothing: ENOSPC before anything changes.
import { ENOSPC, FsError } from "./ninep-errno.js";

/** Bytes charged per inode: an estimate of its object, times and maps in a JS heap. */
export const INODE_COST = 256;
/** Bytes charged per directory entry, besides its name (two bytes a UTF-16 unit). */
export const ENTRY_COST = 64;

export function entryCost(name: string): number {
  return ENTRY_COST + 2 * name.length;
}

export class MemoryBudget {
  private bytes = 0;
  private inodeCount = 0;

  constructor(readonly maxBytes: number, readonly maxInodes: number) {}

  /** Charges `n` bytes (and `inodes` inodes), or throws ENOSPC and charges nothing. */
  charge(n: number, inodes = 0): void {
    if (this.bytes + n > this.maxBytes || this.inodeCount + inodes > this.maxInodes) throw new FsError(ENOSPC);
    this.bytes += n;
    this.inodeCount += inodes;
  }

  /** Gives back what `charge` took. */
  credit(n: number, inodes = 0): void {
    this.bytes -= n;
    this.inodeCount -= inodes;
  }

  get usedBytes(): number {
    return this.bytes;
  }

  get inodes(): number {
    return this.inodeCount;
  }
}
