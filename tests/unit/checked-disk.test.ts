import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CheckedDisk } from "../../src/backends/checked-disk.js";
import { SECTOR_SIZE, type Disk, type DiskBackend } from "../../src/backends/disk.js";
import { MemoryDisk } from "../../src/backends/memory-disk.js";
import { NodeFileDisk } from "../../src/backends/node-file-disk.js";
import { OpfsDisk } from "../../src/backends/opfs-disk.js";
import { OverlayDisk } from "../../src/backends/overlay-disk.js";
import { fakeOpfsNavigator } from "../support/fake-opfs.js";

const SECTORS = 16;
const ID = "d";

/** Requests no disk of 16 sectors may serve, each by what makes it wrong. */
const BAD: Array<[string, (d: Disk) => void]> = [
  ["a read past the end", (d) => d.read(15, new Uint8Array(2 * SECTOR_SIZE))],
  ["a write before the start", (d) => d.write(-1, new Uint8Array(SECTOR_SIZE))],
  ["a write at a fractional sector", (d) => d.write(0.5, new Uint8Array(SECTOR_SIZE))],
  ["a write of part of a sector", (d) => d.write(0, new Uint8Array(100))],
  ["a discard past the end", (d) => d.discard(10, 7)],
  ["a negative discard", (d) => d.discard(0, -1)],
  ["write-zeroes at NaN", (d) => d.writeZeroes(Number.NaN, 1)],
  ["write-zeroes beyond 2^53", (d) => d.writeZeroes(2 ** 53, 1)],
];

const READ_ONLY_REFUSED: Array<[string, (d: Disk) => void]> = [
  ["write", (d) => d.write(0, new Uint8Array(SECTOR_SIZE))],
  ["discard", (d) => d.discard(0, 1)],
  ["write-zeroes", (d) => d.writeZeroes(0, 1)],
];

/** What `attempt` threw: its class and message (or "no error"). */
function refusal(disk: Disk, attempt: (d: Disk) => void): string {
  try {
    attempt(disk);
    return "no error";
  } catch (e) {
    return `${(e as Error).constructor.name}: ${(e as Error).message}`;
  }
}

/** A backend that only records what reaches it. */
class RecordingBackend implements DiskBackend {
  readonly calls: string[] = [];
  readonly id = ID;
  constructor(readonly sectorCount: number, readonly readOnly = false) {}
  read(sector: number): void { this.calls.push(`read ${sector}`); }
  write(sector: number): void { this.calls.push(`write ${sector}`); }
  flush(): void { this.calls.push("flush"); }
  discard(sector: number): void { this.calls.push(`discard ${sector}`); }
  writeZeroes(sector: number): void { this.calls.push(`writeZeroes ${sector}`); }
}

describe("CheckedDisk", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ringside-checked-"));
    vi.stubGlobal("navigator", fakeOpfsNavigator().navigator);
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Every backend, 16 sectors, id "d", wrapped. */
  async function everyBackend(): Promise<Record<string, CheckedDisk>> {
    const file = NodeFileDisk.open(path.join(dir, "f.img"), { createSize: SECTORS * SECTOR_SIZE, id: ID });
    return {
      memory: new CheckedDisk(new MemoryDisk(SECTORS, { id: ID })),
      overlay: new CheckedDisk(new OverlayDisk(new MemoryDisk(SECTORS, { readOnly: true }), { id: ID })),
      file: new CheckedDisk(file),
      opfs: new CheckedDisk(await OpfsDisk.open(ID, SECTORS * SECTOR_SIZE)),
    };
  }

  it("refuses the same bad requests with the same errors on every backend, moving and counting nothing", async () => {
    const disks = await everyBackend();
    const expected = BAD.map(([what, attempt]) => `${what} -> ${refusal(disks.memory!, attempt)}`);
    // The messages themselves: the kind of error, the disk, the operation, what was wrong.
    expect(expected).toEqual([
      "a read past the end -> RangeError: disk d: read of sectors [15, 17) is outside its 16 sectors",
      "a write before the start -> RangeError: disk d: write at sector -1 of 1 sectors: not whole, non-negative sector numbers",
      "a write at a fractional sector -> RangeError: disk d: write at sector 0.5 of 1 sectors: not whole, non-negative sector numbers",
      "a write of part of a sector -> RangeError: disk d: write of 100 bytes is not whole 512-byte sectors",
      "a discard past the end -> RangeError: disk d: discard of sectors [10, 17) is outside its 16 sectors",
      "a negative discard -> RangeError: disk d: discard at sector 0 of -1 sectors: not whole, non-negative sector numbers",
      "write-zeroes at NaN -> RangeError: disk d: write-zeroes at sector NaN of 1 sectors: not whole, non-negative sector numbers",
      "write-zeroes beyond 2^53 -> RangeError: disk d: write-zeroes at sector 9007199254740992 of 1 sectors: not whole, non-negative sector numbers",
    ]);
    for (const [name, disk] of Object.entries(disks)) {
      expect(BAD.map(([what, attempt]) => `${what} -> ${refusal(disk, attempt)}`), name).toEqual(expected);
      expect(disk.counters, name).toEqual({ bytesRead: 0, bytesWritten: 0, flushes: 0, discards: 0, writeZeroes: 0 });
      const all = new Uint8Array(SECTORS * SECTOR_SIZE);
      disk.read(0, all);
      expect(all.every((b) => b === 0), `${name} still all zeros`).toBe(true);
    }
  });

  it("refuses writes, discards and write-zeroes to a read-only disk the same way on every backend that can be one", () => {
    const file = path.join(dir, "ro.img");
    fs.writeFileSync(file, new Uint8Array(SECTORS * SECTOR_SIZE));
    const disks = {
      memory: new CheckedDisk(new MemoryDisk(SECTORS, { id: ID, readOnly: true })),
      file: new CheckedDisk(NodeFileDisk.open(file, { readOnly: true, id: ID })),
    };
    for (const [name, disk] of Object.entries(disks)) {
      expect(READ_ONLY_REFUSED.map(([, attempt]) => refusal(disk, attempt)), name).toEqual([
        "Error: disk d is read-only: write refused",
        "Error: disk d is read-only: discard refused",
        "Error: disk d is read-only: write-zeroes refused",
      ]);
      disk.read(0, new Uint8Array(SECTOR_SIZE)); // reading stays allowed
      disk.flush();
      expect(disk.counters, name).toEqual({ bytesRead: SECTOR_SIZE, bytesWritten: 0, flushes: 1, discards: 0, writeZeroes: 0 });
    }
    disks.file.backend.close();
  });

  it("hands the backend only requests it has checked", () => {
    const backend = new RecordingBackend(SECTORS);
    const disk = new CheckedDisk(backend);
    for (const [, attempt] of BAD) expect(() => attempt(disk)).toThrow(RangeError);
    expect(backend.calls).toEqual([]);
    disk.read(15, new Uint8Array(SECTOR_SIZE));
    disk.write(0, new Uint8Array(SECTORS * SECTOR_SIZE));
    disk.discard(16, 0); // empty, at the end: allowed
    disk.writeZeroes(3, 13);
    disk.flush();
    expect(backend.calls).toEqual(["read 15", "write 0", "discard 16", "writeZeroes 3", "flush"]);
    const readOnly = new RecordingBackend(SECTORS, true);
    for (const [, attempt] of READ_ONLY_REFUSED) expect(() => attempt(new CheckedDisk(readOnly))).toThrow(/read-only/);
    expect(readOnly.calls).toEqual([]);
  });

  it("counts what succeeded, and nothing for a request the backend failed", () => {
    const disk = new CheckedDisk(new MemoryDisk(SECTORS));
    disk.write(2, new Uint8Array(3 * SECTOR_SIZE));
    disk.read(0, new Uint8Array(SECTORS * SECTOR_SIZE));
    disk.discard(0, 4);
    disk.writeZeroes(4, 4);
    disk.writeZeroes(8, 4);
    disk.flush();
    expect(disk.counters).toEqual({ bytesRead: SECTORS * SECTOR_SIZE, bytesWritten: 3 * SECTOR_SIZE, flushes: 1, discards: 1, writeZeroes: 2 });

    const failing = new RecordingBackend(SECTORS);
    failing.write = () => { throw new Error("EIO"); };
    const broken = new CheckedDisk(failing);
    expect(() => broken.write(0, new Uint8Array(SECTOR_SIZE))).toThrow("EIO");
    expect(broken.counters.bytesWritten).toBe(0);
  });

  it("takes size, id and read-only from its backend, and refuses a backend of impossible size", () => {
    const disk = new CheckedDisk(new MemoryDisk(8, { id: "x", readOnly: true }));
    expect([disk.sectorCount, disk.id, disk.readOnly]).toEqual([8, "x", true]);
    expect(() => new CheckedDisk(new RecordingBackend(1.5))).toThrow(/bad disk size: 1.5 sectors/);
  });

  it("is the only way a backend becomes a Disk", () => {
    const takesDisk = (d: Disk): number => d.counters.bytesRead;
    // @ts-expect-error a bare backend has no counters: devices must get it wrapped
    expect(() => takesDisk(new MemoryDisk(1))).toThrow(TypeError);
    expect(takesDisk(new CheckedDisk(new MemoryDisk(1)))).toBe(0);
  });
});
