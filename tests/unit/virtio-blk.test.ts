import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RecordingInterrupt, testModelOptions } from "../support/test-interrupt.js";
import { newDiskCounters, type Disk } from "../../src/backends/disk.js";
import { CheckedDisk } from "../../src/backends/checked-disk.js";
import { MemoryDisk } from "../../src/backends/memory-disk.js";
import {
  BLK_CONFIG, VIRTIO_BLK_F_BLK_SIZE, VIRTIO_BLK_F_DISCARD, VIRTIO_BLK_F_FLUSH, VIRTIO_BLK_F_RO, VIRTIO_BLK_F_SEG_MAX,
  VIRTIO_BLK_F_SIZE_MAX, VIRTIO_BLK_F_WRITE_ZEROES, VIRTIO_BLK_S_IOERR, VIRTIO_BLK_S_OK, VIRTIO_BLK_S_UNSUPP,
  VIRTIO_BLK_T_DISCARD, VIRTIO_BLK_T_FLUSH, VIRTIO_BLK_T_GET_ID, VIRTIO_BLK_T_GET_LIFETIME, VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT,
  VIRTIO_BLK_T_WRITE_ZEROES, VirtioBlk,
} from "../../src/devices/virtio-blk.js";
import { VirtioDeviceModel, type InterruptKind } from "../../src/virtio/device-model.js";
import { STATUS_DEVICE_NEEDS_RESET } from "../../src/virtio/features.js";
import { bringUp, MockDriver, readDeviceFeatures, type Part } from "../support/mock-driver.js";

const SECTOR = 512;

function setup(disk: Disk = new CheckedDisk(new MemoryDisk(1024)), opts: { features?: bigint } = {}) {
  const driver = new MockDriver(4 << 20);
  const device = new VirtioBlk(disk);
  const interrupts: InterruptKind[] = [];
  const logs: string[] = [];
  const model = new VirtioDeviceModel(device, driver.memory, testModelOptions({ interrupt: new RecordingInterrupt(interrupts), log: (m) => logs.push(m) }));
  const offered = readDeviceFeatures(model);
  const [queue] = bringUp(model, driver, opts.features === undefined ? {} : { features: opts.features });
  const q = queue!;
  /** Sends one request, kicks, and returns its status byte and used entry. */
  const request = (parts: Part[]) => {
    q.add(parts);
    model.notify(0);
    const used = q.takeUsed();
    expect(used.length).toBe(1);
    const u = used[0]!;
    return { status: u.data[u.len - 1], data: u.data.subarray(0, u.len - 1), len: u.len };
  };
  const write = (sector: number, data: Uint8Array, split: number[] = []) => request([{ read: header(VIRTIO_BLK_T_OUT, sector) }, ...pieces(data, split).map((p) => ({ read: p })), { write: 1 }]);
  const read = (sector: number, bytes: number, split: number[] = []) => request([{ read: header(VIRTIO_BLK_T_IN, sector) }, ...lengths(bytes, split).map((n) => ({ write: n })), { write: 1 }]);
  const segments = (type: number, segs: { sector: number | bigint; count: number; flags?: number }[]) =>
    request([{ read: header(type, 0) }, { read: segmentBytes(segs) }, { write: 1 }]);
  return { driver, device, model, q, disk, interrupts, logs, offered, request, write, read, segments };
}

function header(type: number, sector: number | bigint): Uint8Array {
  const h = new DataView(new ArrayBuffer(16));
  h.setUint32(0, type, true);
  h.setBigUint64(8, BigInt(sector), true);
  return new Uint8Array(h.buffer);
}

function segmentBytes(segs: { sector: number | bigint; count: number; flags?: number }[]): Uint8Array {
  const v = new DataView(new ArrayBuffer(16 * segs.length));
  segs.forEach((s, i) => {
    v.setBigUint64(16 * i, BigInt(s.sector), true);
    v.setUint32(16 * i + 8, s.count, true);
    v.setUint32(16 * i + 12, s.flags ?? 0, true);
  });
  return new Uint8Array(v.buffer);
}

/** Splits `total` at the given cut points (sorted, deduplicated, inside (0, total)). */
function lengths(total: number, cuts: number[]): number[] {
  const points = [...new Set(cuts.filter((c) => c > 0 && c < total))].sort((a, b) => a - b);
  const out: number[] = [];
  let last = 0;
  for (const p of [...points, total]) {
    out.push(p - last);
    last = p;
  }
  return out;
}

function pieces(data: Uint8Array, cuts: number[]): Uint8Array[] {
  let at = 0;
  return lengths(data.length, cuts).map((n) => data.slice(at, (at += n)));
}

/** Index of the first differing byte, or -1 (toEqual on big typed arrays is slow). */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  const i = Buffer.from(a.buffer, a.byteOffset, a.length).compare(Buffer.from(b.buffer, b.byteOffset, b.length));
  if (i === 0) return -1;
  for (let j = 0; j < a.length; j++) if (a[j] !== b[j]) return j;
  return -1;
}

function pattern(bytes: number, seed: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) out[i] = (seed * 31 + i * 7 + (i >> 9)) & 0xff;
  return out;
}

describe("virtio-blk config and features", () => {
  it("offers the block features and describes the disk in config space", () => {
    const { model, offered } = setup(new CheckedDisk(new MemoryDisk(5000)));
    for (const f of [VIRTIO_BLK_F_SIZE_MAX, VIRTIO_BLK_F_SEG_MAX, VIRTIO_BLK_F_BLK_SIZE, VIRTIO_BLK_F_FLUSH, VIRTIO_BLK_F_DISCARD, VIRTIO_BLK_F_WRITE_ZEROES]) {
      expect(offered & f).toBe(f);
    }
    expect(offered & VIRTIO_BLK_F_RO).toBe(0n);
    expect(model.readConfig(BLK_CONFIG.capacity, 4)).toBe(5000);
    expect(model.readConfig(BLK_CONFIG.capacity + 4, 4)).toBe(0);
    expect(model.readConfig(BLK_CONFIG.blkSize, 4)).toBe(512);
    expect(model.readConfig(BLK_CONFIG.segMax, 4)).toBe(254);
    expect(model.readConfig(BLK_CONFIG.sizeMax, 4)).toBeGreaterThanOrEqual(4096);
    expect(model.readConfig(BLK_CONFIG.maxDiscardSeg, 4)).toBeGreaterThan(0);
    expect(model.readConfig(BLK_CONFIG.maxWriteZeroesSectors, 4)).toBeGreaterThan(0);
    expect(model.readConfig(BLK_CONFIG.writeZeroesMayUnmap, 1)).toBe(1);
  });

  it("offers RO and no discard / write-zeroes for a read-only disk", () => {
    const { offered } = setup(new CheckedDisk(new MemoryDisk(64, { readOnly: true })));
    expect(offered & VIRTIO_BLK_F_RO).toBe(VIRTIO_BLK_F_RO);
    expect(offered & (VIRTIO_BLK_F_DISCARD | VIRTIO_BLK_F_WRITE_ZEROES)).toBe(0n);
  });
});

describe("virtio-blk requests", () => {
  it("writes and reads back across several data descriptors", () => {
    const { write, read, disk, interrupts } = setup();
    const data = pattern(3 * SECTOR, 1);
    const w = write(10, data, [100, 612, 1400]);
    expect(w.status).toBe(VIRTIO_BLK_S_OK);
    expect(w.len).toBe(1);
    const r = read(10, 3 * SECTOR, [1, 512, 1000]);
    expect(r.status).toBe(VIRTIO_BLK_S_OK);
    expect(r.len).toBe(3 * SECTOR + 1);
    expect(r.data).toEqual(data);
    // and the disk really holds it
    const direct = new Uint8Array(3 * SECTOR);
    disk.read(10, direct);
    expect(direct).toEqual(data);
    expect(interrupts[0]).toBe("queue");
  });

  it("completes a batch with one interrupt", () => {
    const { q, model, interrupts } = setup();
    for (let i = 0; i < 3; i++) q.addChain([{ read: header(VIRTIO_BLK_T_IN, i) }, { write: SECTOR }, { write: 1 }]);
    q.publish();
    model.notify(0);
    const used = q.takeUsed();
    expect(used.map((u) => u.data[u.len - 1])).toEqual([0, 0, 0]);
    expect(interrupts).toEqual(["queue"]);
  });

  it("counts its requests by type in its live figures (what the inspector's focus shows for the disk demo)", () => {
    const { request, write, read, segments, device } = setup();
    write(0, new Uint8Array(SECTOR));
    write(1, new Uint8Array(2 * SECTOR));
    read(0, SECTOR);
    request([{ read: header(VIRTIO_BLK_T_FLUSH, 0) }, { write: 1 }]);
    request([{ read: header(VIRTIO_BLK_T_GET_ID, 0) }, { write: 20 }, { write: 1 }]);
    segments(VIRTIO_BLK_T_DISCARD, [{ sector: 8, count: 8 }]);
    segments(VIRTIO_BLK_T_WRITE_ZEROES, [{ sector: 16, count: 8 }]);
    expect(request([{ read: header(VIRTIO_BLK_T_GET_LIFETIME, 0) }, { write: 48 }, { write: 1 }]).status).toBe(VIRTIO_BLK_S_UNSUPP);
    expect(device.stats().requests).toEqual({ read: 1, write: 2, flush: 1, getId: 1, discard: 1, writeZeroes: 1, unsupported: 1, ioErrors: 0 });
    // A copy: the figures handed out do not move under the reader.
    const before = device.stats().requests;
    read(0, SECTOR);
    expect([before.read, device.stats().requests.read]).toEqual([1, 2]);
  });

  it("counts flushes in the backend", () => {
    const { request, disk } = setup();
    expect(request([{ read: header(VIRTIO_BLK_T_FLUSH, 0) }, { write: 1 }]).status).toBe(VIRTIO_BLK_S_OK);
    expect(disk.counters.flushes).toBe(1);
    expect(request([{ read: header(VIRTIO_BLK_T_FLUSH, 0) }, { write: 1 }]).status).toBe(VIRTIO_BLK_S_OK);
    expect(disk.counters.flushes).toBe(2);
  });

  it("answers GET_ID with the disk's id, NUL-padded to 20 bytes", () => {
    const { request } = setup(new CheckedDisk(new MemoryDisk(8, { id: "disk-7" })));
    const r = request([{ read: header(VIRTIO_BLK_T_GET_ID, 0) }, { write: 20 }, { write: 1 }]);
    expect(r.status).toBe(VIRTIO_BLK_S_OK);
    expect(r.data).toEqual(Uint8Array.from([..."disk-7"].map((c) => c.charCodeAt(0)).concat(new Array(14).fill(0))));
    // 20-byte ids fill the buffer without a terminator; longer ones are cut.
    const long = setup(new CheckedDisk(new MemoryDisk(8, { id: "abcdefghijklmnopqrstuvwxyz" })));
    const l = long.request([{ read: header(VIRTIO_BLK_T_GET_ID, 0) }, { write: 20 }, { write: 1 }]);
    expect(new TextDecoder().decode(l.data)).toBe("abcdefghijklmnopqrst");
    // A buffer too small for the id is an error, not a short write.
    expect(request([{ read: header(VIRTIO_BLK_T_GET_ID, 0) }, { write: 8 }, { write: 1 }]).status).toBe(VIRTIO_BLK_S_IOERR);
  });

  it("discards whole chunks and zeroes partial ones in the backend", () => {
    const disk = new CheckedDisk(new MemoryDisk(1024));
    const { write, read, segments } = setup(disk);
    expect(write(0, pattern(256 * SECTOR, 3)).status).toBe(VIRTIO_BLK_S_OK); // chunks 0 and 1
    expect(disk.backend.allocatedChunks).toBe(2);
    expect(segments(VIRTIO_BLK_T_DISCARD, [{ sector: 0, count: 128 }, { sector: 200, count: 8 }]).status).toBe(VIRTIO_BLK_S_OK);
    expect(disk.counters.discards).toBe(2);
    expect(disk.backend.allocatedChunks).toBe(1);
    expect(read(0, 128 * SECTOR).data.every((b) => b === 0)).toBe(true);
    const r = read(128, 128 * SECTOR).data;
    expect(r.subarray(0, 72 * SECTOR)).toEqual(pattern(256 * SECTOR, 3).subarray(128 * SECTOR, 200 * SECTOR));
    expect(r.subarray(72 * SECTOR, 80 * SECTOR).every((b) => b === 0)).toBe(true);
  });

  it("write-zeroes reads back as zeros (with or without unmap)", () => {
    const disk = new CheckedDisk(new MemoryDisk(1024));
    const { write, read, segments } = setup(disk);
    write(0, pattern(300 * SECTOR, 4));
    expect(segments(VIRTIO_BLK_T_WRITE_ZEROES, [{ sector: 5, count: 10 }, { sector: 128, count: 128, flags: 1 }]).status).toBe(VIRTIO_BLK_S_OK);
    expect(disk.counters.writeZeroes).toBe(2);
    expect(disk.backend.allocatedChunks).toBe(2); // chunk 1 was freed
    const r = read(0, 300 * SECTOR).data;
    const expected = pattern(300 * SECTOR, 4);
    expected.fill(0, 5 * SECTOR, 15 * SECTOR);
    expected.fill(0, 128 * SECTOR, 256 * SECTOR);
    expect(r).toEqual(expected);
  });

  it("refuses bad discard / write-zeroes segments before touching the disk", () => {
    const disk = new CheckedDisk(new MemoryDisk(1024));
    const { write, segments, read, request } = setup(disk);
    const data = pattern(1024 * SECTOR, 5);
    write(0, data);
    const before = { ...disk.counters };
    // unmap on a discard, reserved flag bits: UNSUPP (spec 5.2.6.2)
    expect(segments(VIRTIO_BLK_T_DISCARD, [{ sector: 0, count: 8, flags: 1 }]).status).toBe(VIRTIO_BLK_S_UNSUPP);
    expect(segments(VIRTIO_BLK_T_WRITE_ZEROES, [{ sector: 0, count: 8, flags: 2 }]).status).toBe(VIRTIO_BLK_S_UNSUPP);
    // a later segment out of range fails the whole request, the first is not applied
    expect(segments(VIRTIO_BLK_T_WRITE_ZEROES, [{ sector: 0, count: 8 }, { sector: 1020, count: 8 }]).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(segments(VIRTIO_BLK_T_DISCARD, [{ sector: 0xffffffffffffffffn, count: 1 }]).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(segments(VIRTIO_BLK_T_WRITE_ZEROES, [{ sector: 0, count: 0xffffffff }]).status).toBe(VIRTIO_BLK_S_IOERR);
    // too many segments, or segments of the wrong size
    expect(segments(VIRTIO_BLK_T_WRITE_ZEROES, Array.from({ length: 9 }, (_, i) => ({ sector: i, count: 1 }))).status).toBe(VIRTIO_BLK_S_UNSUPP);
    expect(request([{ read: header(VIRTIO_BLK_T_DISCARD, 0) }, { read: new Uint8Array(10) }, { write: 1 }]).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(request([{ read: header(VIRTIO_BLK_T_DISCARD, 0) }, { write: 1 }]).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(disk.counters).toEqual(before);
    expect(read(0, 1024 * SECTOR).data).toEqual(data);
  });

  it("answers discard and write-zeroes with UNSUPP when the driver did not negotiate them", () => {
    const { segments, offered: _ } = setup(new CheckedDisk(new MemoryDisk(64)), { features: VIRTIO_BLK_F_FLUSH | (1n << 32n) });
    expect(segments(VIRTIO_BLK_T_DISCARD, [{ sector: 0, count: 1 }]).status).toBe(VIRTIO_BLK_S_UNSUPP);
    expect(segments(VIRTIO_BLK_T_WRITE_ZEROES, [{ sector: 0, count: 1 }]).status).toBe(VIRTIO_BLK_S_UNSUPP);
  });

  it("fails out-of-range reads and writes with IOERR and writes nothing", () => {
    const disk = new CheckedDisk(new MemoryDisk(64));
    const { write, read, logs, device } = setup(disk);
    expect(write(63, pattern(2 * SECTOR, 6)).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(write(64, pattern(SECTOR, 6)).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(write(2 ** 53, pattern(SECTOR, 6)).status).toBe(VIRTIO_BLK_S_IOERR);
    const hostile = setup(disk);
    expect(hostile.request([{ read: header(VIRTIO_BLK_T_OUT, 0xffffffffffffffffn) }, { read: pattern(SECTOR, 6) }, { write: 1 }]).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(read(64, SECTOR).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(read(60, 8 * SECTOR).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(disk.counters.bytesWritten).toBe(0);
    expect(disk.backend.allocatedChunks).toBe(0);
    expect(logs.some((l) => /virtio-blk: write: sectors 63\+2 are beyond the end of the disk \(64 sectors\): IOERR/.test(l))).toBe(true);
    expect(device.stats().requests.ioErrors).toBe(5);
    // a zero-length transfer at the very end is fine
    expect(read(64, 0).status).toBe(VIRTIO_BLK_S_OK);
  });

  it("refuses writes to a read-only disk with IOERR", () => {
    const disk = new CheckedDisk(MemoryDisk.fromImage(pattern(8 * SECTOR, 7), { readOnly: true }));
    const { write, read, segments } = setup(disk);
    expect(write(0, new Uint8Array(SECTOR)).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(segments(VIRTIO_BLK_T_DISCARD, [{ sector: 0, count: 1 }]).status).toBe(VIRTIO_BLK_S_UNSUPP);
    expect(read(0, 8 * SECTOR).data).toEqual(pattern(8 * SECTOR, 7));
    expect(disk.counters.bytesWritten).toBe(0);
  });

  it("refuses a read-only disk's writes even if the driver ignores RO", () => {
    const disk = new CheckedDisk(new MemoryDisk(8, { readOnly: true }));
    const { write } = setup(disk, { features: 1n << 32n });
    expect(write(0, new Uint8Array(SECTOR)).status).toBe(VIRTIO_BLK_S_IOERR);
  });

  it("answers unknown request types with UNSUPP", () => {
    const { request, logs } = setup();
    expect(request([{ read: header(99, 0) }, { write: 1 }]).status).toBe(VIRTIO_BLK_S_UNSUPP);
    expect(request([{ read: header(VIRTIO_BLK_T_GET_LIFETIME, 0) }, { write: 6 }, { write: 1 }]).status).toBe(VIRTIO_BLK_S_UNSUPP);
    expect(logs).toContain("virtio-blk: unsupported request type 99: UNSUPP");
  });

  it("fails data lengths that are not a multiple of 512 with IOERR", () => {
    const disk = new CheckedDisk(new MemoryDisk(64));
    const { write, read } = setup(disk);
    expect(write(0, pattern(100, 8)).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(write(0, pattern(513, 8)).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(read(0, 700).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(disk.counters.bytesWritten).toBe(0);
  });

  it("turns a backend failure into IOERR", () => {
    const broken: Disk = {
      sectorCount: 16, readOnly: false, id: "broken", counters: newDiskCounters(),
      read: () => { throw new Error("EIO"); }, write: () => { throw new Error("EIO"); },
      flush: () => { throw new Error("EIO"); }, discard: () => {}, writeZeroes: () => {},
    };
    const { read, write, request, logs, model } = setup(broken);
    expect(read(0, SECTOR).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(write(0, new Uint8Array(SECTOR)).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(request([{ read: header(VIRTIO_BLK_T_FLUSH, 0) }, { write: 1 }]).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(logs.some((l) => l.includes("read failed in the backend: EIO"))).toBe(true);
    expect(model.view().lastError).toBeUndefined();
  });
});

describe("virtio-blk protocol errors", () => {
  it("a request with no room for the status byte needs a reset", () => {
    const { q, model, disk } = setup();
    q.add([{ read: header(VIRTIO_BLK_T_OUT, 0) }, { read: new Uint8Array(SECTOR).fill(1) }]);
    model.notify(0);
    expect(model.view().lastError).toMatch(/no device-writable byte for the status/);
    expect(model.status & STATUS_DEVICE_NEEDS_RESET).toBe(STATUS_DEVICE_NEEDS_RESET);
    expect(q.usedIdx).toBe(0);
    expect(disk.counters.bytesWritten).toBe(0);
  });

  it("a header shorter than 16 bytes needs a reset", () => {
    const { q, model } = setup();
    q.add([{ read: new Uint8Array(8) }, { write: SECTOR }, { write: 1 }]);
    model.notify(0);
    expect(model.view().lastError).toMatch(/header is 8 bytes, expected 16/);
  });

  it("accepts a header split across descriptors", () => {
    const { request } = setup();
    const h = header(VIRTIO_BLK_T_IN, 3);
    expect(request([{ read: h.slice(0, 5) }, { read: h.slice(5) }, { write: SECTOR }, { write: 1 }]).status).toBe(VIRTIO_BLK_S_OK);
  });
});

describe("virtio-blk against a model of the disk", () => {
  const SECTORS = 300; // crosses two 64 KiB chunk boundaries
  type Op =
    | { kind: "write"; sector: number; count: number; seed: number; cuts: number[] }
    | { kind: "read"; sector: number; count: number; cuts: number[] }
    | { kind: "zero" | "discard"; sector: number; count: number };
  const sector = fc.integer({ min: 0, max: SECTORS + 4 });
  const count = fc.integer({ min: 0, max: 140 });
  const cuts = fc.array(fc.integer({ min: 1, max: 140 * SECTOR }), { maxLength: 4 });
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant("write" as const), sector, count, seed: fc.integer({ min: 0, max: 255 }), cuts }),
    fc.record({ kind: fc.constant("read" as const), sector, count, cuts }),
    fc.record({ kind: fc.constantFrom("zero" as const, "discard" as const), sector, count }),
  );

  it("random writes, reads, discards and write-zeroes match a plain byte array", () => {
    fc.assert(fc.property(fc.array(op, { minLength: 1, maxLength: 25 }), (ops) => {
      const env = setup(new CheckedDisk(new MemoryDisk(SECTORS)));
      const model = new Uint8Array(SECTORS * SECTOR);
      for (const o of ops) {
        const inRange = o.sector + o.count <= SECTORS;
        if (o.kind === "write") {
          const data = pattern(o.count * SECTOR, o.seed);
          const r = env.write(o.sector, data, o.cuts);
          expect(r.status).toBe(inRange ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR);
          if (inRange) model.set(data, o.sector * SECTOR);
        } else if (o.kind === "read") {
          const r = env.read(o.sector, o.count * SECTOR, o.cuts);
          expect(r.status).toBe(inRange ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR);
          if (inRange) expect(firstDifference(r.data, model.subarray(o.sector * SECTOR, (o.sector + o.count) * SECTOR))).toBe(-1);
        } else {
          const type = o.kind === "zero" ? VIRTIO_BLK_T_WRITE_ZEROES : VIRTIO_BLK_T_DISCARD;
          const r = env.segments(type, [{ sector: o.sector, count: o.count }]);
          expect(r.status).toBe(inRange ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR);
          // The memory disk zeroes discarded sectors too (discard only promises "unspecified").
          if (inRange) model.fill(0, o.sector * SECTOR, (o.sector + o.count) * SECTOR);
        }
      }
      const all = new Uint8Array(SECTORS * SECTOR);
      env.disk.read(0, all);
      expect(firstDifference(all, model)).toBe(-1);
      expect(env.model.view().lastError).toBeUndefined();
    }), { numRuns: 150 });
  });
});
