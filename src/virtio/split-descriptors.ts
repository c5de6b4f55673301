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
  const acc = new ChainBuffers(memory, "descriptor", head);
  let index = head;
  let descriptors = 0;
  // A direct chain visits at most `size` descriptors: one more means a loop (or a chain
  // the spec forbids anyway), which ends the walk instead of spinning forever.
  for (let count = 1; ; count++) {
    if (index >= table.size) throw acc.error(`next index ${index} is outside the queue (size ${table.size})`);
    if (count > table.size) throw acc.error(`chain is longer than the queue size ${table.size} (a loop?)`);
    const at = table.addr + index * DESCRIPTOR_SIZE;
    const addr = acc.readAddr(at, index);
    const len = memory.read32(at + 8);
    const flags = memory.read16(at + 12);
    descriptors++;
    if (flags & VIRTQ_DESC_F_INDIRECT) {
      if (!table.indirect) throw acc.error(`descriptor ${index} is indirect but RING_INDIRECT_DESC was not negotiated`);
      // INDIRECT with NEXT is forbidden (2.7.5.3.1), so an indirect table always ends the chain.
      if (flags & VIRTQ_DESC_F_NEXT) throw acc.error(`descriptor ${index} has both INDIRECT and NEXT`);
      descriptors += walkIndirect(memory, addr, len, acc, index);
      break;
    }
    acc.add(addr, len, (flags & VIRTQ_DESC_F_WRITE) !== 0, index);
    if (!(flags & VIRTQ_DESC_F_NEXT)) break;
    index = memory.read16(at + 14);
  }
  return { readable: acc.readable, writable: acc.writable, descriptors };
}

/** Walks the indirect table of `len` bytes at `addr` that ring descriptor `ring` points at; returns the number of its entries read. */
function walkIndirect(memory: GuestMemory, addr: number, len: number, acc: ChainBuffers, ring: number): number {
  const entries = acc.indirectEntries(addr, len, ring);
  let index = 0;
  for (let count = 1; ; count++) {
    if (count > entries) throw acc.error(`${acc.table(ring)}: chain is longer than the table's ${entries} entries (a loop?)`);
    const at = addr + index * DESCRIPTOR_SIZE;
    const bufferAddr = acc.readAddr(at, ring, index);
    const flags = memory.read16(at + 12);
    // The device ignores the WRITE flag of the descriptor that points at the table (spec);
    // inside the table each entry's own WRITE flag counts.
    if (flags & VIRTQ_DESC_F_INDIRECT) throw acc.error(`${acc.where(ring, index)}: nested indirect descriptor`);
    acc.add(bufferAddr, memory.read32(at + 8), (flags & VIRTQ_DESC_F_WRITE) !== 0, ring, index);
    if (!(flags & VIRTQ_DESC_F_NEXT)) return count;
    const next = memory.read16(at + 14);
    if (next >= entries) throw acc.error(`${acc.where(ring, index)}: next index ${next} is outside the table (${entries} entries)`);
    index = next;
  }
}
