// The inodes of a memory filesystem: one table from number to inode, numbers handed out in
// order and never reused (a stale fid finds ENOENT, never another file), every inode charged
// to the budget while it lives. An inode lives while it has a name (nlink > 0) or is open.
import { entryCost, INODE_COST, type MemoryBudget } from "./memory-budget.js";
import { DirEntries } from "./memory-dir.js";
import { FileData } from "./memory-file-data.js";
import { EINVAL, EISDIR, ENOENT, ENOTDIR, FsError } from "./ninep-errno.js";
import type { FsAttr, FsOwner, Ino, Timespec } from "./ninep-fs.js";

interface InodeBase {
  ino: Ino;
  mode: number;
  uid: number;
  gid: number;
  nlink: number;
  opens: number;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
}

export interface DirInode extends InodeBase {
  kind: "dir";
  entries: DirEntries;
  /** The directory holding this one; the root holds itself. */
  parent: Ino;
}
export interface FileInode extends InodeBase {
  kind: "file";
  data: FileData;
}
export interface SymlinkInode extends InodeBase {
  kind: "symlink";
  target: string;
}
/** A FIFO or a socket: a name and attributes, no data. */
export interface SpecialInode extends InodeBase {
  kind: "special";
}
export type MemInode = DirInode | FileInode | SymlinkInode | SpecialInode;

export class InodeTable {
  private readonly inodes = new Map<Ino, MemInode>();
  private next = 1;

  constructor(readonly budget: MemoryBudget, private readonly clock: () => Timespec) {}

  now(): Timespec {
    return this.clock();
  }

  /** The common fields of a new inode (its number is given by `add`). */
  base(mode: number, owner: FsOwner, nlink: number): InodeBase {
    const t = this.now();
    return { ino: 0, mode, uid: owner.uid, gid: owner.gid, nlink, opens: 0, atime: t, mtime: t, ctime: t };
  }

  /** Numbers and keeps `inode`, charged INODE_COST and `extra` bytes (ENOSPC: nothing kept). */
  add<I extends MemInode>(inode: I, extra = 0): I {
    this.budget.charge(INODE_COST + extra, 1);
    inode.ino = this.next++;
    this.inodes.set(inode.ino, inode);
    return inode;
  }

  newFileData(): FileData {
    return new FileData(this.budget);
  }

  newDirEntries(): DirEntries {
    return new DirEntries();
  }

  /** The inode numbered `ino`: ENOENT once it is gone. */
  get(ino: Ino): MemInode {
    const inode = this.inodes.get(ino);
    if (inode === undefined) throw new FsError(ENOENT);
    return inode;
  }

  /** A directory: ENOENT, ENOTDIR. */
  dir(ino: Ino): DirInode {
    const inode = this.get(ino);
    if (inode.kind !== "dir") throw new FsError(ENOTDIR);
    return inode;
  }

  /** A regular file for I/O: EISDIR for a directory, EINVAL for anything else. */
  file(ino: Ino): FileInode {
    const inode = this.get(ino);
    if (inode.kind === "file") return inode;
    throw new FsError(inode.kind === "dir" ? EISDIR : EINVAL);
  }

  /** Frees `inode` if it has no name and is not open, giving back what it was charged. */
  collect(inode: MemInode): void {
    if (inode.nlink > 0 || inode.opens > 0 || !this.inodes.has(inode.ino)) return;
    this.inodes.delete(inode.ino);
    let extra = 0;
    if (inode.kind === "file") inode.data.free();
    if (inode.kind === "symlink") extra = 2 * inode.target.length;
    this.budget.credit(INODE_COST + extra, 1);
  }

  /** Takes `name` out of `dir` and the inode's link count down (a directory's to 0), collecting it. */
  unlinkEntry(dir: DirInode, name: string, victim: MemInode): void {
    dir.entries.delete(name);
    this.budget.credit(entryCost(name));
    if (victim.kind === "dir") {
      victim.nlink = 0;
      dir.nlink--;
    } else {
      victim.nlink--;
    }
    this.touch(victim, false);
    this.touch(dir, true);
    this.collect(victim);
  }

  /** Marks a change of `inode`'s attributes (ctime), and of its contents too (mtime) if `content`. */
  touch(inode: MemInode, content: boolean): void {
    const t = this.now();
    inode.ctime = t;
    if (content) inode.mtime = t;
  }
}

export function attrOf(inode: MemInode): FsAttr {
  let size = 0;
  let blocks = 0;
  if (inode.kind === "file") {
    size = inode.data.size;
    blocks = Math.ceil(inode.data.allocatedBytes / 512);
  } else if (inode.kind === "symlink") {
    size = new TextEncoder().encode(inode.target).length;
  }
  return {
    ino: inode.ino, mode: inode.mode, uid: inode.uid, gid: inode.gid, nlink: inode.nlink, rdev: 0, size, blocks,
    atime: inode.atime, mtime: inode.mtime, ctime: inode.ctime,
  };
}
