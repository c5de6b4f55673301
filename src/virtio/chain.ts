// A validated descriptor chain as devices see it: two lists of guest buffers (readable,
// then writable) and a reader/writer that copy through bounds-checked guest memory.
// Nothing here knows the ring format: the split ring (and later the packed ring) walks
// its descriptors, checks them, and hands the flattened buffer lists to BufferChain.
import type { GuestMemory } from "../memory/guest-memory.js";
import type { ChainReader, ChainWriter, DescriptorChain, QueueCounters } from "./queue-types.js";
import type { WorkBudget } from "./work-budget.js";

/** One guest buffer: [addr, addr + len), already checked to lie inside guest RAM. */
export interface Segment {
  readonly addr: number;
  readonly len: number;
}

export class BufferChain implements DescriptorChain {
  readonly readableLength: number;
  readonly writableLength: number;
  private chainReader: SegmentReader | undefined;
  private chainWriter: SegmentWriter | undefined;
  /** Set by the queue when the chain goes on the used ring, so it cannot go there twice. */
  completed = false;

  constructor(
    readonly head: number,
    readonly readable: readonly Segment[],
    readonly writable: readonly Segment[],
    private readonly memory: GuestMemory,
    private readonly counters: QueueCounters,
    /** The queue that produced the chain (pushUsed refuses chains from another queue). */
    readonly owner: object,
    /** The running turn's budget: every byte copied is charged to it. */
    private readonly budget: WorkBudget,
  ) {
    this.readableLength = totalLength(readable);
    this.writableLength = totalLength(writable);
  }

  /**
   * The chain's one reader: calling reader() again continues where the last read
   * stopped, so a device can read a header in one place and the payload in another.
   */
  reader(): ChainReader {
    this.chainReader ??= new SegmentReader(this.readable, this.memory, this.counters, this.budget);
    return this.chainReader;
  }

  /** The chain's one writer (same reasoning as reader()). */
  writer(): ChainWriter {
    this.chainWriter ??= new SegmentWriter(this.writable, this.memory, this.counters, this.budget);
    return this.chainWriter;
  }
}

function totalLength(segments: readonly Segment[]): number {
  let total = 0;
  for (const s of segments) total += s.len;
  return total;
}

/** A position in a segment list; both the reader and the writer walk one. */
class Cursor {
  private segment = 0;
  private offset = 0;
  remaining: number;

  constructor(private readonly segments: readonly Segment[]) {
    this.remaining = totalLength(segments);
  }

  /**
   * Walks up to `count` bytes, calling `visit` once per contiguous guest range with the
   * number of bytes already visited in this call. Zero-length segments are skipped.
   */
  advance(count: number, visit: (addr: number, len: number, done: number) => void): number {
    let done = 0;
    while (done < count) {
      const seg = this.segments[this.segment];
      if (seg === undefined) break;
      const len = Math.min(seg.len - this.offset, count - done);
      if (len > 0) visit(seg.addr + this.offset, len, done);
      done += len;
      this.offset += len;
      if (this.offset >= seg.len) {
        this.segment++;
        this.offset = 0;
      }
    }
    this.remaining -= done;
    return done;
  }
}

/** Clamps a device-supplied count to [0, limit] so a bad argument cannot misbehave. */
function clampCount(n: number, limit: number): number {
  if (!(n > 0)) return 0; // NaN and negatives
  return Math.min(Math.floor(n), limit);
}

export class SegmentReader implements ChainReader {
  private readonly cursor: Cursor;

  constructor(
    segments: readonly Segment[],
    private readonly memory: GuestMemory,
    private readonly counters: QueueCounters,
    private readonly budget: WorkBudget,
  ) {
    this.cursor = new Cursor(segments);
  }

  get remaining(): number {
    return this.cursor.remaining;
  }

  read(max: number): Uint8Array {
    const out = new Uint8Array(clampCount(max, this.cursor.remaining));
    this.readInto(out);
    return out;
  }

  readInto(into: Uint8Array): number {
    const count = Math.min(into.length, this.cursor.remaining);
    // view() is only valid until the next guest instruction: copy out at once.
    this.cursor.advance(count, (addr, len, done) => into.set(this.memory.view(addr, len), done));
    this.counters.bytesRead += count;
    this.budget.chargeBytes(count);
    return count;
  }

  skip(count: number): number {
    return this.cursor.advance(clampCount(count, this.cursor.remaining), () => {});
  }
}

export class SegmentWriter implements ChainWriter {
  private readonly cursor: Cursor;
  private count = 0;
  private skipped = 0;

  constructor(
    segments: readonly Segment[],
    private readonly memory: GuestMemory,
    private readonly counters: QueueCounters,
    private readonly budget: WorkBudget,
  ) {
    this.cursor = new Cursor(segments);
  }

  get remaining(): number {
    return this.cursor.remaining;
  }

  get written(): number {
    return this.count;
  }

  get position(): number {
    return this.count + this.skipped;
  }

  skip(count: number): number {
    const n = this.cursor.advance(clampCount(count, this.cursor.remaining), () => {});
    this.skipped += n;
    return n;
  }

  write(data: Uint8Array): number {
    const count = Math.min(data.length, this.cursor.remaining);
    // writeBytes (not view().set) so the memory tells the JIT that these bytes changed.
    this.cursor.advance(count, (addr, len, done) => this.memory.writeBytes(addr, data.subarray(done, done + len)));
    this.count += count;
    this.counters.bytesWritten += count;
    this.budget.chargeBytes(count);
    return count;
  }
}
