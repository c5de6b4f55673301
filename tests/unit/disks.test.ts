import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CheckedDisk } from "../../src/backends/checked-disk.js";
import { SECTOR_SIZE } from "../../src/backends/disk.js";
import { MEMORY_CHUNK_BYTES, MemoryDisk } from "../../src/backends/memory-disk.js";
import { NodeFileDisk } from "../../src/backends/node-file-disk.js";
import { OverlayDisk } from "../../src/backends/overlay-disk.js";

const CHUNK_SECTORS = MEMORY_CHUNK_BYTES / SECTOR_SIZE;

function bytes(sectors: number, seed: number): Uint8Array {
  const out = new Uint8Array(sectors * SECTOR_SIZE);
  for (let i = 0; i < out.length; i++) out[i] = (seed + i * 13 + (i >> 9)) & 0xff || 1;
  return out;
}

function readAll(disk: { sectorCount: number; read(s: number, into: Uint8Array): void }, sector = 0, count = disk.sectorCount - sector): Uint8Array {
  const out = new Uint8Array(count * SECTOR_SIZE);
  disk.read(sector, out);
  return out;
}

/** toEqual on big typed arrays is slow: compare as Buffers, report the first difference. */
function expectBytes(actual: Uint8Array, expected: Uint8Array): void {
  if (Buffer.from(actual).equals(Buffer.from(expected))) return;
  const at = actual.findIndex((b, i) => b !== expected[i]);
  expect({ length: actual.length, firstDifference: at }).toEqual({ length: expected.length, firstDifference: -1 });
}

const isZero = (b: Uint8Array) => b.every((x) => x === 0);

describe("MemoryDisk", () => {
  it("is sparse: nothing allocated until written, unwritten sectors read as zeros", () => {
    const disk = new CheckedDisk(new MemoryDisk(2 ** 31)); // 1 TiB costs nothing
    expect(disk.backend.allocatedChunks).toBe(0);
    expect(isZero(readAll(disk, 12345, 64))).toBe(true);
    disk.write(2 ** 31 - 1, bytes(1, 1));
    expect(disk.backend.allocatedChunks).toBe(1);
    expectBytes(readAll(disk, 2 ** 31 - 1, 1), bytes(1, 1));
  });

  it("writes and reads across chunk boundaries", () => {
    const disk = new CheckedDisk(new MemoryDisk(4 * CHUNK_SECTORS));
    const data = bytes(CHUNK_SECTORS + 20, 2);
    disk.write(CHUNK_SECTORS - 10, data);
    expect(disk.backend.allocatedChunks).toBe(3);
    expectBytes(readAll(disk, CHUNK_SECTORS - 10, CHUNK_SECTORS + 20), data);
    expect(disk.counters).toMatchObject({ bytesWritten: data.length, bytesRead: data.length });
  });

  it("discard and write-zeroes free whole chunks and zero partial ones", () => {
    const disk = new CheckedDisk(new MemoryDisk(4 * CHUNK_SECTORS));
    disk.write(0, bytes(3 * CHUNK_SECTORS, 3));
    expect(disk.backend.allocatedChunks).toBe(3);
    disk.discard(CHUNK_SECTORS - 1, CHUNK_SECTORS + 2); // all of chunk 1, a sector either side
    expect(disk.backend.allocatedChunks).toBe(2);
    expect(disk.backend.hasChunk(1)).toBe(false);
    expect(isZero(readAll(disk, CHUNK_SECTORS - 1, CHUNK_SECTORS + 2))).toBe(true);
    expectBytes(readAll(disk, 0, CHUNK_SECTORS - 1), bytes(3 * CHUNK_SECTORS, 3).subarray(0, (CHUNK_SECTORS - 1) * SECTOR_SIZE));
    disk.writeZeroes(2 * CHUNK_SECTORS, CHUNK_SECTORS);
    expect(disk.backend.allocatedChunks).toBe(1);
    expect(disk.counters).toMatchObject({ discards: 1, writeZeroes: 1 });
  });

  it("refuses out-of-range and partial-sector access, and writes when read-only", () => {
    const disk = new CheckedDisk(new MemoryDisk(8));
    expect(() => disk.read(7, new Uint8Array(2 * SECTOR_SIZE))).toThrow(RangeError);
    expect(() => disk.write(-1, new Uint8Array(SECTOR_SIZE))).toThrow(RangeError);
    expect(() => disk.write(0, new Uint8Array(100))).toThrow(RangeError);
    expect(() => disk.discard(4, 5)).toThrow(RangeError);
    const ro = new CheckedDisk(MemoryDisk.fromImage(bytes(2, 4), { readOnly: true }));
    expect(ro.sectorCount).toBe(2);
    expect(() => ro.write(0, new Uint8Array(SECTOR_SIZE))).toThrow(/read-only/);
    expect(() => ro.writeZeroes(0, 1)).toThrow(/read-only/);
    expectBytes(readAll(ro), bytes(2, 4));
  });

  it("rounds a partial-sector image up with zeros", () => {
    const disk = new CheckedDisk(MemoryDisk.fromImage(new Uint8Array(600).fill(9)));
    expect(disk.sectorCount).toBe(2);
    const all = readAll(disk);
    expect(isZero(all.subarray(600))).toBe(true);
    expect(all.subarray(0, 600).every((b) => b === 9)).toBe(true);
  });
});

describe("OverlayDisk", () => {
  const SECTORS = 3 * CHUNK_SECTORS + 7; // the last chunk is partial
  const image = bytes(SECTORS, 5);
  const setup = () => {
    // The base wrapped too: its counters prove the overlay never writes it.
    const base = new CheckedDisk(MemoryDisk.fromImage(image, { readOnly: true, id: "base" }));
    return { base, overlay: new CheckedDisk(new OverlayDisk(base)) };
  };

  it("reads the base until written", () => {
    const { overlay } = setup();
    expect(overlay.readOnly).toBe(false);
    expect(overlay.sectorCount).toBe(SECTORS);
    expect(overlay.id).toBe("base");
    expectBytes(readAll(overlay), image);
    expect(overlay.backend.ownedChunks).toBe(0);
  });

  it("writes go to the overlay, keep the rest of the chunk, and never touch the base", () => {
    const { base, overlay } = setup();
    const data = bytes(3, 200);
    overlay.write(CHUNK_SECTORS + 5, data);
    expect(overlay.backend.ownedChunks).toBe(1);
    const expected = image.slice();
    expected.set(data, (CHUNK_SECTORS + 5) * SECTOR_SIZE);
    expectBytes(readAll(overlay), expected);
    expectBytes(readAll(base), image);
    expect(base.counters.bytesWritten).toBe(0);
    // the partial last chunk too
    overlay.write(SECTORS - 1, bytes(1, 77));
    expected.set(bytes(1, 77), (SECTORS - 1) * SECTOR_SIZE);
    expectBytes(readAll(overlay), expected);
  });

  it("zeroed ranges read as zeros instead of showing the base", () => {
    const { base, overlay } = setup();
    overlay.writeZeroes(0, CHUNK_SECTORS); // whole chunk: owned, no memory
    overlay.discard(CHUNK_SECTORS + 1, 2); // partial: copied up, then zeroed
    expect(overlay.backend.allocatedBytes).toBe(MEMORY_CHUNK_BYTES);
    const expected = image.slice();
    expected.fill(0, 0, CHUNK_SECTORS * SECTOR_SIZE);
    expected.fill(0, (CHUNK_SECTORS + 1) * SECTOR_SIZE, (CHUNK_SECTORS + 3) * SECTOR_SIZE);
    expectBytes(readAll(overlay), expected);
    expectBytes(readAll(base), image);
    // writing into a zeroed chunk keeps its zeros around the write
    overlay.write(4, bytes(1, 9));
    expected.set(bytes(1, 9), 4 * SECTOR_SIZE);
    expectBytes(readAll(overlay), expected);
  });
});

describe("NodeFileDisk", () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), "ringside-disk-")); });
  afterEach(() => { fs.rmSync(dir, { recursive: true, force: true }); });

  it("creates a missing file with the given size and keeps what is written", () => {
    const file = path.join(dir, "a.img");
    const disk = new CheckedDisk(NodeFileDisk.open(file, { createSize: 1 << 20 }));
    expect(fs.statSync(file).size).toBe(1 << 20);
    expect(disk.sectorCount).toBe(2048);
    expect(disk.id).toBe("a.img");
    expect(isZero(readAll(disk, 0, 16))).toBe(true);
    disk.write(2040, bytes(8, 6));
    disk.flush();
    expect(disk.counters).toMatchObject({ bytesWritten: 8 * SECTOR_SIZE, flushes: 1 });
    disk.backend.close();
    expect(() => disk.read(0, new Uint8Array(SECTOR_SIZE))).toThrow(/closed/);
    const again = new CheckedDisk(NodeFileDisk.open(file, { createSize: 4096 })); // existing file keeps its size
    expect(again.sectorCount).toBe(2048);
    expectBytes(readAll(again, 2040, 8), bytes(8, 6));
    again.writeZeroes(2041, 2);
    const expected = bytes(8, 6);
    expected.fill(0, SECTOR_SIZE, 3 * SECTOR_SIZE);
    expectBytes(readAll(again, 2040, 8), expected);
    again.backend.close();
  });

  it("refuses a missing file without a size, and sizes that are not whole sectors", () => {
    expect(() => NodeFileDisk.open(path.join(dir, "missing.img"))).toThrow(/does not exist/);
    expect(() => NodeFileDisk.open(path.join(dir, "odd.img"), { createSize: 1000 })).toThrow(/not a multiple of 512/);
    const odd = path.join(dir, "odd2.img");
    fs.writeFileSync(odd, new Uint8Array(1000));
    expect(() => NodeFileDisk.open(odd)).toThrow(/1000 bytes, not a multiple of 512/);
    expect(() => NodeFileDisk.open(dir)).toThrow(/not a regular file/);
  });

  it("opens read-only files O_RDONLY and refuses writes", () => {
    const file = path.join(dir, "ro.img");
    fs.writeFileSync(file, bytes(4, 7));
    fs.chmodSync(file, 0o444); // writable opens would fail (unless root)
    const disk = new CheckedDisk(NodeFileDisk.open(file, { readOnly: true, id: "ro-disk" }));
    expect(disk.readOnly).toBe(true);
    expect(disk.id).toBe("ro-disk");
    expectBytes(readAll(disk), bytes(4, 7));
    expect(() => disk.write(0, new Uint8Array(SECTOR_SIZE))).toThrow(/read-only/);
    expect(() => disk.writeZeroes(0, 1)).toThrow(/read-only/);
    expect(() => disk.discard(0, 1)).toThrow(/read-only/);
    disk.flush();
    disk.backend.close();
    expect(fs.readFileSync(file)).toEqual(Buffer.from(bytes(4, 7)));
    expect(() => NodeFileDisk.open(path.join(dir, "new.img"), { readOnly: true, createSize: 512 })).toThrow(/cannot be created read-only/);
  });

  it("refuses out-of-range access without touching the file", () => {
    const file = path.join(dir, "r.img");
    const disk = new CheckedDisk(NodeFileDisk.open(file, { createSize: 4 * SECTOR_SIZE }));
    expect(() => disk.write(4, new Uint8Array(SECTOR_SIZE))).toThrow(RangeError);
    expect(() => disk.read(3, new Uint8Array(2 * SECTOR_SIZE))).toThrow(RangeError);
    disk.backend.close();
    expect(fs.statSync(file).size).toBe(4 * SECTOR_SIZE);
  });
});
