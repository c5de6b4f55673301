// The one place that checks a disk request and counts it. Backends (memory, overlay, a
// file in Node, OPFS) only move bytes; wrapped in a CheckedDisk they all refuse the same
// bad requests with the same messages before any byte moves, and count the same way, so
// a new backend cannot forget a check, and a guest's request that is wrong for one disk
// is wrong for all of them.
import { checkSectorCount, newDiskCounters, SECTOR_SIZE, type Disk, type DiskBackend, type DiskCounters } from "./disk.js";

export class CheckedDisk<B extends DiskBackend = DiskBackend> implements Disk {
  readonly counters: DiskCounters = newDiskCounters();
  readonly sectorCount: number;
  readonly readOnly: boolean;
  readonly id: string;

  /** `backend` stays reachable for what only it offers (close, export, allocation figures). */
  constructor(readonly backend: B) {
    checkSectorCount(backend.sectorCount);
    this.sectorCount = backend.sectorCount;
    this.readOnly = backend.readOnly;
    this.id = backend.id;
  }

  read(sector: number, into: Uint8Array): void {
    this.checkRange("read", sector, this.sectorsOf("read", into));
    this.backend.read(sector, into);
    this.counters.bytesRead += into.length;
  }

  write(sector: number, data: Uint8Array): void {
    this.refuseIfReadOnly("write");
    this.checkRange("write", sector, this.sectorsOf("write", data));
    this.backend.write(sector, data);
    this.counters.bytesWritten += data.length;
  }

  flush(): void {
    this.backend.flush();
    this.counters.flushes++;
  }

  discard(sector: number, count: number): void {
    this.refuseIfReadOnly("discard");
    this.checkRange("discard", sector, count);
    this.backend.discard(sector, count);
    this.counters.discards++;
  }

  writeZeroes(sector: number, count: number): void {
    this.refuseIfReadOnly("write-zeroes");
    this.checkRange("write-zeroes", sector, count);
    this.backend.writeZeroes(sector, count);
    this.counters.writeZeroes++;
  }

  /** Throws a RangeError unless [sector, sector + count) is whole sector numbers inside the disk. */
  private checkRange(op: string, sector: number, count: number): void {
    if (!Number.isSafeInteger(sector) || sector < 0 || !Number.isSafeInteger(count) || count < 0) {
      throw new RangeError(`disk ${this.id}: ${op} at sector ${sector} of ${count} sectors: not whole, non-negative sector numbers`);
    }
    if (sector + count > this.sectorCount) {
      throw new RangeError(`disk ${this.id}: ${op} of sectors [${sector}, ${sector + count}) is outside its ${this.sectorCount} sectors`);
    }
  }

  /** Sectors a buffer covers; throws a RangeError unless it is whole sectors. */
  private sectorsOf(op: string, buffer: Uint8Array): number {
    if (buffer.length % SECTOR_SIZE !== 0) {
      throw new RangeError(`disk ${this.id}: ${op} of ${buffer.length} bytes is not whole ${SECTOR_SIZE}-byte sectors`);
    }
    return buffer.length / SECTOR_SIZE;
  }

  private refuseIfReadOnly(op: string): void {
    if (this.readOnly) throw new Error(`disk ${this.id} is read-only: ${op} refused`);
  }
}
