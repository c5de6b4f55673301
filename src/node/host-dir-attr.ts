// Host stat results in the guest's terms. Stats are always taken with `bigint: true`: it is
// the only way Node gives nanoseconds (atimeNs...), and it keeps device and inode numbers
// exact, which the host identity of a file is made of.
import type { BigIntStats } from "node:fs";
import type { FsAttr, Ino, Timespec } from "../backends/9p/ninep-fs.js";
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from "../backends/9p/ninep-spec.js";

/** A host inode's identity: what two names of one file (hard links) have in common. */
export function hostKey(stat: BigIntStats): string {
  return `${stat.dev}:${stat.ino}`;
}

export type HostKind = "dir" | "file" | "symlink" | "special";

/** Regular files and directories are all the share ever opens; the rest are "special". */
export function kindOf(stat: BigIntStats): HostKind {
  const type = Number(stat.mode) & S_IFMT;
  if (type === S_IFDIR) return "dir";
  if (type === S_IFREG) return "file";
  if (type === S_IFLNK) return "symlink";
  return "special";
}

const NS_PER_SECOND = 1_000_000_000n;

/** Nanoseconds since 1970 as seconds and nanoseconds (nsec in 0..999999999, before 1970 too). */
export function timespecOf(ns: bigint): Timespec {
  let sec = ns / NS_PER_SECOND;
  let nsec = ns % NS_PER_SECOND;
  if (nsec < 0n) {
    sec -= 1n;
    nsec += NS_PER_SECOND;
  }
  return { sec: Number(sec), nsec: Number(nsec) };
}

export function attrOf(ino: Ino, stat: BigIntStats): FsAttr {
  return {
    ino,
    mode: Number(stat.mode),
    uid: Number(stat.uid),
    gid: Number(stat.gid),
    nlink: Number(stat.nlink),
    rdev: Number(stat.rdev),
    size: Number(stat.size),
    blocks: Number(stat.blocks),
    atime: timespecOf(stat.atimeNs),
    mtime: timespecOf(stat.mtimeNs),
    ctime: timespecOf(stat.ctimeNs),
  };
}

/** A Timespec as the seconds Node's utimes calls take (a double: sub-microsecond precision is lost). */
export function secondsOf(time: Timespec): number {
  return time.sec + time.nsec / 1e9;
}
