// Deterministic test data: a blob is named by (length N, seed S) and any piece of it can be
// produced on demand, so the HTTP service streams gigabytes without holding them and a test
// (or a guest script) can check what arrived.
//
// The algorithm, exactly. Arithmetic is on unsigned 32-bit integers (mod 2^32):
//   mix(x):  x ^= x >> 16;  x *= 0x85EBCA6B;  x ^= x >> 13;  x *= 0xC2B2AE35;  x ^= x >> 16
//            (the MurmurHash3 finalizer: a bijection that spreads every input bit)
//   key    = mix(S ^ 0x5EED5EED)
//   word i = mix((i * 0x9E3779B9 + key) mod 2^32)        for i = 0, 1, 2, ...
//   byte j = (word floor(j/4) >> (8 * (j mod 4))) & 0xFF  for j = 0 .. N-1 (little-endian)
// Each word depends only on its index (a counter-based generator), so any chunk at any offset
// is computed directly. 0x9E3779B9 is odd, so the 2^30 words of a 4 GiB blob are all distinct.

import type { Plain, StateReader } from "../../../snapshot/state-reader.js";
import { Sha256, type Sha256State } from "./sha256.js";

export const MAX_BLOB_SEED = 0xffffffff;

/**
 * The MurmurHash3 32-bit finalizer (mix above), its result as a signed 32-bit integer with the
 * same bits. Nothing here leaves int32, so V8 keeps every step in a register; an unsigned
 * result above 2^31 would be a double, and converting it back to store it took half of the
 * blob's cost (fillBlob below).
 */
function mixInt32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  return x ^ (x >>> 16);
}

/** The step between words' inputs (0x9E3779B9) as a signed 32-bit integer, so sums stay int32. */
const GOLDEN = 0x9e3779b9 | 0;

function blobKey(seed: number): number {
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_BLOB_SEED) throw new RangeError(`blob seed ${seed} is not a 32-bit unsigned integer`);
  return mixInt32(seed ^ 0x5eed5eed);
}

const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** Words made at a time where they cannot go straight into `out` (then copied in). */
const SCRATCH_WORDS = 4096;
const scratch = new Int32Array(SCRATCH_WORDS);
const scratchBytes = new Uint8Array(scratch.buffer);

/** Fills `out` with the blob bytes starting at byte `offset` of the blob with this seed. */
export function fillBlob(seed: number, offset: number, out: Uint8Array): void {
  const key = blobKey(seed);
  if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`blob offset ${offset} is invalid`);
  let word = Math.floor(offset / 4);
  let pos = 0;
  // Bytes of the first word that come before `offset`.
  let skip = offset % 4;
  if (skip === 0 && LITTLE_ENDIAN && out.byteOffset % 4 === 0) {
    // Words straight into `out` when its start is a word's.
    const whole = out.length >>> 2;
    fillWords(key, word, new Int32Array(out.buffer, out.byteOffset, whole));
    word += whole;
    pos = 4 * whole;
  }
  // The rest through the scratch words: a start inside a word or an `out` off a word boundary
  // (a sender's chunks are as long as the window has room for, rarely whole words), and the
  // last word, which may run past the end of `out`.
  while (pos < out.length) {
    const count = Math.min(SCRATCH_WORDS, Math.ceil((skip + out.length - pos) / 4));
    fillWords(key, word, scratch.subarray(0, count));
    const take = Math.min(4 * count - skip, out.length - pos);
    out.set(scratchBytes.subarray(skip, skip + take), pos);
    pos += take;
    word += count;
    skip = 0;
  }
}

/** Words `first`, `first + 1`, ... of the blob whose key is `key`, little-endian in memory. */
function fillWords(key: number, first: number, words: Int32Array): void {
  // Word i's input is i * GOLDEN + key, so each is the last one's plus GOLDEN (mod 2^32).
  let input = (Math.imul(first, GOLDEN) + key) | 0;
  for (let k = 0; k < words.length; k++) {
    words[k] = mixInt32(input);
    input = (input + GOLDEN) | 0;
  }
  if (!LITTLE_ENDIAN) {
    for (let k = 0; k < words.length; k++) {
      const v = words[k]!;
      words[k] = (v << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
    }
  }
}

/** The blob (length, seed) read front to back in pieces. */
export class BlobReader {
  /** Starts at byte `position` (a restored download goes on from where it was). */
  constructor(readonly length: number, readonly seed: number, private position = 0) {
    blobKey(seed);
    if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`blob length ${length} is invalid`);
    if (!Number.isSafeInteger(position) || position < 0 || position > length) throw new RangeError(`blob position ${position} is invalid`);
  }

  /** Bytes read so far. */
  get offset(): number {
    return this.position;
  }

  get remaining(): number {
    return this.length - this.position;
  }

  /** The next min(maxBytes, remaining) bytes, in a new array the caller may keep. */
  read(maxBytes: number): Uint8Array {
    const chunk = new Uint8Array(Math.max(0, Math.min(maxBytes, this.remaining)));
    fillBlob(this.seed, this.position, chunk);
    this.position += chunk.length;
    return chunk;
  }
}

const HASH_CHUNK = 64 * 1024;

/** A blob hash in progress, for snapshots (the bytes hashed so far are the hash's length). */
export type BlobHasherState = Plain<{ length: number; seed: number; hash: Sha256State }>;

/** Hashes a blob a slice at a time, so a long hash can share the thread with the machine. */
export class BlobHasher {
  private readonly scratch = new Uint8Array(HASH_CHUNK);

  /** The blob's first `hash.length` bytes already went into `hash` (a restored hash goes on). */
  constructor(readonly length: number, readonly seed: number, private readonly hash = new Sha256()) {
    new BlobReader(length, seed, hash.length); // validates all three
  }

  saveState(): BlobHasherState {
    return { length: this.length, seed: this.seed, hash: this.hash.saveState() };
  }

  static restore(state: StateReader): BlobHasher {
    const length = state.field("length").integer(0, Number.MAX_SAFE_INTEGER);
    const seed = state.field("seed").integer(0, MAX_BLOB_SEED);
    const hash = Sha256.restore(state.field("hash"));
    if (hash.length > length) state.field("hash").field("length").fail(`at most the blob's ${length} bytes`);
    return new BlobHasher(length, seed, hash);
  }

  /** Hashes up to `maxBytes` more; returns the hex digest once the whole blob is hashed. */
  step(maxBytes: number): string | undefined {
    const stop = Math.min(this.length, this.hash.length + Math.max(1, maxBytes));
    while (this.hash.length < stop) {
      const n = Math.min(HASH_CHUNK, stop - this.hash.length);
      const piece = n === HASH_CHUNK ? this.scratch : this.scratch.subarray(0, n);
      fillBlob(this.seed, this.hash.length, piece);
      this.hash.update(piece);
    }
    if (this.hash.length < this.length) return undefined;
    const hex = this.hash.digestHex();
    rememberDigest(this.length, this.seed, hex);
    return hex;
  }
}

// Recently computed digests: a guest asks for a 64 MiB blob's hash and then for the blob (or
// the hash again), and hashing 64 MiB costs about half a second of the machine's thread.
const CACHE_ENTRIES = 16;
const digestCache = new Map<string, string>();

function rememberDigest(length: number, seed: number, hex: string): void {
  const key = `${length}:${seed}`;
  digestCache.delete(key);
  digestCache.set(key, hex);
  while (digestCache.size > CACHE_ENTRIES) digestCache.delete(digestCache.keys().next().value!);
}

/** The digest if it was computed recently, else undefined (marks it as recently used). */
export function cachedBlobSha256(length: number, seed: number): string | undefined {
  const key = `${length}:${seed}`;
  const hex = digestCache.get(key);
  if (hex !== undefined) rememberDigest(length, seed, hex);
  return hex;
}

/** The hex SHA-256 of the blob, computed at once (cached). */
export function blobSha256(length: number, seed: number): string {
  return cachedBlobSha256(length, seed) ?? new BlobHasher(length, seed).step(Number.MAX_SAFE_INTEGER)!;
}

/**
 * Hashes the blob in slices of `sliceBytes`, calling `defer` between slices so that the
 * machine keeps running, then calls `done` with the hex digest (at once if cached).
 * Returns a function that cancels the work (the connection went away).
 */
export function hashBlobInSlices(
  length: number,
  seed: number,
  sliceBytes: number,
  defer: (fn: () => void) => void,
  done: (hex: string) => void,
): () => void {
  const cached = cachedBlobSha256(length, seed);
  if (cached !== undefined) {
    done(cached);
    return () => {};
  }
  return hashInSlices(new BlobHasher(length, seed), sliceBytes, defer, done);
}

/** Runs `hasher` to the end in slices (see hashBlobInSlices); returns the cancel function. */
export function hashInSlices(hasher: BlobHasher, sliceBytes: number, defer: (fn: () => void) => void, done: (hex: string) => void): () => void {
  let cancelled = false;
  const slice = (): void => {
    if (cancelled) return;
    const hex = hasher.step(sliceBytes);
    if (hex === undefined) defer(slice);
    else done(hex);
  };
  slice();
  return () => {
    cancelled = true;
  };
}
