// What a block device (virtio-blk) sees of its storage: a run of 512-byte sectors.
//
// The interface is synchronous on purpose. The device completes requests inside the
// guest's notify write, and every backend we need can answer synchronously: memory, a
// file in Node (fs.readSync / writeSync / fsyncSync), and later OPFS in the browser,
// whose FileSystemSyncAccessHandle (read / write / flush / truncate) is synchronous in
// dedicated workers, which is where the machine runs.
//
// Callers (the device) check ranges before calling; backends check again and throw a
// RangeError rather than touch anything outside the disk. A backend failure (an I/O
// error from the host) is thrown too; the device turns it into VIRTIO_BLK_S_IOERR.

export const SECTOR_SIZE = 512;
/** Bytes of the ID string a disk reports (virtio-blk GET_ID). */
export const DISK_ID_BYTES = 20;

/** Plain data, for the inspector and benchmarks. */
export interface DiskCounters {
  bytesRead: number;
  bytesWritten: number;
  flushes: number;
  /** Discard calls (not sectors). */
  discards: number;
  /** writeZeroes calls (not sectors). */
  writeZeroes: number;
}

export interface Disk {
  /** Size in 512-byte sectors. */
  readonly sectorCount: number;
  readonly readOnly: boolean;
  /** At most 20 bytes of UTF-8 (longer ids are cut by the device). */
  readonly id: string;
  readonly counters: DiskCounters;
  /** Fills `into` (a multiple of 512 bytes) from `sector` on. */
  read(sector: number, into: Uint8Array): void;
  /** Writes `data` (a multiple of 512 bytes) at `sector`. Throws on a read-only disk. */
  write(sector: number, data: Uint8Array): void;
  /** Makes every completed write durable. */
  flush(): void;
  /** The driver no longer needs these sectors; what they read afterwards is unspecified. */
  discard(sector: number, count: number): void;
  /** These sectors read as zeros afterwards (the backend may deallocate them). */
  writeZeroes(sector: number, count: number): void;
}

/** A disk image that cannot be used as asked (missing, wrong size, not a file): the user's to fix. */
export class DiskError extends Error {
  override name = "DiskError";
}

export function newDiskCounters(): DiskCounters {
  return { bytesRead: 0, bytesWritten: 0, flushes: 0, discards: 0, writeZeroes: 0 };
}

/** Throws a RangeError unless [sector, sector + count) is a whole-sector range inside the disk. */
export function checkRange(disk: { sectorCount: number }, sector: number, count: number): void {
  if (!Number.isSafeInteger(sector) || !Number.isSafeInteger(count) || sector < 0 || count < 0 || sector + count > disk.sectorCount) {
    throw new RangeError(`sectors [${sector}, ${sector}+${count}) are outside the ${disk.sectorCount}-sector disk`);
  }
}

/** Sectors covered by a buffer; throws a RangeError unless its length is a multiple of 512. */
export function sectorsOf(buffer: Uint8Array): number {
  if (buffer.length % SECTOR_SIZE !== 0) throw new RangeError(`buffer of ${buffer.length} bytes is not a whole number of sectors`);
  return buffer.length / SECTOR_SIZE;
}

/** Throws unless `sectorCount` is a usable disk size. */
export function checkSectorCount(sectorCount: number): void {
  // 2^53 bytes is where byte offsets stop being exact numbers.
  if (!Number.isSafeInteger(sectorCount) || sectorCount < 0 || sectorCount * SECTOR_SIZE > Number.MAX_SAFE_INTEGER) {
    throw new RangeError(`bad disk size: ${sectorCount} sectors`);
  }
}
