// Walks one split-ring descriptor chain (virtio 1.2, 2.7.5) and turns it into checked
// buffer lists, or throws QueueProtocolError saying what the driver got wrong. Every
// value here comes from the guest and may be anything: indices, flags, lengths and
// addresses are all checked before use, and the walk is bounded so a looped chain ends.
import { GuestMemoryError, type GuestMemory } from "../memory/guest-memory.js";
import type { Segment } from "./chain.js";
import { QueueProtocolError } from "./queue-types.js";

export const VIRTQ_DESC_F_NEXT = 1;
export const VIRTQ_DESC_F_WRITE = 2;
export const VIRTQ_DESC_F_INDIRECT = 4;
/** Bytes per descriptor, in the ring's table and in indirect tables alike. */
export const DESCRIPTOR_SIZE = 16;
/**
 * Largest indirect table we walk. The spec says a chain must not be longer than the queue
 * size, but drivers size indirect tables by their own limits (virtio-blk seg_max), so we
 * only insist on the largest queue size the spec allows: that still bounds the walk.
 */
export const MAX_INDIRECT_ENTRIES = 32768;
/** Spec 2.7.5.1: a chain must not be longer than 2^32 bytes; used.len is 32 bits. */
const MAX_CHAIN_BYTES = 0xffffffff;

export interface Descriptor {
  addr: number;
  len: number;
  flags: number;
  next: number;
}

export interface WalkedChain {
  readable: Segment[];
  writable: Segment[];
  /** Descriptors read to walk it (ring and indirect table alike): the walk's cost. */
  descriptors: number;
}

export interface DescriptorTable {
  /** Guest address of the ring's descriptor table (already checked to lie in RAM). */
  readonly addr: number;
  /** Queue size: entries in the table. */
  readonly size: number;
  /** VIRTIO_F_RING_INDIRECT_DESC was negotiated. */
  readonly indirect: boolean;
}

/** Validates and flattens the chain starting at descriptor `head` of `table`. */
export function walkSplitChain(memory: GuestMemory, table: DescriptorTable, head: number): WalkedChain {
  const acc = new Accumulator(memory, head);
  let index = head;
  let descriptors = 0;
  // A direct chain visits at most `size` descriptors: one more means a loop (or a chain
  // the spec forbids anyway), which ends the walk instead of spinning forever.
  for (let count = 1; ; count++) {
    if (index >= table.size) throw acc.error(`next index ${index} is outside the queue (size ${table.size})`);
    if (count > table.size) throw acc.error(`chain is longer than the queue size ${table.size} (a loop?)`);
    const desc = readDescriptor(memory, table.addr + index * DESCRIPTOR_SIZE, acc, `descriptor ${index}`);
    descriptors++;
    if (desc.flags & VIRTQ_DESC_F_INDIRECT) {
      if (!table.indirect) throw acc.error(`descriptor ${index} is indirect but RING_INDIRECT_DESC was not negotiated`);
      // INDIRECT with NEXT is forbidden (2.7.5.3.1), so an indirect table always ends the chain.
      if (desc.flags & VIRTQ_DESC_F_NEXT) throw acc.error(`descriptor ${index} has both INDIRECT and NEXT`);
      descriptors += walkIndirect(memory, desc, acc, index);
      break;
    }
    acc.add(desc, `descriptor ${index}`);
    if (!(desc.flags & VIRTQ_DESC_F_NEXT)) break;
    index = desc.next;
  }
  return { readable: acc.readable, writable: acc.writable, descriptors };
}

/** Walks an indirect table; returns the number of its entries read. */
function walkIndirect(memory: GuestMemory, ref: Descriptor, acc: Accumulator, refIndex: number): number {
  const where = `indirect table of descriptor ${refIndex}`;
  if (ref.len === 0 || ref.len % DESCRIPTOR_SIZE !== 0) throw acc.error(`${where}: length ${ref.len} is not a non-zero multiple of 16`);
  const entries = ref.len / DESCRIPTOR_SIZE;
  if (entries > MAX_INDIRECT_ENTRIES) throw acc.error(`${where}: ${entries} entries, more than ${MAX_INDIRECT_ENTRIES}`);
  acc.checkRange(ref.addr, ref.len, where);
  let index = 0;
  for (let count = 1; ; count++) {
    if (count > entries) throw acc.error(`${where}: chain is longer than the table's ${entries} entries (a loop?)`);
    const entry = `${where}, entry ${index}`;
    const desc = readDescriptor(memory, ref.addr + index * DESCRIPTOR_SIZE, acc, entry);
    // The device ignores the WRITE flag of the descriptor that points at the table (spec);
    // inside the table each entry's own WRITE flag counts.
    if (desc.flags & VIRTQ_DESC_F_INDIRECT) throw acc.error(`${entry}: nested indirect descriptor`);
    acc.add(desc, entry);
    if (!(desc.flags & VIRTQ_DESC_F_NEXT)) return count;
    if (desc.next >= entries) throw acc.error(`${entry}: next index ${desc.next} is outside the table (${entries} entries)`);
    index = desc.next;
  }
}

function readDescriptor(memory: GuestMemory, at: number, acc: Accumulator, where: string): Descriptor {
  const lo = memory.read32(at);
  const hi = memory.read32(at + 4);
  // Addresses above 2^53 cannot be numbers; no RAM is there anyway.
  if (hi >= 0x200000) throw acc.error(`${where}: address 0x${hi.toString(16)}${lo.toString(16).padStart(8, "0")} is outside RAM`);
  return {
    addr: hi * 0x100000000 + lo,
    len: memory.read32(at + 8),
    flags: memory.read16(at + 12),
    next: memory.read16(at + 14),
  };
}

/** Collects buffers in order and enforces the rules that span the whole chain. */
class Accumulator {
  readonly readable: Segment[] = [];
  readonly writable: Segment[] = [];
  private total = 0;
  private seenWritable = false;

  constructor(private readonly memory: GuestMemory, private readonly head: number) {}

  error(message: string): QueueProtocolError {
    return new QueueProtocolError(`chain at head ${this.head}: ${message}`);
  }

  checkRange(addr: number, len: number, where: string): void {
    try {
      this.memory.check(addr, len);
    } catch (e) {
      if (e instanceof GuestMemoryError) throw this.error(`${where}: buffer 0x${addr.toString(16)}+${len} is outside RAM`);
      throw e;
    }
  }

  add(desc: Descriptor, where: string): void {
    const writable = (desc.flags & VIRTQ_DESC_F_WRITE) !== 0;
    // 2.7.4.2: device-writable buffers come after all device-readable ones.
    if (!writable && this.seenWritable) throw this.error(`${where}: readable buffer after a writable one`);
    this.checkRange(desc.addr, desc.len, where);
    this.total += desc.len;
    if (this.total > MAX_CHAIN_BYTES) throw this.error(`${where}: chain is longer than 2^32 bytes in total`);
    this.seenWritable ||= writable;
    // Zero-length buffers are legal but carry nothing: keep them out of the lists.
    if (desc.len > 0) (writable ? this.writable : this.readable).push({ addr: desc.addr, len: desc.len });
  }
}
