import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CAPTURE_SNAPLEN, enhancedPacketBlock, interfaceDescriptionBlock, interfaceStatisticsBlock, interfaceStatisticsBytes, sectionHeaderBlock,
} from "../../src/backends/net/capture/pcapng-blocks.js";
import { CLOSING_RESERVE_BYTES, MemoryCaptureSink } from "../../src/backends/net/capture/capture-sink.js";
import { PacketCapture } from "../../src/backends/net/capture/packet-capture.js";

interface Block {
  type: number;
  body: DataView;
  bytes: Uint8Array;
}

/** Walks a file block by block, checking each block's two length fields agree and are multiples of 4. */
function blocks(file: Uint8Array): Block[] {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const out: Block[] = [];
  for (let at = 0; at < file.length; ) {
    const total = view.getUint32(at + 4, true);
    expect(total % 4).toBe(0);
    expect(view.getUint32(at + total - 4, true)).toBe(total);
    out.push({ type: view.getUint32(at, true), body: new DataView(file.buffer, file.byteOffset + at + 8, total - 12), bytes: file.subarray(at, at + total) });
    at += total;
  }
  return out;
}

/** Options from `offset` in a block body: code to value. */
function options(body: DataView, offset: number): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  for (let at = offset; ; ) {
    const code = body.getUint16(at, true);
    const length = body.getUint16(at + 2, true);
    if (code === 0) {
      expect(length).toBe(0);
      expect(at + 4).toBe(body.byteLength);
      return out;
    }
    out.set(code, new Uint8Array(body.buffer, body.byteOffset + at + 4, length));
    at += 4 + ((length + 3) & ~3);
  }
}

const text = (b: Uint8Array | undefined) => new TextDecoder().decode(b);
const frame = (n: number, fill = 0xab) => new Uint8Array(n).fill(fill);

describe("pcapng blocks", () => {
  it("writes a section header: magic, version 1.0, unknown section length, the application", () => {
    const [shb] = blocks(sectionHeaderBlock("ringside"));
    expect(shb!.type).toBe(0x0a0d0d0a);
    expect(shb!.body.getUint32(0, true)).toBe(0x1a2b3c4d);
    expect([shb!.body.getUint16(4, true), shb!.body.getUint16(6, true)]).toEqual([1, 0]);
    expect([shb!.body.getInt32(8, true), shb!.body.getInt32(12, true)]).toEqual([-1, -1]);
    expect(text(options(shb!.body, 16).get(4))).toBe("ringside");
  });

  it("describes an Ethernet interface with its name, description, microsecond timestamps and MAC", () => {
    const mac = Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, 0x56);
    const [idb] = blocks(interfaceDescriptionBlock({ name: "eth0", description: "frames as the guest sees them", mac }));
    expect(idb!.type).toBe(1);
    expect(idb!.body.getUint16(0, true)).toBe(1);
    expect(idb!.body.getUint32(4, true)).toBe(CAPTURE_SNAPLEN);
    const opts = options(idb!.body, 8);
    expect(text(opts.get(2))).toBe("eth0");
    expect(text(opts.get(3))).toBe("frames as the guest sees them");
    expect([...opts.get(9)!]).toEqual([6]);
    expect([...opts.get(6)!]).toEqual([...mac]);
  });

  it.each([60, 61, 62, 63, 1514, 65549])("pads a %i-byte frame to 4 bytes and keeps its lengths", (n) => {
    const timestampUs = 1_765_000_000_123_456; // high word nonzero
    const [epb] = blocks(enhancedPacketBlock({ interfaceId: 1, timestampUs, frame: frame(n), direction: "from-guest" }));
    expect(epb!.type).toBe(6);
    const b = epb!.body;
    expect(b.getUint32(0, true)).toBe(1);
    expect(b.getUint32(4, true) * 2 ** 32 + b.getUint32(8, true)).toBe(timestampUs);
    expect([b.getUint32(12, true), b.getUint32(16, true)]).toEqual([n, n]);
    const padded = (n + 3) & ~3;
    expect(epb!.bytes.length).toBe(12 + 20 + padded + 12);
    expect(new Uint8Array(b.buffer, b.byteOffset + 20, n).every((x) => x === 0xab)).toBe(true);
    expect(new Uint8Array(b.buffer, b.byteOffset + 20 + n, padded - n).every((x) => x === 0)).toBe(true);
    expect(new DataView(options(b, 20 + padded).get(2)!.slice().buffer).getUint32(0, true)).toBe(2); // outbound
  });

  it("marks frames to the guest inbound and cuts a frame beyond the snap length", () => {
    const [epb] = blocks(enhancedPacketBlock({ interfaceId: 0, timestampUs: 5, frame: frame(CAPTURE_SNAPLEN + 3), direction: "to-guest" }));
    expect([epb!.body.getUint32(12, true), epb!.body.getUint32(16, true)]).toEqual([CAPTURE_SNAPLEN, CAPTURE_SNAPLEN + 3]);
    expect(new DataView(options(epb!.body, 20 + CAPTURE_SNAPLEN).get(2)!.slice().buffer).getUint32(0, true)).toBe(1);
  });

  it("sizes the statistics block as interfaceStatisticsBytes says", () => {
    const comment = "7 of 9 frames were not recorded";
    const isb = interfaceStatisticsBlock({ interfaceId: 0, startUs: 1, endUs: 2, seen: 9, recorded: 2, dropped: 7, comment });
    expect(isb.length).toBe(interfaceStatisticsBytes(comment.length));
    const opts = options(blocks(isb)[0]!.body, 12);
    expect(text(opts.get(1))).toBe(comment);
    expect(new DataView(opts.get(7)!.slice().buffer).getUint32(0, true)).toBe(7);
    expect(new DataView(opts.get(4)!.slice().buffer).getUint32(0, true)).toBe(9);
  });
});

describe("PacketCapture", () => {
  it("writes the header, a block per frame in order, and statistics at stop", () => {
    const sink = new MemoryCaptureSink(1 << 20);
    let now = 1_700_000_000_000.5;
    const capture = new PacketCapture({ interfaces: [{ name: "eth0", description: "a" }, { name: "eth1", description: "b" }], sink, clockMs: () => now });
    capture.record(0, "from-guest", frame(42, 1));
    now += 1.25;
    capture.record(1, "to-guest", frame(1600, 2));
    capture.record(7, "to-guest", frame(10)); // no such interface: ignored
    const counts = capture.stop();
    expect(counts).toMatchObject({ seen: 2, recorded: 2, dropped: 0, running: false, started: true });
    capture.record(0, "from-guest", frame(42)); // after stop: nothing
    expect(blocks(sink.bytes()).map((b) => b.type)).toEqual([0x0a0d0d0a, 1, 1, 6, 6, 5, 5]);
    const epbs = blocks(sink.bytes()).filter((b) => b.type === 6);
    const us = (b: Block) => b.body.getUint32(4, true) * 2 ** 32 + b.body.getUint32(8, true);
    expect(us(epbs[1]!) - us(epbs[0]!)).toBe(1250);
    expect(epbs[1]!.body.getUint32(0, true)).toBe(1);
  });

  it("holds at most its limit, counts the frames it dropped, and still closes the file with statistics", () => {
    const limit = CLOSING_RESERVE_BYTES + 8 * 1024;
    const sink = new MemoryCaptureSink(limit);
    const capture = new PacketCapture({ interfaces: [{ name: "eth0", description: "x" }], sink, clockMs: () => 1000 });
    for (let i = 0; i < 40; i++) capture.record(0, i % 2 ? "to-guest" : "from-guest", frame(1000));
    const counts = capture.stop();
    expect(counts.seen).toBe(40);
    expect(counts.recorded).toBeGreaterThan(0);
    expect(counts.dropped).toBe(40 - counts.recorded);
    expect(counts.dropped).toBeGreaterThan(20);
    expect(sink.byteLength).toBeLessThanOrEqual(limit);
    const all = blocks(sink.bytes());
    expect(all.filter((b) => b.type === 6).length).toBe(counts.recorded);
    const isb = all.at(-1)!;
    expect(isb.type).toBe(5);
    expect(text(options(isb.body, 12).get(1))).toContain(`${counts.dropped} of 40 frames were not recorded`);
  });

  it("records nothing when even the header does not fit", () => {
    const capture = new PacketCapture({ interfaces: [{ name: "eth0", description: "x" }], sink: new MemoryCaptureSink(16), clockMs: () => 0 });
    capture.record(0, "from-guest", frame(60));
    expect(capture.summary()).toMatchObject({ started: false, seen: 0, recorded: 0 });
  });

  it("makes a file tcpdump reads, frames and statistics alike", () => {
    const sink = new MemoryCaptureSink(CLOSING_RESERVE_BYTES + 4096);
    const capture = new PacketCapture({ interfaces: [{ name: "eth0", description: "x" }], sink, clockMs: () => 1_700_000_000_000 });
    // An ARP request: broadcast destination, type 0x0806, 28 bytes of ARP, padded to 60.
    const arp = new Uint8Array(60);
    arp.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0, 0x12, 0x34, 0x56, 0x08, 0x06, 0, 1, 8, 0, 6, 4, 0, 1]);
    for (let i = 0; i < 100; i++) capture.record(0, "from-guest", arp);
    const { recorded, dropped } = capture.stop();
    expect(dropped).toBeGreaterThan(0);
    const path = join(mkdtempSync(join(tmpdir(), "pcapng-")), "t.pcapng");
    writeFileSync(path, sink.bytes());
    const out = execFileSync("tcpdump", ["-r", path, "-nn"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    const lines = out.trim().split("\n");
    expect(lines.length).toBe(recorded);
    expect(lines[0]).toMatch(/ARP, Request/);
  });
});
