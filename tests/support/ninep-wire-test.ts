// The test side's own 9P2000.L wire format, written from the protocol description (diod's
// protocol.md, the Plan 9 manual section 5), not from src/backends/9p: T-messages built from
// a list of fields, R-messages read back field by field with every read bounds-checked.
// Numbers are little-endian; u64 fields take and give bigints, so tests can say 2^63.

export type Field =
  | ["u8", number]
  | ["u16", number]
  | ["u32", number]
  | ["u64", bigint | number]
  | ["s", string | Uint8Array]
  | ["raw", Uint8Array];

const enc = new TextEncoder();

export function bytesOf(s: string | Uint8Array): Uint8Array {
  return typeof s === "string" ? enc.encode(s) : s;
}

function fieldLength(f: Field): number {
  switch (f[0]) {
    case "u8": return 1;
    case "u16": return 2;
    case "u32": return 4;
    case "u64": return 8;
    case "s": return 2 + bytesOf(f[1]).length;
    case "raw": return f[1].length;
  }
}

/** size[4] type[1] tag[2] then the fields; size is the total length. */
export function message(type: number, tag: number, fields: Field[]): Uint8Array {
  const total = 7 + fields.reduce((n, f) => n + fieldLength(f), 0);
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  v.setUint32(0, total, true);
  v.setUint8(4, type);
  v.setUint16(5, tag, true);
  let p = 7;
  for (const f of fields) {
    switch (f[0]) {
      case "u8": v.setUint8(p, f[1]); p += 1; break;
      case "u16": v.setUint16(p, f[1], true); p += 2; break;
      case "u32": v.setUint32(p, f[1] >>> 0, true); p += 4; break;
      case "u64": v.setBigUint64(p, BigInt.asUintN(64, BigInt(f[1])), true); p += 8; break;
      case "s": {
        const b = bytesOf(f[1]);
        v.setUint16(p, b.length, true);
        out.set(b, p + 2);
        p += 2 + b.length;
        break;
      }
      case "raw": out.set(f[1], p); p += f[1].length; break;
    }
  }
  return out;
}

/** Reads an R-message's body; throws (failing the test) on any read past its end. */
export class Fields {
  private readonly v: DataView;
  private p = 7;

  constructor(private readonly bytes: Uint8Array) {
    this.v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private need(n: number): void {
    if (this.p + n > this.bytes.length) throw new Error(`reply too short: need ${n} bytes at ${this.p} of ${this.bytes.length}`);
  }

  u8(): number { this.need(1); return this.v.getUint8(this.p++); }
  u16(): number { this.need(2); const x = this.v.getUint16(this.p, true); this.p += 2; return x; }
  u32(): number { this.need(4); const x = this.v.getUint32(this.p, true); this.p += 4; return x; }
  u64(): bigint { this.need(8); const x = this.v.getBigUint64(this.p, true); this.p += 8; return x; }
  i64(): bigint { this.need(8); const x = this.v.getBigInt64(this.p, true); this.p += 8; return x; }
  data(n: number): Uint8Array { this.need(n); const x = this.bytes.slice(this.p, this.p + n); this.p += n; return x; }
  str(): string { return new TextDecoder().decode(this.data(this.u16())); }
  qid(): Qid { return { type: this.u8(), version: this.u32(), path: this.u64() }; }

  /** Bytes not yet read. */
  get remaining(): number {
    return this.bytes.length - this.p;
  }

  /** Throws unless every byte was read. */
  end(): void {
    if (this.p !== this.bytes.length) throw new Error(`reply has ${this.bytes.length - this.p} bytes after its fields`);
  }
}

export interface Qid {
  type: number;
  version: number;
  path: bigint;
}

/** The frame of a reply: throws unless size = length and it holds a header. */
export function frame(reply: Uint8Array): { type: number; tag: number } {
  if (reply.length < 7) throw new Error(`reply of ${reply.length} bytes`);
  const v = new DataView(reply.buffer, reply.byteOffset, reply.byteLength);
  const size = v.getUint32(0, true);
  if (size !== reply.length) throw new Error(`reply size field ${size} for ${reply.length} bytes`);
  return { type: v.getUint8(4), tag: v.getUint16(5, true) };
}
