// A host directory as a NinepFs, for the CLI's shares (--share DIR, --device virtio-9p,dir=).
// Synchronous on purpose: node:fs's *Sync calls let the server answer without a microtask,
// and each call is bounded (a read or write by msize, a listing page by LISTING_PAGE names).
//
// Confinement (host-dir-paths.ts): the guest names files by our inode numbers and single
// names; every use walks down from the root's descriptor with O_NOFOLLOW, checking each
// directory's (dev, ino), and never follows a symlink on the host: a symlink is data whose
// text readlink returns (the guest's kernel resolves it, inside the guest). A symlink the
// host placed in the share therefore leads nowhere, and a directory the host swapped for a
// symlink after the guest looked it up is ENOENT. What cannot be told: a hard link the host
// made to a file outside the share is that file (as with any bind mount); and a file the
// guest holds open stays reachable through its descriptor wherever the host moves it. A
// guest's own hard links (Tlink) only ever name inodes it reached inside the share.
//
// Owners and permissions are the host's: files are created as the user running ringside
// (chown needs the host's privileges), modes are set exactly as asked (the host's umask is
// undone), and the host's kernel checks access as that user. FIFOs and sockets cannot be made
// (Node has no mknod): EOPNOTSUPP.
import {
  closeSync, constants, fchmodSync, fdatasyncSync, fstatSync, fsyncSync, ftruncateSync, linkSync, lstatSync, mkdirSync,
  openSync, readlinkSync, readSync, renameSync, rmdirSync, statfsSync, symlinkSync, unlinkSync, writeSync, type BigIntStats,
} from "node:fs";
import { EBADF, EFBIG, EINVAL, EISDIR, ELOOP, ENOENT, ENOTDIR, ENXIO, EOPNOTSUPP, EPERM, EROFS, FsError } from "../backends/9p/ninep-errno.js";
import type { FsAttr, FsDirEntry, FsOpenFlags, FsOwner, FsSetAttr, FsStat, Ino, NinepFs } from "../backends/9p/ninep-fs.js";
import { MAX_MSIZE } from "../backends/9p/ninep-server.js";
import { NAME_MAX } from "../backends/9p/ninep-spec.js";
import { attrOf, hostKey, kindOf } from "./host-dir-attr.js";
import { hostCall } from "./host-dir-errors.js";
import { HostInodes } from "./host-dir-inodes.js";
import { HostListings, listingPage } from "./host-dir-listing.js";
import { HOST_DIR_MAX_OPEN, HostOpenFiles, type Access } from "./host-dir-open.js";
import { canConfine, entryPath, fdPath, HostPaths, lstatIfThere, openRoot, PIN_DIR, reopen } from "./host-dir-paths.js";
import { applySetattr, fchmodPath } from "./host-dir-setattr.js";

/** Inodes the share remembers (each ~300 bytes): ENFILE past it. */
export const HOST_DIR_MAX_INODES = 262_144;
/** Entries one Treaddir hands out at most (each one lstat). */
export const LISTING_PAGE = 512;
const MAX_FILE_SIZE = Number.MAX_SAFE_INTEGER;
/** statfs f_fsid: "host". */
const FSID = 0x686f7374;
const OPEN_FLAGS: Record<Access, number> = { r: constants.O_RDONLY, w: constants.O_WRONLY, rw: constants.O_RDWR };

export interface HostDirFsOptions {
  readOnly?: boolean;
  maxInodes?: number;
}

export class HostDirFs implements NinepFs {
  readonly root: Ino;
  readonly readOnly: boolean;
  /** Each open holds host descriptors: the server refuses opens past this, logged. */
  readonly maxOpen = HOST_DIR_MAX_OPEN;
  private readonly inodes: HostInodes;
  private readonly paths: HostPaths;
  private readonly opened = new HostOpenFiles();
  private readonly listings = new HostListings();

  /** Opens the share at `path`: an Error saying why if it is not a directory this host can confine. */
  static open(path: string, options: HostDirFsOptions = {}): HostDirFs {
    if (!canConfine()) throw new Error("host directory shares need Linux's /proc/self/fd to stay inside the folder");
    const fd = openRoot(path);
    try {
      return new HostDirFs(fd, options);
    } catch (caught) {
      closeSync(fd);
      throw caught;
    }
  }

  private constructor(private readonly rootFd: number, options: HostDirFsOptions) {
    this.readOnly = options.readOnly ?? false;
    const rootKey = hostKey(fstatSync(rootFd, { bigint: true }));
    this.inodes = new HostInodes(rootKey, options.maxInodes ?? HOST_DIR_MAX_INODES, (ino) => this.opened.isOpen(ino));
    this.root = this.inodes.root.ino;
    this.paths = new HostPaths(rootFd, this.inodes);
  }

  /** Closes every descriptor; the share answers nothing after. */
  close(): void {
    this.opened.closeAll();
    closeSync(this.rootFd);
  }

  lookup(dir: Ino, name: string): FsAttr {
    return hostCall(() => this.paths.withDir(dir, (p) => this.learn(dir, name, lstatSync(entryPath(p, name), { bigint: true }))));
  }

  parent(dir: Ino): FsAttr {
    const inode = this.inodes.get(dir);
    if (!inode.isDir) throw new FsError(ENOTDIR);
    if (inode === this.inodes.root) return this.getattr(dir);
    return this.getattr(inode.links[0]?.dir ?? this.fail(ENOENT));
  }

  getattr(ino: Ino): FsAttr {
    return hostCall(() => {
      const fd = ino === this.root ? this.rootFd : this.opened.any(ino);
      if (fd !== undefined) return attrOf(ino, fstatSync(fd, { bigint: true }));
      return this.paths.withEntry(ino, (p) => attrOf(ino, p.stat));
    });
  }

  /** Through the guest's own descriptor when the file is open (it may have no name left), else pinned by name. */
  setattr(ino: Ino, changes: FsSetAttr): FsAttr {
    this.writable();
    const held = this.opened.any(ino);
    hostCall(() => {
      if (held === undefined) return this.paths.withEntry(ino, (p) => applySetattr(p, changes, undefined));
      const pinned = { path: fdPath(held), entry: undefined, stat: fstatSync(held, { bigint: true }), kind: "file" as const };
      return applySetattr(pinned, changes, this.opened.writer(ino));
    });
    return this.getattr(ino);
  }

  /** ELOOP (symlink), ENXIO (FIFO, socket, device), EISDIR (a directory to write); O_RDONLY on a read-only share. */
  open(ino: Ino, flags: FsOpenFlags): FsAttr {
    if (this.readOnly && (flags.write || flags.truncate)) throw new FsError(EROFS);
    const access: Access = flags.write ? (flags.read ? "rw" : "w") : "r";
    return hostCall(() => this.paths.withEntry(ino, (p) => {
      if (p.kind === "symlink") throw new FsError(ELOOP);
      if (p.kind === "special") throw new FsError(ENXIO);
      if (p.kind === "dir") {
        if (flags.write) throw new FsError(EISDIR);
        this.opened.open(ino, undefined, () => this.fail(EBADF));
        return attrOf(ino, p.stat);
      }
      // p.path is the pinned file itself ("/proc/self/fd/M"): reopened, not looked up again.
      const fd = this.opened.open(ino, access, (a) => reopen(p.path, OPEN_FLAGS[a], p.stat)) ?? this.fail(EBADF);
      if (flags.truncate) ftruncateSync(fd, 0);
      return attrOf(ino, fstatSync(fd, { bigint: true }));
    }));
  }

  release(ino: Ino): void {
    if (!this.opened.release(ino)) return;
    const inode = this.inodes.find(ino);
    if (inode !== undefined) this.inodes.dropIfNameless(inode);
  }

  read(ino: Ino, offset: number, count: number): Uint8Array {
    const out = new Uint8Array(Math.max(0, Math.min(count, MAX_MSIZE)));
    return out.subarray(0, this.readInto(ino, offset, out));
  }

  /** One readSync into the server's reply: a short count is a short Rread, as 9P allows. */
  readInto(ino: Ino, offset: number, target: Uint8Array): number {
    const fd = this.opened.reader(ino) ?? this.notOpen(ino);
    return hostCall(() => readSync(fd, target, 0, target.length, offset));
  }

  write(ino: Ino, offset: number, data: Uint8Array): number {
    this.writable();
    const fd = this.opened.writer(ino) ?? this.notOpen(ino);
    if (offset + data.length > MAX_FILE_SIZE) throw new FsError(EFBIG);
    // writeSync may write less than asked (a full disk says ENOSPC on the next call).
    hostCall(() => {
      for (let done = 0; done < data.length; ) done += writeSync(fd, data, done, data.length - done, offset + done);
    });
    return data.length;
  }

  create(dir: Ino, name: string, mode: number, _owner: FsOwner): FsAttr {
    this.writable();
    return this.change(dir, (p) => {
      const path = entryPath(p, name);
      const fd = openSync(path, constants.O_CREAT | constants.O_EXCL | constants.O_RDWR | constants.O_NOFOLLOW | constants.O_NONBLOCK, mode);
      try {
        fchmodSync(fd, mode);
        const attr = this.learn(dir, name, fstatSync(fd, { bigint: true }));
        this.opened.park(attr.ino, fd);
        return attr;
      } catch (caught) {
        closeSync(fd);
        throw caught;
      }
    });
  }

  mkdir(dir: Ino, name: string, mode: number, _owner: FsOwner): FsAttr {
    this.writable();
    return this.change(dir, (p) => {
      const path = entryPath(p, name);
      mkdirSync(path, mode);
      // Pinned (O_PATH needs no permission on the directory itself) to undo the host's umask.
      const fd = openSync(path, PIN_DIR);
      try {
        fchmodPath(fdPath(fd), mode);
        return this.learn(dir, name, fstatSync(fd, { bigint: true }));
      } finally {
        closeSync(fd);
      }
    });
  }

  /** Stores `target` as text; it is never resolved on the host. */
  symlink(dir: Ino, name: string, target: string, _owner: FsOwner): FsAttr {
    this.writable();
    if (target.includes("\0")) throw new FsError(EINVAL);
    return this.change(dir, (p) => {
      const path = entryPath(p, name);
      symlinkSync(target, path);
      return this.learn(dir, name, lstatSync(path, { bigint: true }));
    });
  }

  mknod(): FsAttr {
    this.writable();
    throw new FsError(EOPNOTSUPP, "host: Node cannot make FIFOs or sockets");
  }

  /** Links only an inode reached inside the share, by the name it was found under (link(2) never follows it). */
  link(dir: Ino, name: string, target: Ino): void {
    this.writable();
    if (this.inodes.get(target).isDir) throw new FsError(EPERM);
    hostCall(() => this.paths.withEntry(target, (t) => this.change(dir, (p) => {
      const path = entryPath(p, name);
      linkSync(t.entry ?? this.fail(EPERM), path);
      this.learn(dir, name, lstatSync(path, { bigint: true }));
    })));
  }

  rename(oldDir: Ino, oldName: string, newDir: Ino, newName: string): void {
    this.writable();
    hostCall(() => this.paths.withDir(oldDir, (a) => this.paths.withDir(newDir, (b) => renameSync(entryPath(a, oldName), entryPath(b, newName)))));
    this.inodes.move(oldDir, oldName, newDir, newName);
    this.listings.forget(oldDir);
    this.listings.forget(newDir);
  }

  unlink(dir: Ino, name: string, removeDir: boolean): void {
    this.writable();
    const gone = this.inodes.named(dir, name);
    this.change(dir, (p) => (removeDir ? rmdirSync(entryPath(p, name)) : unlinkSync(entryPath(p, name))));
    this.inodes.forget(dir, name);
    if (gone !== undefined) this.listings.forget(gone.ino);
  }

  readdir(dir: Ino, cookie: number, max: number): FsDirEntry[] {
    return hostCall(() => this.paths.withDir(dir, (p) => {
      const names = this.listings.names(dir, p, this.inodes.get(dir).key, cookie);
      return listingPage(names, cookie, Math.min(max, LISTING_PAGE), (name) => {
        const stat = lstatIfThere(entryPath(p, name));
        return stat === undefined ? undefined : this.learn(dir, name, stat);
      });
    }));
  }

  readlink(ino: Ino): string {
    return hostCall(() => this.paths.withEntry(ino, (p) => (p.kind === "symlink" ? readlinkSync(p.path) : this.fail(EINVAL))));
  }

  statfs(): FsStat {
    const s = hostCall(() => statfsSync(fdPath(this.rootFd)));
    return { bsize: s.bsize, blocks: s.blocks, bfree: s.bfree, bavail: s.bavail, files: s.files, ffree: s.ffree, fsid: FSID, namelen: NAME_MAX };
  }

  fsync(ino: Ino, dataOnly: boolean): void {
    hostCall(() => {
      const sync = (fd: number) => (dataOnly ? fdatasyncSync(fd) : fsyncSync(fd));
      const held = this.opened.any(ino);
      if (held !== undefined) return sync(held);
      this.paths.withEntry(ino, (p) => {
        if (p.kind !== "file" && p.kind !== "dir") return;
        const fd = reopen(p.path, constants.O_RDONLY, p.stat);
        try {
          sync(fd);
        } finally {
          closeSync(fd);
        }
      });
    });
  }

  /** Records `name` of `dir` as the host inode `stat` describes, and its attributes. */
  private learn(dir: Ino, name: string, stat: BigIntStats): FsAttr {
    return attrOf(this.inodes.learn(dir, name, hostKey(stat), kindOf(stat) === "dir").ino, stat);
  }

  /** Runs a change of directory `dir`'s entries; its kept listing is dropped. */
  private change<T>(dir: Ino, act: (prefix: string) => T): T {
    this.listings.forget(dir);
    return hostCall(() => this.paths.withDir(dir, act));
  }

  /** The filesystem refuses changes on its own, whatever server is in front of it. */
  private writable(): void {
    if (this.readOnly) throw new FsError(EROFS);
  }

  /** EISDIR for a directory, EBADF for a file with no descriptor of that access (the server checks fids first). */
  private notOpen(ino: Ino): never {
    throw new FsError(this.inodes.get(ino).isDir ? EISDIR : EBADF);
  }

  private fail(errno: number): never {
    throw new FsError(errno);
  }
}
