// What the 9P server needs of a filesystem: the contract between the protocol (ninep-server.ts)
// and a store of files (memory-fs.ts; later a host directory in Node, the browser's storage).
//
// Confinement is structural. A filesystem sees inode numbers and single names, never a path:
// every `name` argument is one component the codec has checked (1 to NAME_MAX bytes of UTF-8,
// no '/', no NUL, never "." or ".."), and every inode it gets was handed out by itself (from
// `root`, `lookup`, `parent` or a create). Symlink targets are stored text: the server never
// follows one (the guest's kernel resolves them), so nothing the guest writes names anything
// outside the share. The server never asks for the parent of its root.
//
// Sync or async: every method may return its value or a Promise of it. Memory and a host
// directory in Node answer synchronously and the server then answers synchronously too, with
// no microtask per request; the browser's storage answers with Promises. A refusal is an
// FsError(errno) thrown (or a rejected Promise); anything else thrown is answered EIO.
//
// Numbers: sizes, offsets, inode numbers and cookies are whole numbers below 2^53, so a file
// may be far larger than 4 GiB; the codec reads a u64 above 2^53 - 1 as 2^53, a value no
// offset, size or cookie of a filesystem reaches.

export type MaybePromise<T> = T | Promise<T>;

/** An inode number: stable for the life of the inode, never reused (it is the qid's path). */
export type Ino = number;

export interface Timespec {
  sec: number;
  nsec: number;
}

/** What Rgetattr reports, and what every create returns. `mode` holds the S_IF* type bits. */
export interface FsAttr {
  ino: Ino;
  mode: number;
  uid: number;
  gid: number;
  nlink: number;
  rdev: number;
  size: number;
  /** 512-byte blocks allocated. */
  blocks: number;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
}

/** Changes of Tsetattr; absent fields stay. "now" is the filesystem's clock. */
export interface FsSetAttr {
  /** Permission bits only (MODE_PERMISSIONS); the type never changes. */
  mode?: number;
  uid?: number;
  gid?: number;
  size?: number;
  atime?: Timespec | "now";
  mtime?: Timespec | "now";
}

/** Owner of a new inode: the attaching user's uid (Tattach n_uname) and the request's gid. */
export interface FsOwner {
  uid: number;
  gid: number;
}

export interface FsOpenFlags {
  read: boolean;
  write: boolean;
  /** O_TRUNC with write access: the file is emptied. */
  truncate: boolean;
}

export interface FsDirEntry {
  name: string;
  ino: Ino;
  /** The entry's mode (only the S_IF* type bits are used). */
  mode: number;
  /** Pass to readdir to continue after this entry: a whole number, 1 <= cookie <= 2^53 - 3. */
  cookie: number;
}

/** Rstatfs, statfs(2)'s fields. */
export interface FsStat {
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
  fsid: number;
  namelen: number;
}

export interface NinepFs {
  /** The directory the share starts at. */
  readonly root: Ino;
  /**
   * Optional: the most opens the filesystem can hold at once, for one that holds something of
   * the host's per open (a host directory: its descriptors). The server refuses opens past it
   * (or past its own MAX_OPEN) with ENFILE and a log line.
   */
  readonly maxOpen?: number;
  /** The entry `name` of directory `dir`: ENOENT, ENOTDIR. */
  lookup(dir: Ino, name: string): MaybePromise<FsAttr>;
  /** The directory holding directory `dir` (walk(5)'s ".."): ENOTDIR, ENOENT once removed. */
  parent(dir: Ino): MaybePromise<FsAttr>;
  getattr(ino: Ino): MaybePromise<FsAttr>;
  setattr(ino: Ino, changes: FsSetAttr): MaybePromise<FsAttr>;
  /** Begins I/O on `ino`; each successful open is matched by one release. ELOOP, EISDIR... */
  open(ino: Ino, flags: FsOpenFlags): MaybePromise<FsAttr>;
  /** Ends an open. A file with no names left goes when its last open is released. */
  release(ino: Ino): MaybePromise<void>;
  /**
   * At most `count` bytes from `offset` (fewer at the end of the file, none past it). The
   * bytes may be a view into the filesystem's storage, valid until its next call.
   */
  read(ino: Ino, offset: number, count: number): MaybePromise<Uint8Array>;
  /**
   * Optional, read() without a buffer of its own: fills `target` from its start with at most
   * target.length bytes from `offset` and returns how many (fewer at the end of the file).
   * `target` may hold anything before (a reused reply buffer): holes are written as zeros.
   * The server prefers it, so a Tread costs no allocation or copy beyond the filesystem's.
   */
  readInto?(ino: Ino, offset: number, target: Uint8Array): MaybePromise<number>;
  /** Writes all of `data` at `offset` (EFBIG, ENOSPC): returns data.length. `data` is not kept. */
  write(ino: Ino, offset: number, data: Uint8Array): MaybePromise<number>;
  /** A new empty regular file (`mode`: permission bits): EEXIST if the name is taken. */
  create(dir: Ino, name: string, mode: number, owner: FsOwner): MaybePromise<FsAttr>;
  mkdir(dir: Ino, name: string, mode: number, owner: FsOwner): MaybePromise<FsAttr>;
  symlink(dir: Ino, name: string, target: string, owner: FsOwner): MaybePromise<FsAttr>;
  /** A FIFO or a socket (`mode` with its S_IF* bits); the server never asks for device nodes. */
  mknod(dir: Ino, name: string, mode: number, owner: FsOwner): MaybePromise<FsAttr>;
  /** A new name for the non-directory `target`: EPERM for a directory, EMLINK. */
  link(dir: Ino, name: string, target: Ino): MaybePromise<void>;
  /** rename(2): replaces a compatible target; EINVAL moving a directory under itself. */
  rename(oldDir: Ino, oldName: string, newDir: Ino, newName: string): MaybePromise<void>;
  /** unlink(2) or, with `removeDir`, rmdir(2): EISDIR, ENOTDIR, ENOTEMPTY. */
  unlink(dir: Ino, name: string, removeDir: boolean): MaybePromise<void>;
  /**
   * At most `max` entries of `dir` after `cookie` (0: from the start), without "." and "..".
   * An entry added or removed meanwhile may or may not appear; no other entry is repeated
   * or skipped.
   */
  readdir(dir: Ino, cookie: number, max: number): MaybePromise<readonly FsDirEntry[]>;
  readlink(ino: Ino): MaybePromise<string>;
  statfs(): MaybePromise<FsStat>;
  fsync(ino: Ino, dataOnly: boolean): MaybePromise<void>;
}

/** True for a Promise (or any thenable a filesystem returns). */
export function isPromise<T>(value: MaybePromise<T>): value is Promise<T> {
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}
