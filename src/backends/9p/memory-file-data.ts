// The bytes of one regular file in memory, sparse: a map of 16 KiB chunks, each allocated
// only where something was written and grown by doubling (from 64 bytes) only as far as the
// writes reach, so a 10-byte file costs about 64 bytes and a byte written at 5 GiB costs one
// small chunk. Unallocated ranges read as zeros. Sizes and offsets are numbers below 2^53.
import type { MemoryBudget } from "./memory-budget.js";

export const CHUNK_BYTES = 16384;
const MIN_CHUNK = 64;

export class FileData {
  size = 0;
  private readonly chunks = new Map<number, Uint8Array>();
  private allocated = 0;

  constructor(private readonly budget: MemoryBudget) {}

  /** Bytes of memory the file holds (for st_blocks). */
  get allocatedBytes(): number {
    return this.allocated;
  }

  /** Up to `count` bytes from `offset`; a view into a chunk when one chunk holds them all. */
  read(offset: number, count: number): Uint8Array {
    if (offset >= this.size || count <= 0) return new Uint8Array(0);
    const end = Math.min(this.size, offset + count);
    const first = Math.floor(offset / CHUNK_BYTES);
    const chunk = this.chunks.get(first);
    const start = offset - first * CHUNK_BYTES;
    if (chunk !== undefined && start + (end - offset) <= chunk.length) return chunk.subarray(start, start + (end - offset));
    const out = new Uint8Array(end - offset);
    for (let index = first; index * CHUNK_BYTES < end; index++) {
      const c = this.chunks.get(index);
      if (c === undefined) continue;
      const base = index * CHUNK_BYTES;
      const from = Math.max(offset, base) - base;
      const to = Math.min(end - base, c.length);
      if (to > from) out.set(c.subarray(from, to), base + from - offset);
    }
    return out;
  }

  /**
   * Up to target.length bytes from `offset` copied into `target`; returns how many. Whatever
   * no chunk holds (holes, the tail past a short chunk) is zeroed, as `target` may be reused.
   */
  readInto(offset: number, target: Uint8Array): number {
    if (offset >= this.size || target.length === 0) return 0;
    const end = Math.min(this.size, offset + target.length);
    let at = offset;
    while (at < end) {
      const index = Math.floor(at / CHUNK_BYTES);
      const base = index * CHUNK_BYTES;
      const stop = Math.min(end, base + CHUNK_BYTES);
      const chunk = this.chunks.get(index);
      const held = chunk === undefined ? at : Math.min(stop, base + chunk.length);
      if (chunk !== undefined && held > at) target.set(chunk.subarray(at - base, held - base), at - offset);
      if (stop > Math.max(at, held)) target.fill(0, Math.max(at, held) - offset, stop - offset);
      at = stop;
    }
    return end - offset;
  }

  /** Writes `data` at `offset`, charging the budget for new memory first (ENOSPC: nothing written). */
  write(offset: number, data: Uint8Array): void {
    if (data.length === 0) return;
    const end = offset + data.length;
    const first = Math.floor(offset / CHUNK_BYTES);
    const last = Math.floor((end - 1) / CHUNK_BYTES);
    let growth = 0;
    for (let index = first; index <= last; index++) {
      const reach = Math.min(end - index * CHUNK_BYTES, CHUNK_BYTES);
      growth += Math.max(0, capacityFor(reach) - (this.chunks.get(index)?.length ?? 0));
    }
    this.budget.charge(growth);
    this.allocated += growth;
    for (let index = first; index <= last; index++) {
      const base = index * CHUNK_BYTES;
      const chunk = this.chunkReaching(index, Math.min(end - base, CHUNK_BYTES));
      const from = Math.max(offset, base);
      const to = Math.min(end, base + CHUNK_BYTES);
      chunk.set(data.subarray(from - offset, to - offset), from - base);
    }
    this.size = Math.max(this.size, end);
  }

  /** Sets the size: growing leaves a hole, shrinking frees whole chunks and zeroes the rest. */
  truncate(size: number): void {
    if (size < this.size) {
      const keep = Math.ceil(size / CHUNK_BYTES);
      for (const [index, chunk] of this.chunks) {
        if (index >= keep) {
          this.chunks.delete(index);
          this.drop(chunk.length);
        }
      }
      const partial = this.chunks.get(Math.floor(size / CHUNK_BYTES));
      partial?.fill(0, size % CHUNK_BYTES);
    }
    this.size = size;
  }

  /** Gives all memory back to the budget (the file is gone). */
  free(): void {
    this.budget.credit(this.allocated);
    this.allocated = 0;
    this.chunks.clear();
    this.size = 0;
  }

  /** Chunk `index`, at least `reach` bytes long (the growth was charged by the caller). */
  private chunkReaching(index: number, reach: number): Uint8Array {
    const old = this.chunks.get(index);
    const length = capacityFor(reach);
    if (old !== undefined && old.length >= length) return old;
    const grown = new Uint8Array(length);
    if (old !== undefined) grown.set(old);
    this.chunks.set(index, grown);
    return grown;
  }

  private drop(bytes: number): void {
    this.allocated -= bytes;
    this.budget.credit(bytes);
  }
}

/** The chunk length that holds `reach` bytes: a power of two from 64 to CHUNK_BYTES. */
function capacityFor(reach: number): number {
  let n = MIN_CHUNK;
  while (n < reach) n *= 2;
  return Math.min(n, CHUNK_BYTES);
}
