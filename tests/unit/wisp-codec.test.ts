import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  closeReasonName, decodePacket, encodeExtensions, encodePacket, parseExtensions, type WispPacket,
} from "../../src/backends/net/wisp/packet.js";

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const packetArb: fc.Arbitrary<WispPacket> = fc.oneof(
  fc.record({ kind: fc.constant("connect" as const), streamId: u32, streamType: fc.integer({ min: 0, max: 255 }), port: fc.integer({ min: 0, max: 65535 }), hostname: fc.string({ unit: "grapheme", maxLength: 60 }) }),
  fc.record({ kind: fc.constant("data" as const), streamId: u32, data: fc.uint8Array({ maxLength: 300 }) }),
  fc.record({ kind: fc.constant("continue" as const), streamId: u32, bufferRemaining: u32 }),
  fc.record({ kind: fc.constant("close" as const), streamId: u32, reason: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant("info" as const), streamId: u32, major: fc.integer({ min: 0, max: 255 }), minor: fc.integer({ min: 0, max: 255 }), extensions: fc.uint8Array({ maxLength: 40 }) }),
);

describe("wisp packets", () => {
  it("lays packets out as the spec says: type, little-endian stream id, payload", () => {
    expect([...encodePacket({ kind: "connect", streamId: 0x01020304, streamType: 1, port: 0x1f90, hostname: "a.test" })])
      .toEqual([1, 4, 3, 2, 1, 1, 0x90, 0x1f, ...new TextEncoder().encode("a.test")]);
    expect([...encodePacket({ kind: "continue", streamId: 0, bufferRemaining: 128 })]).toEqual([3, 0, 0, 0, 0, 128, 0, 0, 0]);
    expect([...encodePacket({ kind: "close", streamId: 7, reason: 0x02 })]).toEqual([4, 7, 0, 0, 0, 2]);
    expect([...encodePacket({ kind: "data", streamId: 0xffffffff, data: new Uint8Array([9, 8]) })]).toEqual([2, 255, 255, 255, 255, 9, 8]);
    expect([...encodePacket({ kind: "info", streamId: 0, major: 2, minor: 0, extensions: new Uint8Array([1, 0, 0, 0, 0]) })])
      .toEqual([5, 0, 0, 0, 0, 2, 0, 1, 0, 0, 0, 0]);
  });

  it("round-trips every packet", () => {
    fc.assert(fc.property(packetArb, (p) => {
      const decoded = decodePacket(encodePacket(p));
      expect(decoded).toEqual(p.kind === "connect" ? { ...p, hostname: p.hostname } : p);
    }));
  });

  it("reports malformed packets without throwing: short headers, wrong lengths, unknown types, bad UTF-8", () => {
    const cases: [number[], RegExp][] = [
      [[], /shorter than a packet header/],
      [[3, 1, 0, 0], /shorter than a packet header/],
      [[3, 1, 0, 0, 0, 1, 2, 3], /CONTINUE with a 3-byte payload/],
      [[3, 1, 0, 0, 0, 1, 2, 3, 4, 5], /CONTINUE with a 5-byte payload/],
      [[4, 1, 0, 0, 0], /CLOSE with a 0-byte payload/],
      [[4, 1, 0, 0, 0, 2, 2], /CLOSE with a 2-byte payload/],
      [[5, 0, 0, 0, 0, 2], /INFO with a 1-byte payload/],
      [[1, 1, 0, 0, 0, 1, 80], /CONNECT with a 2-byte payload/],
      [[1, 1, 0, 0, 0, 1, 80, 0, 0xff, 0xfe], /not UTF-8/],
      [[0, 1, 0, 0, 0], /unknown packet type 0x00/],
      [[0x99, 1, 0, 0, 0, 1], /unknown packet type 0x99/],
    ];
    for (const [bytes, error] of cases) {
      const decoded = decodePacket(new Uint8Array(bytes));
      expect(decoded.kind).toBe("malformed");
      if (decoded.kind === "malformed") expect(decoded.error).toMatch(error);
    }
  });

  it("decodes any bytes at all without throwing, DATA as a view into the message", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const decoded = decodePacket(bytes);
      if (decoded.kind === "data") expect(decoded.data.buffer).toBe(bytes.buffer);
    }));
    expect(decodePacket(new Uint8Array([2, 1, 0, 0, 0]))).toEqual({ kind: "data", streamId: 1, data: new Uint8Array(0) });
  });

  it("parses INFO extension lists and refuses lengths past the end or absurd counts", () => {
    const list = [{ id: 1, payload: new Uint8Array(0) }, { id: 4, payload: new TextEncoder().encode("hello") }];
    expect(parseExtensions(encodeExtensions(list))).toEqual(list);
    expect(parseExtensions(new Uint8Array([4, 0xff, 0xff, 0xff, 0xff, 1]))).toEqual({ error: expect.stringMatching(/claims 4294967295 bytes, 1 left/) });
    expect(parseExtensions(new Uint8Array([4, 1, 0]))).toEqual({ error: expect.stringMatching(/cut short/) });
    expect(parseExtensions(new Uint8Array(5 * 65))).toEqual({ error: "more than 64 extensions" });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => void parseExtensions(bytes)));
  });

  it("names close reasons, known or not", () => {
    expect(closeReasonName(0x44)).toBe("connection refused (0x44)");
    expect(closeReasonName(0x02)).toBe("voluntary (0x02)");
    expect(closeReasonName(0x7e)).toBe("unknown reason (0x7e)");
  });
});
