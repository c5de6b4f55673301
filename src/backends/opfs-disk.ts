// A disk that persists in the browser: one file in the Origin Private File System, used
// through a FileSystemSyncAccessHandle so that every call is synchronous, as the Disk
// interface needs (the machine runs in a dedicated worker, where such handles exist).
// flush() is handle.flush(): once the guest's FLUSH completes, its writes are durable.
// Only moves bytes: wrap it in a CheckedDisk (checked-disk.ts), which checks and counts
// every request.
import { checkSectorCount, DISK_ID_BYTES, DiskError, SECTOR_SIZE, type DiskBackend } from "./disk.js";
import { openSyncHandle, type SyncAccessHandle } from "./opfs-sync-handle.js";

/** Bytes written per call by writeZeroes and discard. */
const ZERO_BLOCK = 1 << 20;

export class OpfsDisk implements DiskBackend {
  readonly readOnly = false;
  readonly sectorCount: number;
  readonly id: string;
  private handle: SyncAccessHandle | undefined;
  private zeros: Uint8Array | undefined;

  /**
   * @param created The file was new (or empty) and was made here, blank: the guest will
   * find no filesystem on it (ringside's rc.boot formats it), which the page says while it waits.
   */
  private constructor(readonly name: string, handle: SyncAccessHandle, sizeBytes: number, readonly created = false) {
    this.handle = handle;
    this.sectorCount = sizeBytes / SECTOR_SIZE;
    this.id = name.slice(0, DISK_ID_BYTES);
  }

  /**
   * Opens the OPFS file `name`. A new (empty) file is sized to `sizeBytes`; an existing
   * one keeps its size, so an imported image of another size stays as it was.
   */
  static async open(name: string, sizeBytes: number): Promise<OpfsDisk> {
    if (!Number.isSafeInteger(sizeBytes) || sizeBytes <= 0 || sizeBytes % SECTOR_SIZE !== 0) {
      throw new DiskError(`cannot create the disk ${name}: size ${sizeBytes} is not a positive multiple of ${SECTOR_SIZE} bytes`);
    }
    const handle = await openSyncHandle(name);
    try {
      let size = handle.getSize();
      const created = size === 0;
      if (created) {
        handle.truncate(sizeBytes);
        handle.flush();
        size = sizeBytes;
      }
      if (size % SECTOR_SIZE !== 0) {
        throw new DiskError(`the disk ${name} is ${size} bytes, not a multiple of ${SECTOR_SIZE}: reset it or import a whole-sector image`);
      }
      checkSectorCount(size / SECTOR_SIZE);
      return new OpfsDisk(name, handle, size, created);
    } catch (err) {
      handle.close();
      throw err;
    }
  }

  get capacityBytes(): number {
    return this.sectorCount * SECTOR_SIZE;
  }

  get isOpen(): boolean {
    return this.handle !== undefined;
  }

  read(sector: number, into: Uint8Array): void {
    this.readAt(sector * SECTOR_SIZE, into);
  }

  write(sector: number, data: Uint8Array): void {
    this.writeAt(sector * SECTOR_SIZE, data);
  }

  flush(): void {
    this.open().flush();
  }

  /** OPFS cannot punch holes; zeros keep what the guest reads back predictable. */
  discard(sector: number, count: number): void {
    this.zero(sector, count);
  }

  writeZeroes(sector: number, count: number): void {
    this.zero(sector, count);
  }

  /**
   * Reads bytes [offset, offset + into.length) of the image, for export. Synchronous like
   * everything here, so no guest request runs in the middle of one call.
   */
  readAt(offset: number, into: Uint8Array): void {
    const handle = this.open();
    let done = 0;
    while (done < into.length) {
      const n = handle.read(into.subarray(done), { at: offset + done });
      if (n === 0) throw new Error(`the disk ${this.name} shrank: read at byte ${offset + done} hit its end`);
      done += n;
    }
  }

  /** Releases the file (another handle may open it afterwards). */
  close(): void {
    const handle = this.handle;
    this.handle = undefined;
    handle?.close();
  }

  private writeAt(offset: number, data: Uint8Array): void {
    const handle = this.open();
    let done = 0;
    while (done < data.length) {
      const n = handle.write(data.subarray(done), { at: offset + done });
      if (n <= 0) throw new Error(`the disk ${this.name} took no bytes at byte ${offset + done} (browser storage full?)`);
      done += n;
    }
  }

  private zero(sector: number, count: number): void {
    this.zeros ??= new Uint8Array(ZERO_BLOCK);
    const end = (sector + count) * SECTOR_SIZE;
    for (let at = sector * SECTOR_SIZE; at < end; at += ZERO_BLOCK) {
      this.writeAt(at, this.zeros.subarray(0, Math.min(ZERO_BLOCK, end - at)));
    }
  }

  private open(): SyncAccessHandle {
    if (!this.handle) throw new Error(`the disk ${this.name} is closed`);
    return this.handle;
  }
}
