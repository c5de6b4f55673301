// Directory listings for Treaddir. A host directory has no cookie Node can seek to (no
// telldir/seekdir), so a listing is read once, when the guest starts at cookie 0, and kept
// per directory inode: entry i has cookie i + 1, and later requests page through the kept
// names, a bounded number each (the caller lstats each name it hands out). So `ls` of a
// 100,000-entry folder reads the folder once, not once per Treaddir. Bounds:
//   - a listing holds at most MAX_LISTING names, read with a bounded opendir loop (the rest
//     of a larger folder is not shown);
//   - at most MAX_LISTINGS directories are kept (least recently used goes); a request that
//     continues a listing no longer kept (or one from before a restore) reads it again, and
//     entries may then shift, which the NinepFs contract allows for a changed folder only;
//   - a fresh start reuses the kept listing only while the folder's mtime is unchanged and
//     at least STABLE_NS old, since a change within the same clock tick keeps the mtime; the
//     share's own changes drop the directory's listing (`forget`).
import { opendirSync, statSync } from "node:fs";
import type { FsAttr, FsDirEntry, Ino } from "../backends/9p/ninep-fs.js";

export const MAX_LISTING = 262_144;
export const MAX_LISTINGS = 32;
const STABLE_NS = 2_000_000_000n;

interface Listing {
  names: string[];
  mtimeNs: bigint;
  key: string;
}

export class HostListings {
  private readonly byDir = new Map<Ino, Listing>();

  /** The names of directory `dir` (host path `path`, identity `key`) for a request at `cookie`. */
  names(dir: Ino, path: string, key: string, cookie: number): readonly string[] {
    const kept = this.byDir.get(dir);
    let listing = kept !== undefined && kept.key === key ? kept : undefined;
    if (cookie === 0 && listing !== undefined && !this.unchanged(listing, path)) listing = undefined;
    if (listing === undefined) listing = read(path, key);
    // Most recently used last, so the first key is the one to drop.
    this.byDir.delete(dir);
    this.byDir.set(dir, listing);
    if (this.byDir.size > MAX_LISTINGS) this.byDir.delete(this.byDir.keys().next().value as Ino);
    return listing.names;
  }

  /** The share changed `dir`'s entries: its next listing is read afresh. */
  forget(dir: Ino): void {
    this.byDir.delete(dir);
  }

  private unchanged(listing: Listing, path: string): boolean {
    const mtimeNs = statSync(path, { bigint: true }).mtimeNs;
    return mtimeNs === listing.mtimeNs && BigInt(Date.now()) * 1_000_000n - mtimeNs >= STABLE_NS;
  }
}

/**
 * At most `page` entries of `names` after `cookie`; `stat` gives a name's attributes, or
 * undefined for one gone since the listing was read, which is skipped. Past `page` names it
 * goes on only while nothing was found, since an empty answer means the end of the folder.
 */
export function listingPage(names: readonly string[], cookie: number, page: number, stat: (name: string) => FsAttr | undefined): FsDirEntry[] {
  const out: FsDirEntry[] = [];
  for (let i = cookie; i < names.length && out.length < page; i++) {
    if (i - cookie >= page && out.length > 0) break;
    const attr = stat(names[i]!);
    if (attr !== undefined) out.push({ name: names[i]!, ino: attr.ino, mode: attr.mode, cookie: i + 1 });
  }
  return out;
}

function read(path: string, key: string): Listing {
  // The mtime is taken first: a change made while reading shows as a newer mtime next time.
  const mtimeNs = statSync(path, { bigint: true }).mtimeNs;
  const names: string[] = [];
  const dir = opendirSync(path, { bufferSize: 256 });
  try {
    for (let entry = dir.readSync(); entry !== null && names.length < MAX_LISTING; entry = dir.readSync()) names.push(entry.name);
  } finally {
    dir.closeSync();
  }
  return { names, mtimeNs, key };
}
