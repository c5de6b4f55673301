// A sparse disk in memory: 64 KiB chunks allocated on first write, unwritten sectors
// read as zeros, discard and write-zeroes free every chunk they cover whole (and zero
// the partial ones), so a large empty disk costs nothing. Only moves bytes: wrap it in a
// CheckedDisk (checked-disk.ts), which checks and counts every request.
import { checkSectorCount, SECTOR_SIZE, type DiskBackend } from "./disk.js";

export const MEMORY_CHUNK_BYTES = 64 * 1024;
const CHUNK_SECTORS = MEMORY_CHUNK_BYTES / SECTOR_SIZE;

export interface MemoryDiskOptions {
  readOnly?: boolean;
  id?: string;
  /** Initial contents (copied; its length is rounded up to whole sectors within the disk). */
  contents?: Uint8Array;
}

export class MemoryDisk implements DiskBackend {
  readonly readOnly: boolean;
  readonly id: string;
  private readonly chunks = new Map<number, Uint8Array>();

  constructor(readonly sectorCount: number, opts: MemoryDiskOptions = {}) {
    checkSectorCount(sectorCount);
    this.readOnly = opts.readOnly ?? false;
    this.id = opts.id ?? "ringside-memory";
    if (opts.contents) {
      if (opts.contents.length > sectorCount * SECTOR_SIZE) throw new RangeError("contents larger than the disk");
      this.copyIn(0, opts.contents);
    }
  }

  /** A disk holding `image` (rounded up to whole sectors). */
  static fromImage(image: Uint8Array, opts: Omit<MemoryDiskOptions, "contents"> = {}): MemoryDisk {
    return new MemoryDisk(Math.ceil(image.length / SECTOR_SIZE), { ...opts, contents: image });
  }

  /** Chunks currently allocated (for tests and the inspector). */
  get allocatedChunks(): number {
    return this.chunks.size;
  }

  /** Bytes of memory the disk holds. */
  get allocatedBytes(): number {
    return this.chunks.size * MEMORY_CHUNK_BYTES;
  }

  /** Whether any byte of chunk `index` has been written (and not freed since). */
  hasChunk(index: number): boolean {
    return this.chunks.has(index);
  }

  read(sector: number, into: Uint8Array): void {
    let offset = sector * SECTOR_SIZE;
    let done = 0;
    while (done < into.length) {
      const index = Math.floor(offset / MEMORY_CHUNK_BYTES);
      const at = offset - index * MEMORY_CHUNK_BYTES;
      const n = Math.min(MEMORY_CHUNK_BYTES - at, into.length - done);
      const chunk = this.chunks.get(index);
      if (chunk) into.set(chunk.subarray(at, at + n), done);
      else into.fill(0, done, done + n);
      done += n;
      offset += n;
    }
  }

  write(sector: number, data: Uint8Array): void {
    this.copyIn(sector * SECTOR_SIZE, data);
  }

  flush(): void {
    // Memory: nothing to make durable.
  }

  discard(sector: number, count: number): void {
    this.zero(sector, count);
  }

  writeZeroes(sector: number, count: number): void {
    this.zero(sector, count);
  }

  /** Frees whole chunks in the range and zeroes the covered part of partial ones. */
  private zero(sector: number, count: number): void {
    let s = sector;
    const end = sector + count;
    while (s < end) {
      const index = Math.floor(s / CHUNK_SECTORS);
      const chunkStart = index * CHUNK_SECTORS;
      const n = Math.min(chunkStart + CHUNK_SECTORS, end) - s;
      const chunk = this.chunks.get(index);
      if (chunk) {
        if (n === CHUNK_SECTORS) this.chunks.delete(index);
        else chunk.fill(0, (s - chunkStart) * SECTOR_SIZE, (s - chunkStart + n) * SECTOR_SIZE);
      }
      s += n;
    }
  }

  private copyIn(offset: number, data: Uint8Array): void {
    let done = 0;
    while (done < data.length) {
      const index = Math.floor(offset / MEMORY_CHUNK_BYTES);
      const at = offset - index * MEMORY_CHUNK_BYTES;
      const n = Math.min(MEMORY_CHUNK_BYTES - at, data.length - done);
      let chunk = this.chunks.get(index);
      if (!chunk) {
        chunk = new Uint8Array(MEMORY_CHUNK_BYTES);
        this.chunks.set(index, chunk);
      }
      chunk.set(data.subarray(done, done + n), at);
      done += n;
      offset += n;
    }
  }
}
