// SHA-256 (FIPS 180-4) fed in pieces. Web Crypto only digests a whole buffer at once, and the
// services hash streams (uploads, multi-GiB blobs) they must never keep, so this one is ours.
// Speed matters: the hash runs in the machine's worker beside the emulated CPU. Blocks are
// read straight from the caller's bytes, the message schedule is one preallocated array and
// the eight working variables stay in locals across a whole run of blocks.

import type { Plain, StateReader } from "../../../snapshot/state-reader.js";

/** A hash in progress, for snapshots: the chaining value, the unhashed tail and the length. */
export type Sha256State = Plain<{ words: number[]; partial: Uint8Array; length: number }>;

/** The first `count` primes (the constants are derived from them, FIPS 180-4 §4.2.2, §5.3.3). */
function firstPrimes(count: number): number[] {
  const primes: number[] = [];
  for (let n = 2; primes.length < count; n++) {
    if (primes.every((p) => n % p !== 0)) primes.push(n);
  }
  return primes;
}

/**
 * The first 32 bits of the fractional part of p^(1/root), exactly: a floating-point estimate
 * is corrected with integer arithmetic so that no engine's Math.pow rounding can change it.
 */
function rootFractionBits(p: number, root: 2 | 3): number {
  const power = (v: bigint): bigint => (root === 2 ? v * v : v * v * v);
  const target = BigInt(p) << BigInt(32 * root); // p * 2^(32*root): its root is p^(1/root) * 2^32
  let x = BigInt(Math.floor(Math.pow(p, 1 / root) * 2 ** 32));
  while (power(x) > target) x--;
  while (power(x + 1n) <= target) x++;
  return Number(x & 0xffffffffn) | 0;
}

const PRIMES = firstPrimes(64);
/** Round constants: cube roots of the first 64 primes. */
const K = Int32Array.from(PRIMES, (p) => rootFractionBits(p, 3));
/** Initial hash value: square roots of the first 8 primes. */
const INITIAL = Int32Array.from(PRIMES.slice(0, 8), (p) => rootFractionBits(p, 2));

/**
 * Runs the compression function over every whole 64-byte block of data[pos, end).
 * `state` is read once and written once; `w` is the caller's schedule scratch.
 */
function compress(state: Int32Array, w: Int32Array, data: Uint8Array, pos: number, end: number): void {
  let h0 = state[0]!, h1 = state[1]!, h2 = state[2]!, h3 = state[3]!;
  let h4 = state[4]!, h5 = state[5]!, h6 = state[6]!, h7 = state[7]!;
  for (; pos + 64 <= end; pos += 64) {
    for (let t = 0, i = pos; t < 16; t++, i += 4) {
      w[t] = (data[i]! << 24) | (data[i + 1]! << 16) | (data[i + 2]! << 8) | data[i + 3]!;
    }
    for (let t = 16; t < 64; t++) {
      const x = w[t - 15]!, y = w[t - 2]!;
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
      w[t] = (s1 + w[t - 7]! + s0 + w[t - 16]!) | 0;
    }
    let a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
    for (let t = 0; t < 64; t++) {
      const bigSigma1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const choose = g ^ (e & (f ^ g));
      const t1 = (h + bigSigma1 + choose + K[t]! + w[t]!) | 0;
      const bigSigma0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const majority = (a & b) | (c & (a | b));
      h = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + bigSigma0 + majority) | 0;
    }
    h0 = (h0 + a) | 0; h1 = (h1 + b) | 0; h2 = (h2 + c) | 0; h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0; h5 = (h5 + f) | 0; h6 = (h6 + g) | 0; h7 = (h7 + h) | 0;
  }
  state[0] = h0; state[1] = h1; state[2] = h2; state[3] = h3;
  state[4] = h4; state[5] = h5; state[6] = h6; state[7] = h7;
}

export class Sha256 {
  private readonly state = Int32Array.from(INITIAL);
  private readonly schedule = new Int32Array(64);
  /** The start of a block not yet complete (always fewer than 64 bytes). */
  private readonly partial = new Uint8Array(64);
  private partialLength = 0;
  /** Message length in bytes; exact up to 2^53, far beyond anything hashed here. */
  private total = 0;

  /** Bytes hashed so far. */
  get length(): number {
    return this.total;
  }

  update(bytes: Uint8Array): this {
    let pos = 0;
    const end = bytes.length;
    this.total += end;
    if (this.partialLength > 0) {
      const take = Math.min(64 - this.partialLength, end);
      this.partial.set(bytes.subarray(0, take), this.partialLength);
      this.partialLength += take;
      pos = take;
      if (this.partialLength < 64) return this;
      compress(this.state, this.schedule, this.partial, 0, 64);
      this.partialLength = 0;
    }
    const wholeEnd = pos + ((end - pos) & ~63);
    compress(this.state, this.schedule, bytes, pos, wholeEnd);
    if (wholeEnd < end) {
      this.partial.set(bytes.subarray(wholeEnd, end));
      this.partialLength = end - wholeEnd;
    }
    return this;
  }

  /** The digest of everything so far. Does not finish the hash: update() may go on. */
  digest(): Uint8Array {
    // Padding (§5.1.1): 0x80, zeros, then the bit length as a 64-bit big-endian number.
    const tail = new Uint8Array(this.partialLength < 56 ? 64 : 128);
    tail.set(this.partial.subarray(0, this.partialLength));
    tail[this.partialLength] = 0x80;
    const bits = new DataView(tail.buffer, tail.length - 8);
    bits.setUint32(0, Math.floor(this.total / 2 ** 29));
    bits.setUint32(4, (this.total * 8) >>> 0);
    const state = this.state.slice();
    compress(state, new Int32Array(64), tail, 0, tail.length);
    const out = new Uint8Array(32);
    const view = new DataView(out.buffer);
    for (let i = 0; i < 8; i++) view.setInt32(4 * i, state[i]!);
    return out;
  }

  digestHex(): string {
    let hex = "";
    for (const byte of this.digest()) hex += byte.toString(16).padStart(2, "0");
    return hex;
  }

  saveState(): Sha256State {
    return { words: Array.from(this.state, (w) => w >>> 0), partial: this.partial.slice(0, this.partialLength), length: this.total };
  }

  /** A hash that continues from `state` (checked: the tail must agree with the length). */
  static restore(state: StateReader): Sha256 {
    const hash = new Sha256();
    const words = state.field("words").items(8);
    if (words.length !== 8) state.field("words").fail("an array of 8 words");
    words.forEach((word, i) => (hash.state[i] = word.uint32() | 0));
    const total = state.field("length").integer(0, Number.MAX_SAFE_INTEGER);
    const partial = state.field("partial").bytes(63);
    if (partial.length !== total % 64) state.field("partial").fail(`length % 64 = ${total % 64} bytes`);
    hash.partial.set(partial);
    hash.partialLength = partial.length;
    hash.total = total;
    return hash;
  }

  /** Starts over with an empty message. */
  reset(): this {
    this.state.set(INITIAL);
    this.partialLength = 0;
    this.total = 0;
    return this;
  }
}

/** The hex SHA-256 of one buffer. */
export function sha256Hex(bytes: Uint8Array): string {
  return new Sha256().update(bytes).digestHex();
}
