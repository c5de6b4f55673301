// Numbers of the 9P2000.L protocol as Linux's v9fs speaks it (net/9p, include/net/9p/9p.h;
// the message layouts are in diod's protocol.md and the Plan 9 manual, section 5). Only
// what the server and its codec use; every name follows the spec's.

export { MSG } from "../../util/ninep-message-types.js";

/** size[4] type[1] tag[2]: every message starts with it (intro(5)). */
export const HEADER_BYTES = 7;
/** Rread and Rreaddir: the header and count[4] before the data. */
export const RDATA_HEADER_BYTES = 11;
/** Twrite's header before its data (size type tag fid offset count = 23), rounded as Linux's P9_IOHDRSZ. */
export const IO_HEADER_BYTES = 24;
/** A qid on the wire: type[1] version[4] path[8]. */
export const QID_BYTES = 13;

/** The tag of Tversion (version(5)); also the tag of a reply to a message too short to hold one. */
export const NOTAG = 0xffff;
/** "No fid" in Tattach's afid (attach(5)). */
export const NOFID = 0xffffffff;
/** Tattach's n_uname when the client sends only a name (9P2000.u). */
export const NONUNAME = 0xffffffff;
/** walk(5): at most sixteen names in one Twalk. */
export const MAXWELEM = 16;

export const VERSION_9P2000_L = "9P2000.L";
/** version(5): the reply to a version the server does not speak. */
export const VERSION_UNKNOWN = "unknown";

/** qid.type bits (intro(5)): the high byte of a Plan 9 mode. */
export const QTDIR = 0x80;
export const QTSYMLINK = 0x02;
export const QTFILE = 0x00;

/** Linux file type bits of a mode (stat(2)); 9P2000.L carries Linux modes as they are. */
export const S_IFMT = 0o170000;
export const S_IFSOCK = 0o140000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFBLK = 0o060000;
export const S_IFDIR = 0o040000;
export const S_IFCHR = 0o020000;
export const S_IFIFO = 0o010000;
/** Permission bits with setuid, setgid and sticky: what Tsetattr, Tmkdir and Tlcreate may set. */
export const MODE_PERMISSIONS = 0o7777;

/** Tlopen/Tlcreate flags (P9_DOTL_*, equal to Linux's x86 open flags). */
export const OPEN_ACCMODE = 3;
export const OPEN_RDONLY = 0;
export const OPEN_WRONLY = 1;
export const OPEN_RDWR = 2;
export const OPEN_TRUNC = 0o1000;

/** Tgetattr/Rgetattr mask bits: BASIC is mode through blocks, what the server fills in. */
export const GETATTR_BASIC = 0x7ff;

/** Tsetattr valid bits (P9_ATTR_*). Without the *_SET bit a time means "the server's now". */
export const SETATTR_MODE = 0x1;
export const SETATTR_UID = 0x2;
export const SETATTR_GID = 0x4;
export const SETATTR_SIZE = 0x8;
export const SETATTR_ATIME = 0x10;
export const SETATTR_MTIME = 0x20;
export const SETATTR_ATIME_SET = 0x80;
export const SETATTR_MTIME_SET = 0x100;

/** Tunlinkat flags: Linux's AT_REMOVEDIR, the only one defined. */
export const AT_REMOVEDIR = 0x200;

/** Rlock status and Rgetlock type (P9_LOCK_*). */
export const LOCK_SUCCESS = 0;
export const LOCK_TYPE_UNLCK = 2;

/** Rstatfs type: v9fs's magic (V9FS_MAGIC), what QEMU and diod answer too. */
export const V9FS_MAGIC = 0x01021997;

/** Linux's NAME_MAX: the longest name of one directory entry, in bytes. */
export const NAME_MAX = 255;
/** Linux's PATH_MAX less its NUL: the longest symlink target, in bytes. */
export const SYMLINK_MAX = 4095;

/** Directory entry types in Rreaddir (Linux's DT_*): the file type bits shifted down. */
export function direntType(mode: number): number {
  return (mode & S_IFMT) >>> 12;
}

/** qid.type for a Linux mode. */
export function qidType(mode: number): number {
  const type = mode & S_IFMT;
  if (type === S_IFDIR) return QTDIR;
  if (type === S_IFLNK) return QTSYMLINK;
  return QTFILE;
}
