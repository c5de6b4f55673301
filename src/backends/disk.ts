// What a block device (virtio-blk) sees of its storage: a run of 512-byte sectors.
//
// The interface is synchronous on purpose. The device completes requests inside the
// guest's notify write, and every backend we need can answer synchronously: memory, a
// file in Node (fs.readSync / writeSync / fsyncSync), and OPFS in the browser, whose
// FileSystemSyncAccessHandle (read / write / flush / truncate) is synchronous in
// dedicated workers, which is where the machine runs.
//
// Two sides: a backend (DiskBackend) only moves bytes; a Disk is a backend wrapped in a
// CheckedDisk (checked-disk.ts), which refuses every request that is not whole sectors
// inside the disk, or that writes to a read-only one, before the backend sees it, and
// keeps the counters. So every backend gets the same checks and the same error messages,
// and devices take a Disk, never a bare backend. A backend failure (an I/O error from the
// host) is thrown; the device turns it into VIRTIO_BLK_S_IOERR.

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

/**
 * What a disk backend implements. It may assume every call has been checked (whole
 * sectors, inside the disk, no write to a read-only disk): wrap it in a CheckedDisk
 * before anything else calls it.
 */
export interface DiskBackend {
  /** Size in 512-byte sectors. */
  readonly sectorCount: number;
  readonly readOnly: boolean;
  /** At most 20 bytes of UTF-8 (longer ids are cut by the device). */
  readonly id: string;
  /** Fills `into` (a multiple of 512 bytes) from `sector` on. */
  read(sector: number, into: Uint8Array): void;
  /** Writes `data` (a multiple of 512 bytes) at `sector`. */
  write(sector: number, data: Uint8Array): void;
  /** Makes every completed write durable. */
  flush(): void;
  /** The driver no longer needs these sectors; what they read afterwards is unspecified. */
  discard(sector: number, count: number): void;
  /** These sectors read as zeros afterwards (the backend may deallocate them). */
  writeZeroes(sector: number, count: number): void;
}

/**
 * A disk as devices use it: every request checked (a RangeError for sectors outside the
 * disk or a buffer that is not whole sectors, an Error for a write to a read-only disk)
 * and counted. Made by wrapping a backend in a CheckedDisk.
 */
export interface Disk extends DiskBackend {
  readonly counters: DiskCounters;
}

/** A disk image that cannot be used as asked (missing, wrong size, not a file): the user's to fix. */
export class DiskError extends Error {
  override name = "DiskError";
}

export function newDiskCounters(): DiskCounters {
  return { bytesRead: 0, bytesWritten: 0, flushes: 0, discards: 0, writeZeroes: 0 };
}

/** Throws unless `sectorCount` is a usable disk size. */
export function checkSectorCount(sectorCount: number): void {
  // 2^53 bytes is where byte offsets stop being exact numbers.
  if (!Number.isSafeInteger(sectorCount) || sectorCount < 0 || sectorCount * SECTOR_SIZE > Number.MAX_SAFE_INTEGER) {
    throw new RangeError(`bad disk size: ${sectorCount} sectors`);
  }
}
