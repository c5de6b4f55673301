import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  completePartialChecksum, hasTransmitOffload, internetChecksum, OffloadError, onesComplementSum, segmentTcp4, softwareOffload,
} from "../../src/backends/net/software-offload.js";

// An independent checksum: words gathered first, summed with end-around carry per word.
function refChecksum(...parts: number[][]): number {
  const bytes = parts.flat();
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) {
    sum += ((bytes[i] ?? 0) << 8) + (bytes[i + 1] ?? 0);
    if (sum > 0xffff) sum -= 0xffff;
  }
  return (0xffff - sum) & 0xffff;
}

const word = (b: Uint8Array, at: number) => (b[at]! << 8) | b[at + 1]!;
const long = (b: Uint8Array, at: number) => ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;

interface TcpSpec {
  payload: Uint8Array;
  seq?: number;
  id?: number;
  flags?: number;
  tcpOptions?: number; // 32-bit words of TCP options
  ipOptions?: number; // 32-bit words of IP options
  vlan?: boolean;
  padding?: number; // Ethernet padding bytes after the datagram
}

/** A TCP/IPv4 frame with correct checksums, and where its parts are. */
function tcpFrame(s: TcpSpec) {
  const l2 = s.vlan ? 18 : 14;
  const ipLen = 20 + 4 * (s.ipOptions ?? 0);
  const tcpLen = 20 + 4 * (s.tcpOptions ?? 0);
  const total = ipLen + tcpLen + s.payload.length;
  const f = new Uint8Array(l2 + total + (s.padding ?? 0));
  f.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1]);
  if (s.vlan) f.set([0x81, 0x00, 0x00, 0x05], 12);
  f.set([0x08, 0x00], l2 - 2);
  const ip = l2;
  f.set([0x40 | (ipLen / 4), 0, total >> 8, total & 0xff, (s.id ?? 7) >> 8, (s.id ?? 7) & 0xff, 0x40, 0, 64, 6, 0, 0, 10, 0, 2, 15, 93, 184, 216, 34], ip);
  for (let i = 20; i < ipLen; i++) f[ip + i] = 1; // NOP options
  const tcp = ip + ipLen;
  const seq = s.seq ?? 1000;
  f.set([0x9c, 0x40, 0x00, 0x50, seq >>> 24, (seq >>> 16) & 0xff, (seq >>> 8) & 0xff, seq & 0xff, 0, 0, 0, 1, (tcpLen / 4) << 4, s.flags ?? 0x18, 0xff, 0xff], tcp);
  for (let i = 20; i < tcpLen; i++) f[tcp + i] = 1;
  f.set(s.payload, tcp + tcpLen);
  const ipHeader = Array.from(f.subarray(ip, tcp));
  const ipSum = refChecksum(ipHeader);
  f.set([ipSum >> 8, ipSum & 0xff], ip + 10);
  const pseudo = [...f.subarray(ip + 12, ip + 20), 0, 6, (tcpLen + s.payload.length) >> 8, (tcpLen + s.payload.length) & 0xff];
  const tcpSum = refChecksum(pseudo, Array.from(f.subarray(tcp, ip + total)));
  f.set([tcpSum >> 8, tcpSum & 0xff], tcp + 16);
  return { frame: f, ip, tcp, payloadAt: tcp + tcpLen, pseudo };
}

/** The frame as a guest with checksum offload hands it over: the field holds the pseudo-header sum. */
function partialOf(t: ReturnType<typeof tcpFrame>): Uint8Array {
  const p = t.frame.slice();
  const pseudoSum = (0xffff - refChecksum(t.pseudo)) & 0xffff;
  p.set([pseudoSum >> 8, pseudoSum & 0xff], t.tcp + 16);
  return p;
}

/** Every check a receiver makes on one segment; returns its payload. */
function verifySegment(seg: Uint8Array, l2: number): Uint8Array {
  const ipLen = (seg[l2]! & 15) * 4;
  const total = word(seg, l2 + 2);
  expect(l2 + total).toBe(seg.length);
  expect(refChecksum(Array.from(seg.subarray(l2, l2 + ipLen)))).toBe(0);
  const tcp = l2 + ipLen;
  const tcpLen = total - ipLen;
  const pseudo = [...seg.subarray(l2 + 12, l2 + 20), 0, 6, tcpLen >> 8, tcpLen & 0xff];
  expect(refChecksum(pseudo, Array.from(seg.subarray(tcp)))).toBe(0);
  return seg.subarray(tcp + (seg[tcp + 12]! >> 4) * 4);
}

describe("checksums", () => {
  it("matches RFC 1071's worked example, odd lengths padded with a zero byte", () => {
    const b = new Uint8Array([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
    expect(onesComplementSum(b, 0, 8)).toBe(0xddf2);
    expect(internetChecksum(b, 0, 8)).toBe(0x220d);
    expect(internetChecksum(new Uint8Array([0x12, 0x34, 0x56]), 0, 3)).toBe(refChecksum([0x12, 0x34, 0x56, 0]));
  });

  it("agrees with an independent implementation on random data", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 3000 }), fc.integer({ min: 0, max: 0xffff }), (b, initial) => {
      const words = [initial >> 8, initial & 0xff];
      expect(internetChecksum(b, 0, b.length, initial)).toBe(refChecksum(words, Array.from(b)));
    }));
  });
});

describe("completePartialChecksum", () => {
  it("turns the pseudo-header sum into the real checksum, leaving the input alone", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), (payload) => {
      const t = tcpFrame({ payload });
      const partial = partialOf(t);
      const before = partial.slice();
      const done = completePartialChecksum(partial, t.tcp - 0, 16);
      expect(partial).toEqual(before);
      expect(refChecksum(t.pseudo, Array.from(done.subarray(t.tcp)))).toBe(0);
      // Zero and 0xffff are the same checksum; otherwise the bytes must match exactly.
      if (word(t.frame, t.tcp + 16) !== 0) expect(done).toEqual(t.frame);
    }));
  });

  it("writes a zero result as 0xffff", () => {
    // All-zero data with a zero pseudo sum sums to 0, whose complement is 0xffff; data of
    // 0xffff sums to 0xffff, whose complement 0 must become 0xffff.
    const f = new Uint8Array([0xff, 0xff, 0, 0]);
    expect(word(completePartialChecksum(f, 0, 2), 2)).toBe(0xffff);
  });

  it("rejects a field outside the frame", () => {
    expect(() => completePartialChecksum(new Uint8Array(40), 30, 9)).toThrow(OffloadError);
    expect(() => completePartialChecksum(new Uint8Array(40), -1, 2)).toThrow(OffloadError);
  });
});

describe("segmentTcp4", () => {
  it("cuts any TSO frame into valid segments whose payloads concatenate to the original", () => {
    fc.assert(fc.property(
      fc.record({
        // Up to 30 segments of any size, the last one anything from 1 byte to full.
        segments: fc.integer({ min: 0, max: 30 }), trim: fc.nat(), mss: fc.integer({ min: 1, max: 1460 }),
        seq: fc.integer({ min: 0, max: 0xffffffff }), id: fc.integer({ min: 0, max: 0xffff }),
        flags: fc.integer({ min: 0, max: 0xff }), tcpOptions: fc.integer({ min: 0, max: 10 }),
        ipOptions: fc.integer({ min: 0, max: 10 }), vlan: fc.boolean(), padding: fc.integer({ min: 0, max: 40 }),
      }),
      (r) => {
        const s = { ...r, length: Math.max(0, r.segments * r.mss - (r.trim % r.mss)) };
        const payload = Uint8Array.from({ length: s.length }, (_, i) => (i * 7 + s.seq) & 0xff);
        const t = tcpFrame({ ...s, payload });
        const segments = segmentTcp4(partialOf(t), s.mss);
        expect(segments.length).toBe(Math.max(1, Math.ceil(s.length / s.mss)));
        const l2 = s.vlan ? 18 : 14;
        const joined: number[] = [];
        segments.forEach((seg, i) => {
          const body = verifySegment(seg, l2);
          expect(body.length).toBeLessThanOrEqual(s.mss);
          expect(seg.subarray(0, l2)).toEqual(t.frame.subarray(0, l2));
          expect(word(seg, l2 + 4)).toBe((s.id + i) & 0xffff);
          expect(long(seg, t.tcp + 4)).toBe((s.seq + joined.length) % 2 ** 32);
          const last = i === segments.length - 1;
          const expected = s.flags & ~(last ? 0 : 0x09) & ~(i === 0 ? 0 : 0x80);
          expect(seg[t.tcp + 13]).toBe(expected);
          joined.push(...body);
        });
        // Compared by hand: toEqual on 40 KB arrays is slower than the segmentation itself.
        expect(joined.length).toBe(payload.length);
        expect(joined.every((v, i) => v === payload[i])).toBe(true);
      },
    ), { numRuns: 100 });
  });

  it("makes 45 full segments of a 64 KiB TSO frame", () => {
    const t = tcpFrame({ payload: new Uint8Array(65160).fill(0xab), flags: 0x19 });
    const segments = segmentTcp4(t.frame, 1448);
    expect(segments).toHaveLength(45);
    expect(segments.every((s) => s.length === 14 + 40 + 1448)).toBe(true);
    expect(segments.filter((s) => (s[t.tcp + 13]! & 0x01) !== 0)).toHaveLength(1);
  });

  it("refuses frames that are not TCP/IPv4 and bad segment sizes", () => {
    const t = tcpFrame({ payload: new Uint8Array(100) });
    const udp = t.frame.slice();
    udp[t.ip + 9] = 17;
    const arp = t.frame.slice();
    arp.set([0x08, 0x06], 12);
    const shortHeader = t.frame.slice(0, t.tcp + 10);
    shortHeader.set([0, t.tcp + 10 - t.ip], t.ip + 2);
    expect(() => segmentTcp4(udp, 100)).toThrow(OffloadError);
    expect(() => segmentTcp4(arp, 100)).toThrow(OffloadError);
    expect(() => segmentTcp4(shortHeader, 100)).toThrow(OffloadError);
    expect(() => segmentTcp4(t.frame, 0)).toThrow(OffloadError);
  });
});

describe("softwareOffload", () => {
  it("passes plain frames through, finishes checksums and segments TSO frames", () => {
    const t = tcpFrame({ payload: new Uint8Array(3000).fill(1) });
    const partial = partialOf(t);
    expect(softwareOffload({ bytes: t.frame })[0]).toBe(t.frame);
    expect(hasTransmitOffload({ bytes: t.frame, offload: { checksumValid: true } })).toBe(false);
    const done = softwareOffload({ bytes: partial, offload: { partialChecksum: { start: t.tcp, offset: 16 } } });
    expect(done).toEqual([t.frame]);
    const tso = { bytes: partial, offload: { tcpSegmentSize: 1000, partialChecksum: { start: t.tcp, offset: 16 } } };
    expect(hasTransmitOffload(tso)).toBe(true);
    expect(softwareOffload(tso)).toHaveLength(3);
  });
});
