// Tsetattr on a pinned host inode (host-dir-paths.ts). For anything but a symlink the path is
// "/proc/self/fd/M", the inode itself, so calls that follow symlinks (truncate, chmod, chown,
// utimes) cannot be sent elsewhere; a symlink gets only the calls that never follow one
// (lchown, lutimes), and its mode is left as it is (Linux ignores a symlink's mode too).
import { chmodSync, chownSync, ftruncateSync, lchownSync, lutimesSync, truncateSync, utimesSync } from "node:fs";
import { EINVAL, EISDIR, FsError } from "../backends/9p/ninep-errno.js";
import type { FsSetAttr, Timespec } from "../backends/9p/ninep-fs.js";
import { secondsOf, timespecOf } from "./host-dir-attr.js";
import type { Pinned } from "./host-dir-paths.js";

/** Applies `ch` in the order EISDIR/EINVAL (size of a non-file), size, mode, owner, times. */
export function applySetattr(p: Pinned, ch: FsSetAttr, writer: number | undefined): void {
  if (ch.size !== undefined) {
    if (p.kind === "dir") throw new FsError(EISDIR);
    if (p.kind !== "file") throw new FsError(EINVAL);
    // An open descriptor truncates what the guest opened for writing even if its mode has
    // since dropped write permission, as ftruncate(2) on an open file does.
    if (writer !== undefined) ftruncateSync(writer, ch.size);
    else truncateSync(p.path, ch.size);
  }
  if (ch.mode !== undefined && p.kind !== "symlink") fchmodPath(p.path, ch.mode);
  if (ch.uid !== undefined || ch.gid !== undefined) {
    // -1 leaves that id as it is (chown(2)).
    const uid = ch.uid ?? -1;
    const gid = ch.gid ?? -1;
    if (p.kind === "symlink") lchownSync(p.path, uid, gid);
    else chownSync(p.path, uid, gid);
  }
  if (ch.atime !== undefined || ch.mtime !== undefined) {
    // Node's utimes sets both times: the one not asked for keeps its value.
    const now = Date.now() / 1000;
    const atime = timeOf(ch.atime, now, secondsOf(timespecOf(p.stat.atimeNs)));
    const mtime = timeOf(ch.mtime, now, secondsOf(timespecOf(p.stat.mtimeNs)));
    if (p.kind === "symlink") lutimesSync(p.path, atime, mtime);
    else utimesSync(p.path, atime, mtime);
  }
}

/** chmod of a pinned inode ("/proc/self/fd/M": the inode itself, whatever its permissions). */
export function fchmodPath(pinned: string, mode: number): void {
  chmodSync(pinned, mode);
}

/** Seconds for utimes: Node takes a double, so times keep about a microsecond of precision. */
function timeOf(asked: Timespec | "now" | undefined, now: number, kept: number): number {
  if (asked === undefined) return kept;
  return asked === "now" ? now : secondsOf(asked);
}
