// The whole NinepFs in memory: for tests, and for a scratch share that lives as long as the
// page. Bounded (memory-budget.ts): at most maxInodes inodes and maxBytes bytes of data and
// metadata, ENOSPC past them, so a guest cannot fill the host. Sparse files of any size below
// 2^53 bytes (memory-file-data.ts). No permission checks: the guest's kernel makes them from
// the modes and owners it reads back (as with QEMU's mapped security models).
//
// Each operation checks before it changes anything, in the order its comment gives; the
// fuzz suite's model (tests/support/ninep-model.ts) expects exactly these errnos.
import { entryCost, MemoryBudget } from "./memory-budget.js";
import { attrOf, InodeTable, type DirInode, type MemInode } from "./memory-inodes.js";
import { renameEntry } from "./memory-rename.js";
import { EEXIST, EFBIG, EINVAL, EISDIR, ELOOP, EMLINK, ENOENT, ENOTDIR, ENOTEMPTY, ENXIO, EPERM, FsError } from "./ninep-errno.js";
import type { FsAttr, FsDirEntry, FsOpenFlags, FsOwner, FsSetAttr, FsStat, Ino, NinepFs, Timespec } from "./ninep-fs.js";
import { NAME_MAX, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK } from "./ninep-spec.js";

export const MEMORY_FS_MAX_BYTES = 64 * 1024 * 1024;
export const MEMORY_FS_MAX_INODES = 16384;
/** The largest file: offsets stay exact numbers. */
export const MAX_FILE_SIZE = Number.MAX_SAFE_INTEGER;
/** Hard links to one file, as ext4. */
export const MAX_LINKS = 65000;

export interface MemoryFsOptions {
  maxBytes?: number;
  maxInodes?: number;
  /** Milliseconds since 1970 (Date.now by default), for timestamps. */
  now?: () => number;
}

export class MemoryFs implements NinepFs {
  readonly root: Ino;
  private readonly table: InodeTable;

  constructor(options: MemoryFsOptions = {}) {
    const now = options.now ?? Date.now;
    const budget = new MemoryBudget(options.maxBytes ?? MEMORY_FS_MAX_BYTES, options.maxInodes ?? MEMORY_FS_MAX_INODES);
    this.table = new InodeTable(budget, () => timespec(now()));
    const root: DirInode = { ...this.table.base(S_IFDIR | 0o755, { uid: 0, gid: 0 }, 2), kind: "dir", entries: this.table.newDirEntries(), parent: 0 };
    this.root = this.table.add(root).ino;
    root.parent = root.ino;
  }

  /** ENOENT (no dir), ENOTDIR, ENOENT (no such name). */
  lookup(dir: Ino, name: string): FsAttr {
    const ino = this.table.dir(dir).entries.get(name);
    if (ino === undefined) throw new FsError(ENOENT);
    return attrOf(this.table.get(ino));
  }

  /** ENOENT, ENOTDIR, ENOENT for a removed directory. */
  parent(dir: Ino): FsAttr {
    const d = this.table.dir(dir);
    if (d.nlink === 0) throw new FsError(ENOENT);
    return attrOf(this.table.get(d.parent));
  }

  getattr(ino: Ino): FsAttr {
    return attrOf(this.table.get(ino));
  }

  /** ENOENT; with a size: EISDIR (directory), EINVAL (not a regular file), EFBIG. Then all fields at once. */
  setattr(ino: Ino, ch: FsSetAttr): FsAttr {
    const inode = this.table.get(ino);
    if (ch.size !== undefined) {
      const file = this.table.file(ino);
      if (ch.size > MAX_FILE_SIZE) throw new FsError(EFBIG);
      if (ch.size !== file.data.size) {
        file.data.truncate(ch.size);
        this.table.touch(file, true);
      }
    }
    if (ch.mode !== undefined) inode.mode = (inode.mode & S_IFMT) | ch.mode;
    if (ch.uid !== undefined) inode.uid = ch.uid;
    if (ch.gid !== undefined) inode.gid = ch.gid;
    if (ch.atime !== undefined) inode.atime = ch.atime === "now" ? this.table.now() : ch.atime;
    if (ch.mtime !== undefined) inode.mtime = ch.mtime === "now" ? this.table.now() : ch.mtime;
    this.table.touch(inode, false);
    return attrOf(inode);
  }

  /** ENOENT, ELOOP (symlink), ENXIO (FIFO, socket), EISDIR (directory opened to write). */
  open(ino: Ino, flags: FsOpenFlags): FsAttr {
    const inode = this.table.get(ino);
    if (inode.kind === "symlink") throw new FsError(ELOOP);
    if (inode.kind === "special") throw new FsError(ENXIO);
    if (inode.kind === "dir" && flags.write) throw new FsError(EISDIR);
    if (inode.kind === "file" && flags.truncate && inode.data.size > 0) {
      inode.data.truncate(0);
      this.table.touch(inode, true);
    }
    inode.opens++;
    return attrOf(inode);
  }

  release(ino: Ino): void {
    let inode: MemInode;
    try {
      inode = this.table.get(ino);
    } catch {
      return;
    }
    if (inode.opens > 0) inode.opens--;
    this.table.collect(inode);
  }

  /** ENOENT, EISDIR, EINVAL (not a regular file). */
  read(ino: Ino, offset: number, count: number): Uint8Array {
    return this.table.file(ino).data.read(offset, count);
  }

  /** read() straight into the caller's buffer (the server's reply): ENOENT, EISDIR, EINVAL. */
  readInto(ino: Ino, offset: number, target: Uint8Array): number {
    return this.table.file(ino).data.readInto(offset, target);
  }

  /** ENOENT, EISDIR, EINVAL, EFBIG (past MAX_FILE_SIZE), ENOSPC (nothing written). */
  write(ino: Ino, offset: number, data: Uint8Array): number {
    const file = this.table.file(ino);
    if (offset + data.length > MAX_FILE_SIZE) throw new FsError(EFBIG);
    file.data.write(offset, data);
    this.table.touch(file, true);
    return data.length;
  }

  create(dir: Ino, name: string, mode: number, owner: FsOwner): FsAttr {
    return this.newEntry(dir, name, () =>
      this.table.add({ ...this.table.base(S_IFREG | mode, owner, 1), kind: "file", data: this.table.newFileData() }, entryCost(name)));
  }

  mkdir(dir: Ino, name: string, mode: number, owner: FsOwner): FsAttr {
    return this.newEntry(dir, name, (d) => {
      const made: DirInode = { ...this.table.base(S_IFDIR | mode, owner, 2), kind: "dir", entries: this.table.newDirEntries(), parent: d.ino };
      this.table.add(made, entryCost(name));
      d.nlink++;
      return made;
    });
  }

  symlink(dir: Ino, name: string, target: string, owner: FsOwner): FsAttr {
    return this.newEntry(dir, name, () =>
      this.table.add({ ...this.table.base(S_IFLNK | 0o777, owner, 1), kind: "symlink", target }, entryCost(name) + 2 * target.length));
  }

  /** A FIFO or a socket; EINVAL for any other type. */
  mknod(dir: Ino, name: string, mode: number, owner: FsOwner): FsAttr {
    const type = mode & S_IFMT;
    if (type !== S_IFIFO && type !== S_IFSOCK) throw new FsError(EINVAL);
    return this.newEntry(dir, name, () => this.table.add({ ...this.table.base(mode, owner, 1), kind: "special" }, entryCost(name)));
  }

  /** dir: ENOENT, ENOTDIR, ENOENT (removed); EEXIST; target: ENOENT, EPERM (directory), ENOENT (no names left), EMLINK; ENOSPC. */
  link(dir: Ino, name: string, target: Ino): void {
    const d = this.liveDir(dir);
    if (d.entries.get(name) !== undefined) throw new FsError(EEXIST);
    const t = this.table.get(target);
    if (t.kind === "dir") throw new FsError(EPERM);
    if (t.nlink === 0) throw new FsError(ENOENT);
    if (t.nlink >= MAX_LINKS) throw new FsError(EMLINK);
    this.table.budget.charge(entryCost(name));
    d.entries.add(name, t.ino);
    t.nlink++;
    this.table.touch(t, false);
    this.table.touch(d, true);
  }

  rename(oldDir: Ino, oldName: string, newDir: Ino, newName: string): void {
    renameEntry(this.table, oldDir, oldName, newDir, newName);
  }

  /** ENOENT, ENOTDIR (dir); ENOENT (name); ENOTDIR / EISDIR (kind against removeDir); ENOTEMPTY. */
  unlink(dir: Ino, name: string, removeDir: boolean): void {
    const d = this.table.dir(dir);
    const ino = d.entries.get(name);
    if (ino === undefined) throw new FsError(ENOENT);
    const victim = this.table.get(ino);
    if (removeDir && victim.kind !== "dir") throw new FsError(ENOTDIR);
    if (!removeDir && victim.kind === "dir") throw new FsError(EISDIR);
    if (victim.kind === "dir" && victim.entries.size > 0) throw new FsError(ENOTEMPTY);
    this.table.unlinkEntry(d, name, victim);
  }

  /** ENOENT, ENOTDIR; a removed directory has no entries. */
  readdir(dir: Ino, cookie: number, max: number): FsDirEntry[] {
    const d = this.table.dir(dir);
    return d.entries.list(cookie, max).map((e) => ({ name: e.name, ino: e.ino, cookie: e.cookie, mode: this.table.get(e.ino).mode }));
  }

  /** ENOENT, EINVAL (not a symlink). */
  readlink(ino: Ino): string {
    const inode = this.table.get(ino);
    if (inode.kind !== "symlink") throw new FsError(EINVAL);
    return inode.target;
  }

  statfs(): FsStat {
    const b = this.table.budget;
    const free = Math.max(0, Math.floor((b.maxBytes - b.usedBytes) / BLOCK));
    return {
      bsize: BLOCK, blocks: Math.floor(b.maxBytes / BLOCK), bfree: free, bavail: free,
      files: b.maxInodes, ffree: b.maxInodes - b.inodes, fsid: FSID, namelen: NAME_MAX,
    };
  }

  fsync(ino: Ino): void {
    this.table.get(ino);
  }

  /** Bytes and inodes in use, for tests and figures. */
  usage(): { bytes: number; inodes: number } {
    return { bytes: this.table.budget.usedBytes, inodes: this.table.budget.inodes };
  }

  /** A directory that can take a new entry: ENOENT, ENOTDIR, ENOENT once removed. */
  private liveDir(dir: Ino): DirInode {
    const d = this.table.dir(dir);
    if (d.nlink === 0) throw new FsError(ENOENT);
    return d;
  }

  /** Checks dir and name (ENOENT, ENOTDIR, ENOENT, EEXIST), makes the inode (ENOSPC), names it. */
  private newEntry(dir: Ino, name: string, make: (d: DirInode) => MemInode): FsAttr {
    const d = this.liveDir(dir);
    if (d.entries.get(name) !== undefined) throw new FsError(EEXIST);
    const inode = make(d);
    d.entries.add(name, inode.ino);
    this.table.touch(d, true);
    return attrOf(inode);
  }
}

const BLOCK = 4096;
/** statfs f_fsid: "ring". */
const FSID = 0x72696e67;

function timespec(ms: number): Timespec {
  const sec = Math.floor(ms / 1000);
  return { sec, nsec: Math.floor((ms - sec * 1000) * 1e6) };
}
