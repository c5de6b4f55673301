// The inspector's decoders against arbitrary bytes and arbitrary chains: they never throw,
// their output is bounded whatever the guest wrote (layers, fields, characters), and a
// chain's decode copies at most DECODE_BYTES from each side.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ArrayGuestMemory } from "../../src/memory/guest-memory.js";
import { decodeBlkRequest } from "../../src/inspect/decode/blk-request.js";
import { ByteReader } from "../../src/inspect/decode/bytes.js";
import { chainBytes, DECODE_BYTES } from "../../src/inspect/decode/chain-bytes.js";
import { decodeChain } from "../../src/inspect/decode/chain-decode.js";
import type { DecodedLayer, LayerDraft } from "../../src/inspect/decode/layer.js";
import { decodeNetFrame } from "../../src/inspect/decode/net-frame.js";
import { decodeNinepMessage } from "../../src/inspect/decode/ninep-message.js";
import type { DescriptorView, SlotStatus } from "../../src/inspect/types.js";

const RUNS = { numRuns: 400 };

function bounded(layers: readonly (LayerDraft | DecodedLayer)[]): void {
  expect(layers.length).toBeLessThanOrEqual(5);
  for (const l of layers) {
    expect(l.fields.length).toBeLessThanOrEqual(24);
    for (const f of l.fields) expect(f.value.length).toBeLessThanOrEqual(512);
    expect(l.problem === undefined || /^(truncated|malformed): /.test(l.problem)).toBe(true);
  }
}

/** Bytes that often look like the real thing: a plausible prefix, then noise. */
const bytes = (prefix: number[]) => fc.uint8Array({ maxLength: 600 }).map((b) => Uint8Array.from([...prefix, ...b]));
const lengths = fc.integer({ min: 0, max: 0xffffffff });

describe("decoders on arbitrary bytes", () => {
  it("net frames", () => {
    const ipv4Frame = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 8, 0];
    fc.assert(fc.property(fc.oneof(bytes([]), bytes(ipv4Frame), bytes([...ipv4Frame, 0x45])), lengths, (b, total) => {
      bounded(decodeNetFrame(new ByteReader(b, Math.max(total, b.length))));
    }), RUNS);
  });

  it("9P messages", () => {
    fc.assert(fc.property(fc.oneof(bytes([]), bytes([40, 0, 0, 0, 110]), bytes([30, 0, 0, 0, 72])), lengths, (b, total) => {
      bounded([decodeNinepMessage(new ByteReader(b, Math.max(total, b.length)))]);
    }), RUNS);
  });

  it("virtio-blk requests", () => {
    fc.assert(fc.property(bytes([]), lengths, fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined }), (b, writable, last) => {
      const c = {
        readable: new ByteReader(b), writable: new ByteReader(new Uint8Array(0), 0, "writable" as const), writableTotal: writable, stale: last === undefined,
        segments: { readable: [], writable: [] }, staleDescriptors: [], ...(last === undefined ? {} : { lastWritable: last }),
      };
      bounded(decodeBlkRequest(c));
    }), RUNS);
  });
});

describe("chains of arbitrary descriptors", () => {
  const ram = Uint8Array.from({ length: 1 << 16 }, (_, i) => (i * 151 + 7) & 0xff);
  const memory = new ArrayGuestMemory(1 << 16, () => ram);
  const descriptor = fc.record({
    addr: fc.oneof(fc.integer({ min: 0, max: 1 << 16 }), fc.integer({ min: 0, max: 2 ** 40 })),
    len: fc.oneof(fc.integer({ min: 0, max: 2000 }), lengths),
    flags: fc.integer({ min: 0, max: 7 }),
  }).map((d): DescriptorView => ({ index: 0, addr: d.addr, len: d.len, flags: d.flags, flagNames: [], next: 0, indirect: false }));
  const status = fc.constantFrom<SlotStatus>("free", "available", "held", "used");

  it("never throw, copy at most DECODE_BYTES a side, and place every layer on a listed descriptor", () => {
    fc.assert(fc.property(fc.array(descriptor, { maxLength: 12 }), status, fc.option(lengths, { nil: undefined }), fc.constantFrom("net-frame", "blk-request", "9p-message", "none" as const), (descriptors, s, written, format) => {
      const input = written === undefined ? { descriptors, status: s } : { descriptors, status: s, written };
      const c = chainBytes(memory, input);
      expect(c.readable.length).toBeLessThanOrEqual(DECODE_BYTES);
      expect(c.writable.length).toBeLessThanOrEqual(DECODE_BYTES);
      const result = decodeChain(memory, format, input);
      bounded(result.decoded);
      for (const l of result.decoded) expect(l.descriptor).toBeLessThan(descriptors.length);
      for (const i of result.stale) expect(descriptors[i]!.flags & 2).toBe(2);
    }), RUNS);
  });
});
