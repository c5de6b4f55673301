// Copy-on-write over a base disk that is never written: writes land in a sparse
// in-memory overlay (64 KiB chunks), reads come from the overlay for chunks it owns and
// from the base for the rest. The first write to a chunk copies the base's chunk up;
// discard and write-zeroes make the overlay own the chunk as zeros (whole chunks cost
// no memory), so the base never shows through a zeroed range. Only moves bytes: wrap it in
// a CheckedDisk (checked-disk.ts), which checks and counts every request; the base may be
// a bare backend or a CheckedDisk (which then counts what the overlay reads from it).
import { SECTOR_SIZE, type DiskBackend } from "./disk.js";
import { MEMORY_CHUNK_BYTES, MemoryDisk } from "./memory-disk.js";

const CHUNK_SECTORS = MEMORY_CHUNK_BYTES / SECTOR_SIZE;

export interface OverlayDiskOptions {
  /** Default: the base's id. */
  id?: string;
}

export class OverlayDisk implements DiskBackend {
  readonly readOnly = false;
  readonly sectorCount: number;
  readonly id: string;
  private readonly top: MemoryDisk;
  /** Chunks the overlay owns (their data, possibly freed zeros, lives in `top`). */
  private readonly owned = new Set<number>();

  constructor(readonly base: DiskBackend, opts: OverlayDiskOptions = {}) {
    this.sectorCount = base.sectorCount;
    this.id = opts.id ?? base.id;
    this.top = new MemoryDisk(base.sectorCount, { id: this.id });
  }

  /** Chunks written since the overlay was made (whether or not they hold memory). */
  get ownedChunks(): number {
    return this.owned.size;
  }

  /** Bytes of memory the overlay holds. */
  get allocatedBytes(): number {
    return this.top.allocatedBytes;
  }

  read(sector: number, into: Uint8Array): void {
    this.eachChunk(sector, into.length / SECTOR_SIZE, (index, s, n, done) => {
      const part = into.subarray(done * SECTOR_SIZE, (done + n) * SECTOR_SIZE);
      (this.owned.has(index) ? this.top : this.base).read(s, part);
    });
  }

  write(sector: number, data: Uint8Array): void {
    this.eachChunk(sector, data.length / SECTOR_SIZE, (index, s, n, done) => {
      if (n < CHUNK_SECTORS) this.copyUp(index);
      else this.owned.add(index); // overwritten whole: nothing to copy
      this.top.write(s, data.subarray(done * SECTOR_SIZE, (done + n) * SECTOR_SIZE));
    });
  }

  flush(): void {
    // The overlay is memory: nothing to make durable, and the base is never written.
  }

  discard(sector: number, count: number): void {
    this.zero(sector, count);
  }

  writeZeroes(sector: number, count: number): void {
    this.zero(sector, count);
  }

  private zero(sector: number, count: number): void {
    this.eachChunk(sector, count, (index, s, n) => {
      if (n < CHUNK_SECTORS) this.copyUp(index);
      else this.owned.add(index);
      this.top.writeZeroes(s, n); // a whole chunk is freed in `top` and reads as zeros
    });
  }

  /** Makes the overlay own chunk `index`, copying the base's bytes up the first time. */
  private copyUp(index: number): void {
    if (this.owned.has(index)) return;
    const start = index * CHUNK_SECTORS;
    const n = Math.min(CHUNK_SECTORS, this.sectorCount - start);
    const bytes = new Uint8Array(n * SECTOR_SIZE);
    this.base.read(start, bytes);
    this.top.write(start, bytes);
    this.owned.add(index);
  }

  /** Splits [sector, sector + count) at chunk boundaries. */
  private eachChunk(sector: number, count: number, visit: (index: number, sector: number, count: number, done: number) => void): void {
    let done = 0;
    while (done < count) {
      const s = sector + done;
      const index = Math.floor(s / CHUNK_SECTORS);
      const n = Math.min((index + 1) * CHUNK_SECTORS - s, count - done);
      visit(index, s, n, done);
      done += n;
    }
  }
}
