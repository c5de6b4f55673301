// A bounds-checked reader over the bytes the inspector copied out of a chain's buffers.
// Every read names its field, so a header whose length field lies ends as "truncated:
// <field> ..." rather than an exception out of the inspector or a read past the copy.
import { formatMac } from "../../util/mac-address.js";
import { Truncated, type Side } from "./layer.js";

export class ByteReader {
  /**
   * `bytes`: what was copied (at most the inspector's budget); `total`: how many bytes the
   * buffers really hold, so a problem can say whether the guest's buffer or our copy ended;
   * `side`: which of the chain's buffers they are.
   */
  constructor(readonly bytes: Uint8Array, readonly total = bytes.length, readonly side: Side = "readable") {}

  get length(): number {
    return this.bytes.length;
  }

  /** Throws Truncated unless bytes [at, at + n) were copied. */
  need(at: number, n: number, field: string): void {
    if (Number.isInteger(at) && Number.isInteger(n) && at >= 0 && n >= 0 && at + n <= this.bytes.length) return;
    const why = at + n <= this.total ? `the inspector reads only the first ${this.bytes.length} bytes` : `the buffers hold ${this.total} bytes`;
    throw new Truncated(`truncated: ${field} (bytes ${at}-${at + n - 1}) lies past the end: ${why}`);
  }

  u8(at: number, field: string): number {
    this.need(at, 1, field);
    return this.bytes[at]!;
  }

  be16(at: number, field: string): number {
    this.need(at, 2, field);
    return (this.bytes[at]! << 8) | this.bytes[at + 1]!;
  }

  be32(at: number, field: string): number {
    this.need(at, 4, field);
    return ((this.bytes[at]! << 24) | (this.bytes[at + 1]! << 16) | (this.bytes[at + 2]! << 8) | this.bytes[at + 3]!) >>> 0;
  }

  le16(at: number, field: string): number {
    this.need(at, 2, field);
    return this.bytes[at]! | (this.bytes[at + 1]! << 8);
  }

  le32(at: number, field: string): number {
    this.need(at, 4, field);
    return (this.bytes[at]! | (this.bytes[at + 1]! << 8) | (this.bytes[at + 2]! << 16) | (this.bytes[at + 3]! << 24)) >>> 0;
  }

  le64(at: number, field: string): bigint {
    return (BigInt(this.le32(at + 4, field)) << 32n) | BigInt(this.le32(at, field));
  }

  /** A copy of bytes [at, at + n). */
  slice(at: number, n: number, field: string): Uint8Array {
    this.need(at, n, field);
    return this.bytes.slice(at, at + n);
  }

  /** The 6 bytes at `at` as "52:54:00:12:34:56". */
  mac(at: number, field: string): string {
    return formatMac(this.slice(at, 6, field));
  }

  /** The 4 bytes at `at` as "10.0.2.15". */
  ipv4(at: number, field: string): string {
    return Array.from(this.slice(at, 4, field)).join(".");
  }
}
