// The R-messages of 9P2000.L, each built into a buffer of exactly its size (the size field
// is the buffer's length by construction: WireWriter.header). Layouts from diod's
// protocol.md and the Plan 9 manual; `type` is always the request's type + 1.
import type { FsAttr, FsStat } from "./ninep-fs.js";
import { GETATTR_BASIC, HEADER_BYTES, MSG, QID_BYTES, RDATA_HEADER_BYTES, V9FS_MAGIC } from "./ninep-spec.js";
import { utf8Bytes, WireWriter } from "./ninep-wire.js";

export function rlerror(tag: number, errno: number): Uint8Array {
  return new WireWriter(HEADER_BYTES + 4).header(MSG.Rlerror, tag).u32(errno).bytes;
}

export function rversion(tag: number, msize: number, version: string): Uint8Array {
  const v = utf8Bytes(version);
  return new WireWriter(HEADER_BYTES + 4 + 2 + v.length).header(MSG.Tversion + 1, tag).u32(msize).str(v).bytes;
}

/** A reply with no fields: Rflush, Rclunk, Rremove, Rsetattr, Rrename, Rlink, Rrenameat, Runlinkat, Rfsync. */
export function rempty(type: number, tag: number): Uint8Array {
  return new WireWriter(HEADER_BYTES).header(type, tag).bytes;
}

/** A reply of one qid: Rattach, Rmkdir, Rsymlink, Rmknod. */
export function rqid(type: number, tag: number, attr: FsAttr): Uint8Array {
  return new WireWriter(HEADER_BYTES + QID_BYTES).header(type, tag).qid(attr.mode, attr.ino).bytes;
}

/** Rlopen and Rlcreate: qid[13] iounit[4]. */
export function ropen(type: number, tag: number, attr: FsAttr, iounit: number): Uint8Array {
  return new WireWriter(HEADER_BYTES + QID_BYTES + 4).header(type, tag).qid(attr.mode, attr.ino).u32(iounit).bytes;
}

export function rwalk(tag: number, attrs: readonly FsAttr[]): Uint8Array {
  const w = new WireWriter(HEADER_BYTES + 2 + QID_BYTES * attrs.length).header(MSG.Twalk + 1, tag).u16(attrs.length);
  for (const a of attrs) w.qid(a.mode, a.ino);
  return w.bytes;
}

export function rread(tag: number, data: Uint8Array): Uint8Array {
  return new WireWriter(RDATA_HEADER_BYTES + data.length).header(MSG.Tread + 1, tag).u32(data.length).raw(data).bytes;
}

/**
 * Rread built in place: `reply` holds `count` bytes of data after RDATA_HEADER_BYTES (read there
 * by the filesystem); the header is written before them and the message is a view of `reply`.
 */
export function rreadInPlace(reply: Uint8Array, tag: number, count: number): Uint8Array {
  const bytes = reply.subarray(0, RDATA_HEADER_BYTES + count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, RDATA_HEADER_BYTES);
  view.setUint32(0, bytes.length, true);
  view.setUint8(4, MSG.Tread + 1);
  view.setUint16(5, tag, true);
  view.setUint32(HEADER_BYTES, count, true);
  return bytes;
}

export function rwrite(tag: number, count: number): Uint8Array {
  return new WireWriter(HEADER_BYTES + 4).header(MSG.Twrite + 1, tag).u32(count).bytes;
}

/** Rgetattr: every BASIC field (mode through blocks) is valid; btime, gen and data_version are 0. */
export function rgetattr(tag: number, a: FsAttr): Uint8Array {
  const w = new WireWriter(HEADER_BYTES + 8 + QID_BYTES + 4 * 3 + 8 * 15).header(MSG.Tgetattr + 1, tag);
  w.u64(GETATTR_BASIC).qid(a.mode, a.ino).u32(a.mode).u32(a.uid).u32(a.gid);
  w.u64(a.nlink).u64(a.rdev).u64(a.size).u64(BLKSIZE).u64(a.blocks);
  w.i64(a.atime.sec).u64(a.atime.nsec).i64(a.mtime.sec).u64(a.mtime.nsec).i64(a.ctime.sec).u64(a.ctime.nsec);
  return w.u64(0).u64(0).u64(0).u64(0).bytes;
}

/** st_blksize: the I/O size the guest prefers (a page). */
const BLKSIZE = 4096;

export function rstatfs(tag: number, s: FsStat): Uint8Array {
  const w = new WireWriter(HEADER_BYTES + 4 + 4 + 8 * 6 + 4).header(MSG.Tstatfs + 1, tag);
  w.u32(V9FS_MAGIC).u32(s.bsize).u64(s.blocks).u64(s.bfree).u64(s.bavail).u64(s.files).u64(s.ffree).u64(s.fsid);
  return w.u32(s.namelen).bytes;
}

export function rreadlink(tag: number, target: string): Uint8Array {
  const t = utf8Bytes(target);
  return new WireWriter(HEADER_BYTES + 2 + t.length).header(MSG.Treadlink + 1, tag).str(t).bytes;
}

export function rlock(tag: number, status: number): Uint8Array {
  return new WireWriter(HEADER_BYTES + 1).header(MSG.Tlock + 1, tag).u8(status).bytes;
}

export function rgetlock(tag: number, type: number, start: number, length: number, procId: number, clientId: Uint8Array): Uint8Array {
  const w = new WireWriter(HEADER_BYTES + 1 + 8 + 8 + 4 + 2 + clientId.length).header(MSG.Tgetlock + 1, tag);
  return w.u8(type).u64(start).u64(length).u32(procId).str(clientId).bytes;
}

/** One Rreaddir entry: qid[13] offset[8] type[1] name[s]. */
export interface ReaddirEntry {
  name: Uint8Array;
  ino: number;
  mode: number;
  offset: number;
  type: number;
}

export function readdirEntryBytes(e: ReaddirEntry): number {
  return QID_BYTES + 8 + 1 + 2 + e.name.length;
}

/** Rreaddir of entries whose sizes (readdirEntryBytes) sum to `dataBytes`. */
export function rreaddir(tag: number, entries: readonly ReaddirEntry[], dataBytes: number): Uint8Array {
  const w = new WireWriter(RDATA_HEADER_BYTES + dataBytes).header(MSG.Treaddir + 1, tag).u32(dataBytes);
  for (const e of entries) w.qid(e.mode, e.ino).u64(e.offset).u8(e.type).str(e.name);
  return w.bytes;
}
