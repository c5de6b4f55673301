import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Sha256, sha256Hex } from "../../src/backends/net/services/sha256.js";

const nodeSha256 = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

describe("incremental SHA-256", () => {
  it("matches the FIPS 180-4 example digests", () => {
    expect(sha256Hex(ascii(""))).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(sha256Hex(ascii("abc"))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(sha256Hex(ascii("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))).toBe(
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    );
    expect(sha256Hex(new Uint8Array(1_000_000).fill(0x61))).toBe("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  });

  it("agrees with node:crypto for every length around the padding boundaries", () => {
    const data = new Uint8Array(300).map((_, i) => (i * 131 + 7) & 0xff);
    for (let n = 0; n <= data.length; n++) expect(sha256Hex(data.subarray(0, n)), `length ${n}`).toBe(nodeSha256(data.subarray(0, n)));
  });

  it("agrees with node:crypto for random data fed in random pieces", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.array(fc.nat({ max: 3000 }), { maxLength: 12 }), (data, cuts) => {
        const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
        const hash = new Sha256();
        let from = 0;
        for (const p of [...points, data.length]) {
          hash.update(data.subarray(from, p));
          from = p;
        }
        expect(hash.length).toBe(data.length);
        expect(hash.digestHex()).toBe(nodeSha256(data));
      }),
      { numRuns: 500 },
    );
  });

  it("reads from views at any byte offset of their buffer", () => {
    const backing = new Uint8Array(1000).map((_, i) => i & 0xff);
    for (const offset of [1, 2, 3, 5, 63]) {
      const view = backing.subarray(offset, offset + 700);
      expect(sha256Hex(view)).toBe(nodeSha256(view));
    }
  });

  it("digest() is a snapshot: hashing goes on afterwards, and reset() starts over", () => {
    const a = ascii("hello, "), b = ascii("world");
    const hash = new Sha256().update(a);
    expect(hash.digestHex()).toBe(nodeSha256(a));
    hash.update(b);
    expect(hash.digestHex()).toBe(nodeSha256(ascii("hello, world")));
    expect(hash.reset().update(b).digestHex()).toBe(nodeSha256(b));
  });

  it("hashes 16 MB fed in 64 KiB pieces as node:crypto does", () => {
    // Its speed belongs to the benchmarks (the download's host-stack share), not to a test:
    // a wall-clock floor here failed on a loaded machine without anything being wrong.
    const data = new Uint8Array(16 << 20).map((_, i) => Math.imul(i, 0x9e3779b1) >>> 24);
    const hash = new Sha256();
    for (let at = 0; at < data.length; at += 65536) hash.update(data.subarray(at, at + 65536));
    expect(hash.digestHex()).toBe(nodeSha256(data));
  });
});
