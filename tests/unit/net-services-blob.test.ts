import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { BlobHasher, BlobReader, blobSha256, cachedBlobSha256, fillBlob, hashBlobInSlices } from "../../src/backends/net/services/blob.js";

const nodeSha256 = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

// The algorithm as documented in blob.ts, written again with BigInt arithmetic.
const M = 0xffffffffn;
function refMix(x: bigint): bigint {
  x ^= x >> 16n;
  x = (x * 0x85ebca6bn) & M;
  x ^= x >> 13n;
  x = (x * 0xc2b2ae35n) & M;
  return x ^ (x >> 16n);
}
function referenceBlob(length: number, seed: number): Uint8Array {
  const key = refMix(BigInt(seed) ^ 0x5eed5eedn);
  const out = new Uint8Array(length);
  for (let j = 0; j < length; j++) {
    const word = refMix((BigInt(Math.floor(j / 4)) * 0x9e3779b9n + key) & M);
    out[j] = Number((word >> BigInt(8 * (j % 4))) & 0xffn);
  }
  return out;
}

describe("deterministic blobs", () => {
  const reference = referenceBlob(4099, 12345);

  it("match the documented algorithm, and a pinned digest", () => {
    const out = new Uint8Array(reference.length);
    fillBlob(12345, 0, out);
    expect(out).toEqual(reference);
    expect(blobSha256(4099, 12345)).toBe(nodeSha256(reference));
    // Pinned values, so that a change of algorithm cannot pass unnoticed (and a guest-side
    // reimplementation has something to check against).
    expect(Buffer.from(new BlobReader(16, 0).read(16)).toString("hex")).toBe("e23cd084af114e3f38c7b28a72926223");
    expect(blobSha256(4099, 12345)).toBe("80decee139376eb0b1a5d403dea797d862735accb3ad8e10abc8545ab5f8e36f");
    expect(blobSha256(1 << 20, 1)).toBe("862adccc2d21cd68da5a6458ff63ab32b069a27cd0eb1fbbd92a87002d8068d6");
  });

  it("give the same bytes at any offset, length and output alignment", () => {
    fc.assert(
      fc.property(fc.nat({ max: reference.length }), fc.nat({ max: 200 }), fc.nat({ max: 7 }), (offset, len, align) => {
        const n = Math.min(len, reference.length - offset);
        const backing = new Uint8Array(n + 8);
        const out = backing.subarray(align, align + n);
        fillBlob(12345, offset, out);
        expect(Buffer.from(out).equals(reference.subarray(offset, offset + n))).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it("give the same bytes for pieces longer than fillBlob's scratch words (16 KiB), at any offset and alignment", () => {
    const long = referenceBlob(40_000, 777);
    fc.assert(
      fc.property(fc.nat({ max: long.length }), fc.nat({ max: long.length }), fc.nat({ max: 7 }), (offset, len, align) => {
        const n = Math.min(len, long.length - offset);
        const out = new Uint8Array(n + 8).subarray(align, align + n);
        fillBlob(777, offset, out);
        expect(Buffer.from(out).equals(long.subarray(offset, offset + n))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it("read the same through any chunking", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 1500 }), { minLength: 1, maxLength: 20 }), (sizes) => {
        const reader = new BlobReader(reference.length, 12345);
        const parts: Uint8Array[] = [];
        for (let i = 0; reader.remaining > 0; i++) parts.push(reader.read(sizes[i % sizes.length]!));
        expect(Buffer.concat(parts).equals(reference)).toBe(true);
        expect(reader.read(10).length).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it("differ between seeds and never repeat a word early", () => {
    const a = new Uint8Array(4096), b = new Uint8Array(4096);
    fillBlob(1, 0, a);
    fillBlob(2, 0, b);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
    const words = new Set(new Uint32Array(a.buffer));
    expect(words.size).toBe(1024);
  });

  it("refuse bad lengths, seeds and offsets", () => {
    expect(() => new BlobReader(-1, 0)).toThrow(RangeError);
    expect(() => new BlobReader(1.5, 0)).toThrow(RangeError);
    expect(() => new BlobReader(10, 2 ** 32)).toThrow(RangeError);
    expect(() => new BlobReader(10, -1)).toThrow(RangeError);
    expect(() => fillBlob(0, -4, new Uint8Array(4))).toThrow(RangeError);
  });

  it("hash a 64 MiB blob to node:crypto's digest, and remember it", () => {
    const length = 64 << 20, seed = 7;
    const bytes = new Uint8Array(length);
    fillBlob(seed, 0, bytes);
    expect(cachedBlobSha256(length, seed)).toBeUndefined();
    const start = performance.now();
    const hex = blobSha256(length, seed);
    console.log(`blobSha256 64 MiB: ${(performance.now() - start).toFixed(0)} ms`);
    expect(hex).toBe(nodeSha256(bytes));
    expect(cachedBlobSha256(length, seed)).toBe(hex);
  });

  it("hash in slices with the machine running in between, and can be cancelled", () => {
    const pending: (() => void)[] = [];
    const defer = (fn: () => void): void => void pending.push(fn);
    let result: string | undefined;
    hashBlobInSlices(1_000_003, 99, 100_000, defer, (hex) => (result = hex));
    let slices = 1;
    while (pending.length > 0) {
      expect(result).toBeUndefined();
      pending.shift()!();
      slices++;
    }
    expect(slices).toBe(11);
    expect(result).toBe(nodeSha256(referenceBlob(1_000_003, 99)));

    let late: string | undefined;
    const cancel = hashBlobInSlices(500_000, 98, 100_000, defer, (hex) => (late = hex));
    cancel();
    while (pending.length > 0) pending.shift()!();
    expect(late).toBeUndefined();
    // A cached digest is answered at once.
    let cached: string | undefined;
    hashBlobInSlices(1_000_003, 99, 100_000, defer, (hex) => (cached = hex));
    expect(cached).toBe(result);
    expect(pending).toHaveLength(0);
  });

  it("BlobHasher hashes empty and odd-sized blobs", () => {
    expect(new BlobHasher(0, 5).step(1)).toBe(nodeSha256(new Uint8Array(0)));
    const h = new BlobHasher(70_001, 5);
    let hex: string | undefined;
    while ((hex = h.step(9_999)) === undefined);
    expect(hex).toBe(nodeSha256(referenceBlob(70_001, 5)));
  });
});
