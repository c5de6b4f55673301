// Reaching a share's inode on the host without ever leaving the share. Node has no openat(),
// so Linux's /proc/self/fd stands in for it: "/proc/self/fd/N/name" resolves `name` inside
// the directory that descriptor N holds, whatever its path has become since. Every use goes
// down from the root's descriptor one name at a time:
//   - each directory on the way is opened O_PATH | O_NOFOLLOW | O_DIRECTORY (a symlink there
//     is refused by the kernel, never followed) and its (dev, ino) must be the one the inode
//     table recorded for it: a directory the host renamed, removed or replaced (by another
//     directory, or a symlink to somewhere else) since the guest looked it up is ENOENT, and
//     a create through an old fid cannot land outside;
//   - the last name is only ever used by calls that do not follow a final symlink (lstat,
//     open with O_NOFOLLOW, mkdir, unlink, rename, symlink, link, readlink), or pinned the
//     same way (O_PATH | O_NOFOLLOW, (dev, ino) checked) so that calls which would follow a
//     symlink (chmod, truncate, utimes, chown) get "/proc/self/fd/M", the pinned file itself.
// Nothing is ever resolved from a host path string after the root, so a race with the host
// (a name swapped between the check and the use) can only ever reach something inside a
// directory of the share.
import { closeSync, constants, existsSync, fstatSync, lstatSync, openSync, type BigIntStats } from "node:fs";
import { EINVAL, ENAMETOOLONG, ENOENT, FsError } from "../backends/9p/ninep-errno.js";
import type { Ino } from "../backends/9p/ninep-fs.js";
import { NAME_MAX } from "../backends/9p/ninep-spec.js";
import { hostKey, kindOf, type HostKind } from "./host-dir-attr.js";
import { nodeErrorCode } from "./host-dir-errors.js";
import type { HostInode, HostInodes } from "./host-dir-inodes.js";

/** Linux's O_PATH (asm-generic/fcntl.h): a handle for naming a file, no I/O. Node has no name for it. */
const O_PATH = 0o10000000;
const PIN = O_PATH | constants.O_NOFOLLOW;
export const PIN_DIR = PIN | constants.O_DIRECTORY;

/** True where the share can run at all: Linux with /proc mounted. */
export function canConfine(): boolean {
  return process.platform === "linux" && existsSync("/proc/self/fd");
}

/** The path that names what descriptor `fd` holds. */
export function fdPath(fd: number): string {
  return `/proc/self/fd/${fd}`;
}

/** Opens the share's root (following the user's own path once): its descriptor for life. */
export function openRoot(path: string): number {
  return openSync(path, O_PATH | constants.O_DIRECTORY);
}

/**
 * `name` of the directory at `prefix`. Names come from the codec already checked (one
 * component, no '/', no NUL, not "." or ".."); checked again here because this is the one
 * place a name meets a host path.
 */
export function entryPath(prefix: string, name: string): string {
  if (name === "" || name === "." || name === ".." || name.includes("/") || name.includes("\0")) throw new FsError(EINVAL);
  if (Buffer.byteLength(name) > NAME_MAX) throw new FsError(ENAMETOOLONG);
  return `${prefix}/${name}`;
}

/** What `withEntry` hands over: a path that is the inode itself, and its stat. */
export interface Pinned {
  /** "/proc/self/fd/M" (the inode itself) for anything but a symlink; a symlink's entry path. */
  path: string;
  /** The name it was found by, as a path under its directory's descriptor (none for a directory). */
  entry: string | undefined;
  stat: BigIntStats;
  kind: HostKind;
}

export class HostPaths {
  constructor(private readonly rootFd: number, private readonly inodes: HostInodes) {}

  /** Runs `use` with a path prefix that is directory `dir` (checked all the way down from the root). */
  withDir<T>(dir: Ino, use: (prefix: string) => T): T {
    const fd = this.openDir(dir);
    try {
      return use(fdPath(fd));
    } finally {
      if (fd !== this.rootFd) closeSync(fd);
    }
  }

  /**
   * Runs `use` with inode `ino` pinned: a directory by its checked descriptor, anything else
   * by the first of its recorded names that still holds it (a name that no longer does is
   * forgotten). ENOENT when none does.
   */
  withEntry<T>(ino: Ino, use: (pinned: Pinned) => T): T {
    const inode = this.inodes.get(ino);
    if (inode.isDir) {
      const fd = this.openDir(ino);
      try {
        const stat = fstatSync(fd, { bigint: true });
        return use({ path: fdPath(fd), entry: undefined, stat, kind: "dir" });
      } finally {
        if (fd !== this.rootFd) closeSync(fd);
      }
    }
    for (const link of [...inode.links]) {
      let used = false;
      let found: { ok: true; value: T } | { ok: false };
      try {
        found = this.withDir(link.dir, (prefix) => this.pinEntry(entryPath(prefix, link.name), inode, (pinned) => {
          used = true;
          return use(pinned);
        }));
      } catch (caught) {
        // Its directory has gone (or changed): another name may still hold it. A failure of
        // `use` itself is the answer, never a reason to try again elsewhere.
        if (!used && isGone(caught)) continue;
        throw caught;
      }
      if (found.ok) return found.value;
      this.inodes.forget(link.dir, link.name);
    }
    throw new FsError(ENOENT);
  }

  private pinEntry<T>(path: string, inode: HostInode, use: (pinned: Pinned) => T): { ok: true; value: T } | { ok: false } {
    let stat: BigIntStats;
    try {
      stat = lstatSync(path, { bigint: true });
    } catch (caught) {
      if (isGone(caught)) return { ok: false };
      throw caught;
    }
    if (hostKey(stat) !== inode.key) return { ok: false };
    const kind = kindOf(stat);
    // A symlink is used by its name with non-following calls only: an O_PATH handle on a
    // symlink would be followed again by the calls "/proc/self/fd/M" serves.
    if (kind === "symlink") return { ok: true, value: use({ path, entry: path, stat, kind }) };
    const fd = openSync(path, PIN);
    try {
      const pinned = fstatSync(fd, { bigint: true });
      if (hostKey(pinned) !== inode.key || kindOf(pinned) !== kind) return { ok: false };
      return { ok: true, value: use({ path: fdPath(fd), entry: path, stat: pinned, kind }) };
    } finally {
      closeSync(fd);
    }
  }

  /** A descriptor (O_PATH) for directory `dir`, each level's (dev, ino) checked; the caller closes it unless it is the root's. */
  private openDir(dir: Ino): number {
    let fd = this.rootFd;
    try {
      for (const { name, inode } of this.inodes.dirChain(dir)) {
        const next = openDirEntry(entryPath(fdPath(fd), name));
        if (fd !== this.rootFd) closeSync(fd);
        fd = next;
        if (hostKey(fstatSync(fd, { bigint: true })) !== inode.key) throw new FsError(ENOENT, "host: a directory of the share was replaced");
      }
      return fd;
    } catch (caught) {
      if (fd !== this.rootFd) closeSync(fd);
      throw caught;
    }
  }
}

/** A name or directory that is no longer there (or no longer a directory). */
function isGone(caught: unknown): boolean {
  if (caught instanceof FsError) return caught.errno === ENOENT;
  const code = nodeErrorCode(caught);
  return code === "ENOENT" || code === "ENOTDIR";
}

/**
 * A directory on the way down: one the guest looked up that is now missing, a symlink
 * (ELOOP or ENOTDIR with O_NOFOLLOW) or a file is gone as far as the guest knew it: ENOENT.
 */
function openDirEntry(path: string): number {
  try {
    return openSync(path, PIN_DIR);
  } catch (caught) {
    const code = nodeErrorCode(caught);
    if (code === "ENOENT" || code === "ENOTDIR" || code === "ELOOP") throw new FsError(ENOENT, `host: a directory of the share is gone (${code})`);
    throw caught;
  }
}

/**
 * Opens the pinned file or directory at "/proc/self/fd/M" for I/O, and checks it is still the
 * inode `expected` describes. Without O_NOFOLLOW: that refuses the /proc link itself, which
 * leads to the pinned inode, never through a symlink. O_NONBLOCK: never waits on a FIFO.
 */
export function reopen(pinned: string, flags: number, expected: BigIntStats): number {
  const fd = openSync(pinned, flags | constants.O_NONBLOCK);
  if (hostKey(fstatSync(fd, { bigint: true })) !== hostKey(expected)) {
    closeSync(fd);
    throw new FsError(ENOENT, "host: the file changed while opening");
  }
  return fd;
}

/** lstat, or undefined for a name that is gone (a listing's name removed since it was read). */
export function lstatIfThere(path: string): BigIntStats | undefined {
  try {
    return lstatSync(path, { bigint: true });
  } catch (caught) {
    if (isGone(caught)) return undefined;
    throw caught;
  }
}
