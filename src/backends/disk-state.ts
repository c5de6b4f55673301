// A disk's contents in a snapshot. The guest's page cache and filesystem state in the
// saved RAM refer to what was on the disk at that moment, so the disk travels with the
// machine: every chunk that is not all zeros, packed together, with the list of which
// chunks they are (the same idea as v86's packing of guest RAM).
import { SECTOR_SIZE, type Disk } from "./disk.js";
import type { PlainData, StateReader } from "../snapshot/state-reader.js";

/** 64 KiB: small enough that a mostly empty disk packs small, large enough to read quickly. */
const CHUNK_BYTES = 64 * 1024;
const CHUNK_SECTORS = CHUNK_BYTES / SECTOR_SIZE;

export interface DiskState {
  sectorCount: number;
  chunkBytes: number;
  /** Indices of the chunks in `data`, ascending. */
  chunks: number[];
  data: Uint8Array;
}

export function diskStateData(state: DiskState): PlainData {
  return { ...state };
}

function isZero(bytes: Uint8Array): boolean {
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2);
  for (let i = 0; i < words.length; i++) if (words[i] !== 0) return false;
  return true;
}

/** Reads the whole disk and keeps its non-zero chunks. */
export function saveDisk(disk: Disk): DiskState {
  const chunks: number[] = [];
  const kept: Uint8Array[] = [];
  const count = Math.ceil(disk.sectorCount / CHUNK_SECTORS);
  for (let index = 0; index < count; index++) {
    const sectors = Math.min(CHUNK_SECTORS, disk.sectorCount - index * CHUNK_SECTORS);
    const bytes = new Uint8Array(sectors * SECTOR_SIZE);
    disk.read(index * CHUNK_SECTORS, bytes);
    if (isZero(bytes)) continue;
    chunks.push(index);
    kept.push(bytes);
  }
  const data = new Uint8Array(kept.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const b of kept) {
    data.set(b, at);
    at += b.length;
  }
  return { sectorCount: disk.sectorCount, chunkBytes: CHUNK_BYTES, chunks, data };
}

/** Checks a saved disk against the disk it is to be written to. */
export function readDiskState(r: StateReader, disk: Disk): DiskState {
  const sectorCount = r.field("sectorCount").integer(0, Number.MAX_SAFE_INTEGER);
  if (sectorCount !== disk.sectorCount) {
    r.field("sectorCount").fail(`${disk.sectorCount}, the size of this machine's disk in sectors (the snapshot's disk is another size)`);
  }
  if (r.field("chunkBytes").integer(CHUNK_BYTES, CHUNK_BYTES) !== CHUNK_BYTES) r.fail("a disk state");
  const total = Math.ceil(sectorCount / CHUNK_SECTORS);
  const chunks = r.field("chunks").items(total).map((c) => c.integer(0, total - 1));
  const data = r.field("data").bytes(sectorCount * SECTOR_SIZE);
  let expected = 0;
  for (let i = 0; i < chunks.length; i++) {
    if (i > 0 && chunks[i]! <= chunks[i - 1]!) r.field("chunks").fail("ascending chunk numbers");
    expected += Math.min(CHUNK_SECTORS, sectorCount - chunks[i]! * CHUNK_SECTORS) * SECTOR_SIZE;
  }
  if (data.length !== expected) r.field("data").fail(`${expected} bytes, what its chunk list needs`);
  return { sectorCount, chunkBytes: CHUNK_BYTES, chunks, data };
}

/** Writes a saved disk back: its chunks, and zeros everywhere else (the disk may hold other data). */
export function restoreDisk(disk: Disk, state: DiskState): void {
  const count = Math.ceil(state.sectorCount / CHUNK_SECTORS);
  let at = 0;
  let next = 0;
  let zeroFrom: number | undefined;
  const flushZeros = (until: number) => {
    if (zeroFrom === undefined) return;
    disk.writeZeroes(zeroFrom, until - zeroFrom);
    zeroFrom = undefined;
  };
  for (let index = 0; index < count; index++) {
    const sector = index * CHUNK_SECTORS;
    if (state.chunks[next] === index) {
      flushZeros(sector);
      const sectors = Math.min(CHUNK_SECTORS, state.sectorCount - sector);
      disk.write(sector, state.data.subarray(at, at + sectors * SECTOR_SIZE));
      at += sectors * SECTOR_SIZE;
      next++;
    } else if (zeroFrom === undefined) {
      zeroFrom = sector;
    }
  }
  flushZeros(state.sectorCount);
  disk.flush();
}
