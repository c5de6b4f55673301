// The pages the balloon moves. Inflate and deflate buffers carry lists of u32 page frame
// numbers (4 KiB pages); a page the guest gives up is zeroed, as QEMU's discard leaves it,
// so a saved state compresses it to nothing. Free page reports are buffers whose
// device-writable ranges are the free memory itself; the device zeroes them likewise.
//
// Zeroing is host work the guest sizes (a report covers up to 128 MiB in Linux), so it is
// done at most ZERO_BYTES_PER_TURN per turn: a report left half done is taken up at the
// next tick, where it stopped.
import type { GuestMemory } from "../memory/guest-memory.js";
import { QueueProtocolError, type ChainWriter, type DescriptorChain } from "../virtio/queue-types.js";
import { BALLOON_PAGE_BYTES } from "./balloon-spec.js";

/** Page numbers read from one inflate or deflate buffer (Linux sends at most 256). */
export const MAX_PFNS_PER_CHAIN = 2048;
/** Bytes zeroed per turn, over inflated pages and reports together. */
export const ZERO_BYTES_PER_TURN = 8 * 1024 * 1024;

const ZERO_PAGE = new Uint8Array(BALLOON_PAGE_BYTES);
const ZERO_CHUNK = new Uint8Array(64 * 1024);

/** Reads the page frame numbers of an inflate or deflate buffer, each checked to lie in guest RAM. */
export function readPageNumbers(chain: DescriptorChain, memory: GuestMemory, queueName: string): { pfns: Uint32Array; ignored: number } {
  const reader = chain.reader();
  const listed = Math.floor(reader.remaining / 4);
  const count = Math.min(listed, MAX_PFNS_PER_CHAIN);
  const bytes = reader.read(count * 4);
  const pfns = new Uint32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const pages = Math.floor(memory.size / BALLOON_PAGE_BYTES);
  for (let i = 0; i < count; i++) {
    const pfn = view.getUint32(i * 4, true);
    if (pfn >= pages) {
      throw new QueueProtocolError(`${queueName}: page frame 0x${pfn.toString(16)} is outside guest RAM (${pages} pages)`);
    }
    pfns[i] = pfn;
  }
  return { pfns, ignored: listed - count };
}

/** Zeroes pages given up by the guest. */
export function zeroPages(pfns: Uint32Array, memory: GuestMemory): void {
  for (const pfn of pfns) memory.writeBytes(pfn * BALLOON_PAGE_BYTES, ZERO_PAGE);
}

/** A free page report being zeroed, possibly over several turns. */
export class ReportInProgress {
  private readonly writer: ChainWriter;

  constructor(readonly chain: DescriptorChain) {
    this.writer = chain.writer();
  }

  /** Zeroes up to `allowance` more bytes; returns how many. */
  zero(allowance: number): number {
    let done = 0;
    while (done < allowance && this.writer.remaining > 0) {
      const n = this.writer.write(ZERO_CHUNK.subarray(0, Math.min(ZERO_CHUNK.length, allowance - done)));
      if (n === 0) break;
      done += n;
    }
    return done;
  }

  get finished(): boolean {
    return this.writer.remaining === 0;
  }

  get bytes(): number {
    return this.writer.written;
  }
}
