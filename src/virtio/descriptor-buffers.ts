// What split and packed descriptor walks share (virtio 1.2, 2.7.5 and 2.8.13): both ring
// formats put a buffer's le64 address at byte 0 and its le32 length at byte 8 of a 16-byte
// descriptor, and both turn a chain into two checked buffer lists under the same rules
// (readable before writable, every buffer inside RAM, at most 2^32 bytes in all). Every
// value comes from the guest: nothing here trusts an address or a length.
import { GuestMemoryError, type GuestMemory } from "../memory/guest-memory.js";
import type { Segment } from "./chain.js";
import { QueueProtocolError } from "./queue-types.js";

/** Bytes per descriptor, in rings and indirect tables alike (split and packed). */
export const DESCRIPTOR_SIZE = 16;
/**
 * Largest indirect table we walk. The spec says a chain must not be longer than the queue
 * size, but drivers size indirect tables by their own limits (virtio-blk seg_max), so we
 * only insist on the largest queue size the spec allows: that still bounds the walk.
 */
export const MAX_INDIRECT_ENTRIES = 32768;
/** Spec 2.7.5.1: a chain must not be longer than 2^32 bytes; a used length is 32 bits. */
const MAX_CHAIN_BYTES = 0xffffffff;

/** A chain flattened into checked buffer lists. */
export interface WalkedBuffers {
  readable: Segment[];
  writable: Segment[];
  /** Descriptors read to walk it (ring and indirect table alike): the walk's cost. */
  descriptors: number;
}

/**
 * Collects a chain's buffers in order and enforces the rules that span the whole chain.
 * A descriptor's place is passed as numbers (its ring index, and its entry in an indirect
 * table or -1) and put into words only when there is an error to report: the walks run
 * for every chain the guest publishes, and must not build a string per descriptor.
 */
export class ChainBuffers {
  readonly readable: Segment[] = [];
  readonly writable: Segment[] = [];
  private total = 0;
  private seenWritable = false;

  /**
   * `unit` names a ring position ("descriptor" for split rings, "slot" for packed ones);
   * errors start "chain at HEAD_WORD START" ("chain at head 3", "chain at slot 7").
   */
  constructor(
    private readonly memory: GuestMemory,
    private readonly unit: "descriptor" | "slot",
    private readonly start: number,
  ) {}

  error(message: string): QueueProtocolError {
    return new QueueProtocolError(`chain at ${this.unit === "descriptor" ? "head" : "slot"} ${this.start}: ${message}`);
  }

  /** "descriptor 5", "slot 5", or "indirect table of slot 5, entry 2" (entry -1: the ring's own). */
  where(ring: number, entry = -1): string {
    return entry < 0 ? `${this.unit} ${ring}` : `${this.table(ring)}, entry ${entry}`;
  }

  /** "indirect table of descriptor 5". */
  table(ring: number): string {
    return `indirect table of ${this.unit} ${ring}`;
  }

  /** The descriptor's 64-bit buffer address at `at` (refused above 2^53: no RAM is there). */
  readAddr(at: number, ring: number, entry = -1): number {
    const lo = this.memory.read32(at);
    const hi = this.memory.read32(at + 4);
    if (hi >= 0x200000) throw this.error(`${this.where(ring, entry)}: address 0x${hi.toString(16)}${lo.toString(16).padStart(8, "0")} is outside RAM`);
    return hi * 0x100000000 + lo;
  }

  /** Checks the length and placement of the indirect table ring descriptor `ring` points at; returns its number of entries. */
  indirectEntries(addr: number, len: number, ring: number): number {
    if (len === 0 || len % DESCRIPTOR_SIZE !== 0) throw this.error(`${this.table(ring)}: length ${len} is not a non-zero multiple of 16`);
    const entries = len / DESCRIPTOR_SIZE;
    if (entries > MAX_INDIRECT_ENTRIES) throw this.error(`${this.table(ring)}: ${entries} entries, more than ${MAX_INDIRECT_ENTRIES}`);
    if (!this.inRam(addr, len)) throw this.error(`${this.table(ring)}: buffer 0x${addr.toString(16)}+${len} is outside RAM`);
    return entries;
  }

  add(addr: number, len: number, writable: boolean, ring: number, entry = -1): void {
    // 2.7.4.2 and 2.8.13: device-writable buffers come after all device-readable ones.
    if (!writable && this.seenWritable) throw this.error(`${this.where(ring, entry)}: readable buffer after a writable one`);
    if (!this.inRam(addr, len)) throw this.error(`${this.where(ring, entry)}: buffer 0x${addr.toString(16)}+${len} is outside RAM`);
    this.total += len;
    if (this.total > MAX_CHAIN_BYTES) throw this.error(`${this.where(ring, entry)}: chain is longer than 2^32 bytes in total`);
    this.seenWritable ||= writable;
    // Zero-length buffers are legal but carry nothing: keep them out of the lists.
    if (len > 0) (writable ? this.writable : this.readable).push({ addr, len });
  }

  private inRam(addr: number, len: number): boolean {
    try {
      this.memory.check(addr, len);
      return true;
    } catch (e) {
      if (e instanceof GuestMemoryError) return false;
      throw e;
    }
  }
}
