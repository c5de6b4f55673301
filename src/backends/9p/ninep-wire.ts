// 9P's wire format (intro(5)): little-endian integers of 1, 2, 4 and 8 bytes, strings as
// length[2] and that many bytes of UTF-8, qids as type[1] version[4] path[8]. The reader never
// reads past the message it was given: every field is checked against the bytes that are
// left, and a field that does not fit is an EPROTO refusal, thrown as Malformed and turned
// into an Rlerror by the decoder. The writer fills a buffer sized exactly beforehand.
import { EILSEQ, EINVAL, ENAMETOOLONG, ENOENT, EPROTO } from "./ninep-errno.js";
import { NAME_MAX, qidType, SYMLINK_MAX } from "./ninep-spec.js";

/** A request the codec refuses: Rlerror(errno); `reason` is for the log. */
export class Malformed extends Error {
  override name = "Malformed";
  constructor(readonly errno: number, readonly reason: string) {
    super(reason);
  }
}

const TWO_32 = 2 ** 32;
/** What a u64 above 2^53 - 1 reads as: beyond every offset, size and cookie (ninep-fs.ts). */
export const U64_BEYOND = 2 ** 53;

export class WireReader {
  private readonly view: DataView;
  private pos: number;

  constructor(private readonly bytes: Uint8Array, start: number) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = start;
  }

  u8(field: string): number {
    this.need(1, field);
    return this.view.getUint8(this.pos++);
  }

  u16(field: string): number {
    this.need(2, field);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  u32(field: string): number {
    this.need(4, field);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** A u64 as a number; above 2^53 - 1 it reads as U64_BEYOND. */
  u64(field: string): number {
    const lo = this.u32(field);
    const hi = this.u32(field);
    return hi >= 2 ** 21 ? U64_BEYOND : hi * TWO_32 + lo;
  }

  /** A signed 64-bit count of seconds (times before 1970 are negative), clamped to safe numbers. */
  i64(field: string): number {
    this.need(8, field);
    const v = this.view.getBigInt64(this.pos, true);
    this.pos += 8;
    const n = Number(v);
    return Math.max(-Number.MAX_SAFE_INTEGER, Math.min(Number.MAX_SAFE_INTEGER, n));
  }

  /** A string's bytes (a view into the message); checked as text later by `text`/`name`. */
  str(field: string): Uint8Array {
    const length = this.u16(field);
    return this.data(length, field);
  }

  data(count: number, field: string): Uint8Array {
    this.need(count, field);
    const out = this.bytes.subarray(this.pos, this.pos + count);
    this.pos += count;
    return out;
  }

  /** True when every byte has been read (for a trailing optional field). */
  atEnd(): boolean {
    return this.pos === this.bytes.length;
  }

  /** Every byte of the message has been read: trailing bytes are malformed. */
  end(what: string): void {
    if (this.pos !== this.bytes.length) throw new Malformed(EPROTO, `${what}: ${this.bytes.length - this.pos} bytes after the last field`);
  }

  private need(count: number, field: string): void {
    if (count > this.bytes.length - this.pos) throw new Malformed(EPROTO, `${field} runs past the end of the message`);
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

/** Any string field as text: EILSEQ unless it is UTF-8. */
export function text(raw: Uint8Array, field: string): string {
  try {
    return utf8.decode(raw);
  } catch {
    throw new Malformed(EILSEQ, `${field} is not UTF-8`);
  }
}

/**
 * One path component, checked in this order: empty (EINVAL), over NAME_MAX bytes
 * (ENAMETOOLONG), a '/' or NUL byte (EINVAL), not UTF-8 (EILSEQ), "." or ".." (EINVAL,
 * unless `dotdot` allows "..": walk(5) is the one place it means something).
 */
export function name(raw: Uint8Array, field: string, dotdot = false): string {
  if (raw.length === 0) throw new Malformed(EINVAL, `${field} is empty`);
  if (raw.length > NAME_MAX) throw new Malformed(ENAMETOOLONG, `${field} is longer than ${NAME_MAX} bytes`);
  if (raw.includes(0x2f) || raw.includes(0)) throw new Malformed(EINVAL, `${field} holds '/' or NUL`);
  const s = text(raw, field);
  if (s === "." || (s === ".." && !dotdot)) throw new Malformed(EINVAL, `${field} is "${s}"`);
  return s;
}

/** A symlink's target, stored as text and never followed: empty (ENOENT, as symlink(2)), too long, NUL. */
export function target(raw: Uint8Array, field: string): string {
  if (raw.length === 0) throw new Malformed(ENOENT, `${field} is empty`);
  if (raw.length > SYMLINK_MAX) throw new Malformed(ENAMETOOLONG, `${field} is longer than ${SYMLINK_MAX} bytes`);
  if (raw.includes(0)) throw new Malformed(EINVAL, `${field} holds NUL`);
  return text(raw, field);
}

export function utf8Bytes(s: string): Uint8Array {
  return encoder.encode(s);
}

export class WireWriter {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  private pos = 0;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }

  /** size[4] type[1] tag[2], the size being the whole buffer's. */
  header(type: number, tag: number): this {
    return this.u32(this.bytes.length).u8(type).u16(tag);
  }

  u8(v: number): this {
    this.view.setUint8(this.pos++, v);
    return this;
  }

  u16(v: number): this {
    this.view.setUint16(this.pos, v, true);
    this.pos += 2;
    return this;
  }

  u32(v: number): this {
    this.view.setUint32(this.pos, v >>> 0, true);
    this.pos += 4;
    return this;
  }

  /** A whole number 0 <= v <= 2^53 (larger or negative values are a bug of ours: clamped). */
  u64(v: number): this {
    const n = Math.max(0, Math.min(U64_BEYOND, Math.floor(v)));
    this.u32(n % TWO_32);
    return this.u32(Math.floor(n / TWO_32));
  }

  i64(v: number): this {
    this.view.setBigInt64(this.pos, BigInt(Math.trunc(v)), true);
    this.pos += 8;
    return this;
  }

  /** The qid of an inode of `mode` numbered `path`. */
  qid(mode: number, path: number): this {
    // qid.version stays 0: Linux's v9fs compares it when it matches an inode
    // (v9fs_test_inode_dotl), so a version that changed with writes would make the guest
    // see a new inode after every write.
    return this.u8(qidType(mode)).u32(0).u64(path);
  }

  /** A string already encoded as UTF-8 (callers size messages with its byte length). */
  str(raw: Uint8Array): this {
    this.u16(raw.length);
    return this.raw(raw);
  }

  raw(data: Uint8Array): this {
    this.bytes.set(data, this.pos);
    this.pos += data.length;
    return this;
  }

  /** Bytes written so far. */
  get length(): number {
    return this.pos;
  }
}
