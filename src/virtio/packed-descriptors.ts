// Walks one packed-ring descriptor chain (virtio 1.2, 2.8.13 and 2.8.14) starting at a
// ring slot, and turns it into checked buffer lists, or throws QueueProtocolError saying
// what the driver got wrong. The chain runs through consecutive slots (past the ring's
// end to slot 0, where the wrap counter the driver writes flips) while NEXT is set; an
// indirect descriptor stands alone and points at a table of packed descriptors read in
// order. The walk is bounded by the ring size and the table's entries, so it always ends.
//
// Read-only: the queue pops with it, and the inspector shows a chain with it, without
// changing guest memory.
import type { GuestMemory } from "../memory/guest-memory.js";
import { ChainBuffers, DESCRIPTOR_SIZE, type WalkedBuffers } from "./descriptor-buffers.js";
import { VIRTQ_DESC_F_AVAIL, VIRTQ_DESC_F_USED } from "./packed-ring-layout.js";
import { VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } from "./split-descriptors.js";

/** Flags a descriptor in the ring may carry; any other bit is a driver bug. */
const RING_FLAGS = VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED;

export interface PackedRing {
  /** Guest address of the descriptor ring (already checked to lie in RAM). */
  readonly addr: number;
  /** Queue size: slots in the ring. */
  readonly size: number;
  /** VIRTIO_F_RING_INDIRECT_DESC was negotiated. */
  readonly indirect: boolean;
}

export interface WalkedPackedChain extends WalkedBuffers {
  /** The buffer ID (the last descriptor's): what the used descriptor carries back. */
  id: number;
  /** Ring slots the chain occupies: the device's used position skips this many (2.8.21). */
  slots: number;
}

/**
 * Whether the descriptor with `flags` is available to a device expecting wrap counter
 * `wrap`: AVAIL equals it and USED does not (2.8.1).
 */
export function isAvailable(flags: number, wrap: boolean): boolean {
  return ((flags & VIRTQ_DESC_F_AVAIL) !== 0) === wrap && ((flags & VIRTQ_DESC_F_USED) !== 0) !== wrap;
}

/** Validates and flattens the chain whose first descriptor is ring slot `slot`, made available with wrap counter `wrap`. */
export function walkPackedChain(memory: GuestMemory, ring: PackedRing, slot: number, wrap: boolean): WalkedPackedChain {
  const acc = new ChainBuffers(memory, "slot", slot);
  if (!Number.isInteger(slot) || slot < 0 || slot >= ring.size) throw acc.error(`slot is outside the ring (size ${ring.size})`);
  let at = slot;
  let expected = wrap;
  let descriptors = 0;
  for (let count = 1; ; count++) {
    // A chain longer than the ring would have to reuse its own first slot (2.8.13).
    if (count > ring.size) throw acc.error(`chain is longer than the queue size ${ring.size}`);
    const base = ring.addr + at * DESCRIPTOR_SIZE;
    const flags = memory.read16(base + 14);
    if (!isAvailable(flags, expected)) {
      throw acc.error(`${acc.where(at)} is not available for wrap counter ${expected ? 1 : 0} (flags 0x${flags.toString(16)})`);
    }
    if (flags & ~RING_FLAGS) throw acc.error(`${acc.where(at)}: unknown flags 0x${(flags & ~RING_FLAGS).toString(16)}`);
    const addr = acc.readAddr(base, at);
    const len = memory.read32(base + 8);
    descriptors++;
    if (flags & VIRTQ_DESC_F_INDIRECT) {
      if (!ring.indirect) throw acc.error(`${acc.where(at)} is indirect but RING_INDIRECT_DESC was not negotiated`);
      if (flags & VIRTQ_DESC_F_NEXT) throw acc.error(`${acc.where(at)} has both INDIRECT and NEXT`);
      // 2.8.14: an indirect descriptor is never part of a list linked by NEXT.
      if (count > 1) throw acc.error(`${acc.where(at)} is indirect inside a chain`);
      descriptors += walkIndirect(memory, addr, len, acc, at);
    } else {
      acc.add(addr, len, (flags & VIRTQ_DESC_F_WRITE) !== 0, at);
    }
    if (!(flags & VIRTQ_DESC_F_NEXT)) {
      // The buffer ID rides in the chain's last descriptor (2.8.13).
      const id = memory.read16(base + 12);
      if (id >= ring.size) throw acc.error(`buffer ID ${id} is outside the queue (size ${ring.size})`);
      return { readable: acc.readable, writable: acc.writable, descriptors, id, slots: count };
    }
    if (++at === ring.size) {
      at = 0;
      expected = !expected;
    }
  }
}

/** Reads the indirect table of `len` bytes at `addr` that ring slot `ring` points at, entries in order; returns how many. */
function walkIndirect(memory: GuestMemory, addr: number, len: number, acc: ChainBuffers, ring: number): number {
  const entries = acc.indirectEntries(addr, len, ring);
  for (let i = 0; i < entries; i++) {
    const base = addr + i * DESCRIPTOR_SIZE;
    // WRITE is the only valid flag inside a packed indirect table; the spec has the device
    // ignore the others (2.8.7: reserved), and drivers exist that set NEXT there (a table is
    // read in order, so NEXT means nothing). Ignoring them costs nothing: the walk is
    // linear and bounded by the table's length.
    const flags = memory.read16(base + 14);
    acc.add(acc.readAddr(base, ring, i), memory.read32(base + 8), (flags & VIRTQ_DESC_F_WRITE) !== 0, ring, i);
  }
  return entries;
}
