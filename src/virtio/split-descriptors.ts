// Walks one split-ring descriptor chain (virtio 1.2, 2.7.5) and turns it into checked
// buffer lists, or throws QueueProtocolError saying what the driver got wrong. Every
// value here comes from the guest and may be anything: indices, flags, lengths and
// addresses are all checked before use, and the walk is bounded so a looped chain ends.
// The rules a chain's buffers obey in either ring format are in descriptor-buffers.ts.
import type { GuestMemory } from "../memory/guest-memory.js";
import { ChainBuffers, DESCRIPTOR_SIZE, type WalkedBuffers } from "./descriptor-buffers.js";

export { DESCRIPTOR_SIZE, MAX_INDIRECT_ENTRIES } from "./descriptor-buffers.js";

export const VIRTQ_DESC_F_NEXT = 1;
export const VIRTQ_DESC_F_WRITE = 2;
export const VIRTQ_DESC_F_INDIRECT = 4;

export interface Descriptor {
  addr: number;
  len: number;
  flags: number;
  next: number;
}

export type WalkedChain = WalkedBuffers;

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
  const acc = new ChainBuffers(memory, `chain at head ${head}`);
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
    acc.add(desc.addr, desc.len, (desc.flags & VIRTQ_DESC_F_WRITE) !== 0, `descriptor ${index}`);
    if (!(desc.flags & VIRTQ_DESC_F_NEXT)) break;
    index = desc.next;
  }
  return { readable: acc.readable, writable: acc.writable, descriptors };
}

/** Walks an indirect table; returns the number of its entries read. */
function walkIndirect(memory: GuestMemory, ref: Descriptor, acc: ChainBuffers, refIndex: number): number {
  const where = `indirect table of descriptor ${refIndex}`;
  const entries = acc.indirectEntries(ref.addr, ref.len, where);
  let index = 0;
  for (let count = 1; ; count++) {
    if (count > entries) throw acc.error(`${where}: chain is longer than the table's ${entries} entries (a loop?)`);
    const entry = `${where}, entry ${index}`;
    const desc = readDescriptor(memory, ref.addr + index * DESCRIPTOR_SIZE, acc, entry);
    // The device ignores the WRITE flag of the descriptor that points at the table (spec);
    // inside the table each entry's own WRITE flag counts.
    if (desc.flags & VIRTQ_DESC_F_INDIRECT) throw acc.error(`${entry}: nested indirect descriptor`);
    acc.add(desc.addr, desc.len, (desc.flags & VIRTQ_DESC_F_WRITE) !== 0, entry);
    if (!(desc.flags & VIRTQ_DESC_F_NEXT)) return count;
    if (desc.next >= entries) throw acc.error(`${entry}: next index ${desc.next} is outside the table (${entries} entries)`);
    index = desc.next;
  }
}

function readDescriptor(memory: GuestMemory, at: number, acc: ChainBuffers, where: string): Descriptor {
  return {
    addr: acc.readAddr(at, where),
    len: memory.read32(at + 8),
    flags: memory.read16(at + 12),
    next: memory.read16(at + 14),
  };
}
