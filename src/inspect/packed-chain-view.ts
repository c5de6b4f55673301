// One buffer of a packed ring (virtio 1.2, 2.8) as the inspector's chain view shows it: the
// descriptors from the slot it starts at, followed by NEXT through the ring (and through an
// INDIRECT table), its buffer ID, and the first bytes of its first buffer. A used buffer is
// shown as the device left it: its used descriptor (buffer ID, bytes written) and the slots
// that descriptor skips, which still hold the rest of the driver's chain.
//
// Like chain-view.ts this is a look, not a use: it only reads guest memory, never moves the
// queue, and never throws. What stops the walk (a chain longer than the ring, a nested or
// misplaced INDIRECT, an address outside RAM) becomes `problem`; the walk is bounded by the
// ring size, the table size and MAX_DESCRIPTORS.
import type { GuestMemory } from "../memory/guest-memory.js";
import { MAX_INDIRECT_ENTRIES, VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT } from "../virtio/split-descriptors.js";
import { PACKED_DESCRIPTOR_SIZE, type PackedQueueView } from "../virtio/packed-ring-layout.js";
import { inRam, MAX_DESCRIPTORS, preview, type WalkedChainView } from "./chain-view.js";
import { continuesBuffer, packedSlotPicture } from "./packed-slot-statuses.js";
import { slotStatusAt } from "./slot-statuses.js";
import type { DescriptorView, SlotStatus } from "./types.js";
import { namedFlags, PACKED_FLAGS } from "./descriptor-flag-names.js";
import { errorMessage } from "../util/error-message.js";

export interface PackedChainTable {
  size: number;
  descAddr: number;
  /** RING_INDIRECT_DESC was negotiated. */
  indirect: boolean;
}

export interface WalkedPackedChain extends WalkedChainView {
  bufferId?: number;
}


const hex = (n: number) => `0x${n.toString(16)}`;

/** Thrown inside the walk to end it with a problem; never escapes walkPackedChainAt. */
class Stop {
  constructor(readonly problem: string) {}
}

/**
 * The buffer that starts at `slot`. `usedSlots`: the slot holds a used descriptor and the
 * buffer spanned this many slots (the picture's used span); the walk then lists them as
 * they are instead of following NEXT.
 */
export function walkPackedChainAt(memory: GuestMemory, table: PackedChainTable, slot: number, usedSlots?: number): WalkedPackedChain {
  const out: WalkedPackedChain = { head: -1, descriptors: [], preview: [] };
  try {
    if (!Number.isInteger(table.size) || table.size < 1) throw new Stop(`the ring has no slots`);
    if (!Number.isInteger(slot) || slot < 0 || slot >= table.size) throw new Stop(`slot ${slot} is outside the ring (size ${table.size})`);
    out.head = slot;
    if (usedSlots === undefined) walkChain(memory, table, slot, out);
    else listUsed(memory, table, slot, usedSlots, out);
  } catch (e) {
    out.problem = e instanceof Stop ? e.problem : `cannot read the chain: ${errorMessage(e)}`;
  }
  // A used descriptor's address is unused (spec 2.8.4): its bytes are not the buffer's.
  out.preview = preview(memory, usedSlots === undefined ? out.descriptors : out.descriptors.slice(1));
  return out;
}

function walkChain(memory: GuestMemory, table: PackedChainTable, head: number, out: WalkedPackedChain): void {
  const { size } = table;
  for (let k = 0, p = head; ; k++, p = (p + 1) % size) {
    if (k >= size) throw new Stop(`the chain from slot ${head} is longer than the ring (${size} slots): NEXT is set on every slot`);
    const d = readDescriptor(memory, table.descAddr + PACKED_DESCRIPTOR_SIZE * p, p, false, out);
    out.bufferId = d.id;
    if (d.flags & VIRTQ_DESC_F_INDIRECT) {
      if (!table.indirect) throw new Stop(`slot ${p} is INDIRECT but RING_INDIRECT_DESC was not negotiated`);
      if (k > 0) throw new Stop(`slot ${p}: an INDIRECT descriptor inside a chain linked by NEXT`);
      if (d.flags & VIRTQ_DESC_F_NEXT) throw new Stop(`slot ${p} has both INDIRECT and NEXT`);
      walkIndirect(memory, d, out);
      return;
    }
    checkBuffer(memory, d, `slot ${p}`);
    if (!(d.flags & VIRTQ_DESC_F_NEXT)) return;
  }
}

/**
 * An indirect table's entries follow each other: only WRITE counts there, the other flags
 * are reserved and the device ignores them (spec 2.8.7), so they are listed, not refused.
 */
function walkIndirect(memory: GuestMemory, ref: DescriptorView, out: WalkedPackedChain): void {
  const where = `indirect table of slot ${ref.index}`;
  if (ref.len === 0 || ref.len % PACKED_DESCRIPTOR_SIZE !== 0) throw new Stop(`${where}: length ${ref.len} is not a non-zero multiple of 16`);
  const entries = ref.len / PACKED_DESCRIPTOR_SIZE;
  if (entries > MAX_INDIRECT_ENTRIES) throw new Stop(`${where}: ${entries} entries, more than ${MAX_INDIRECT_ENTRIES}`);
  if (!inRam(memory, ref.addr, ref.len)) throw new Stop(`${where}: ${hex(ref.addr)}+${ref.len} is outside guest RAM`);
  for (let index = 0; index < entries; index++) {
    const d = readDescriptor(memory, ref.addr + PACKED_DESCRIPTOR_SIZE * index, index, true, out);
    checkBuffer(memory, d, `${where}, entry ${index}`);
  }
}

/** A used descriptor and the slots it skips, listed as they are (they are not a chain any more). */
function listUsed(memory: GuestMemory, table: PackedChainTable, slot: number, count: number, out: WalkedPackedChain): void {
  const n = Math.max(1, Math.min(Number.isInteger(count) ? count : 1, table.size));
  for (let k = 0; k < n; k++) {
    const p = (slot + k) % table.size;
    const d = readDescriptor(memory, table.descAddr + PACKED_DESCRIPTOR_SIZE * p, p, false, out);
    if (k === 0) out.bufferId = d.id;
  }
}

/** Reads one descriptor and lists it (the list is bounded by MAX_DESCRIPTORS). */
function readDescriptor(memory: GuestMemory, at: number, index: number, indirect: boolean, out: WalkedPackedChain): DescriptorView {
  if (out.descriptors.length >= MAX_DESCRIPTORS) throw new Stop(`chain is longer than ${MAX_DESCRIPTORS} descriptors; the rest is not shown`);
  const what = indirect ? `indirect entry ${index}` : `slot ${index}`;
  let d: DescriptorView;
  try {
    const flags = memory.read16(at + 14);
    d = {
      index,
      addr: memory.read32(at + 4) * 0x1_0000_0000 + memory.read32(at),
      len: memory.read32(at + 8),
      flags,
      flagNames: namedFlags(flags, PACKED_FLAGS),
      // A packed chain goes on in the next slot (or the next table entry): no next field.
      next: -1,
      indirect,
      id: memory.read16(at + 12),
    };
  } catch {
    throw new Stop(`${what} at ${hex(at)} is outside guest RAM`);
  }
  out.descriptors.push(d);
  return d;
}

function checkBuffer(memory: GuestMemory, d: DescriptorView, where: string): void {
  if (!inRam(memory, d.addr, d.len)) throw new Stop(`${where}: buffer ${hex(d.addr)}+${d.len} is outside guest RAM`);
}

/** What the chain view shows for a click on `slot` of a live packed ring. */
export interface PackedSlotChain extends WalkedPackedChain {
  status: SlotStatus;
}

/**
 * The buffer a click on `slot` means: a slot that continues a buffer stands for the buffer
 * it belongs to, so the walk starts where that buffer starts (found through the picture's
 * letters, at most one lap back); a used buffer lists its used descriptor and the slots it
 * skips.
 */
export function packedChainAt(memory: GuestMemory, ring: PackedQueueView, slot: number): PackedSlotChain {
  const letters = packedSlotPicture(ring).letters;
  const n = letters.length;
  const table = { size: ring.size, descAddr: ring.descAddr, indirect: ring.indirect };
  if (!Number.isInteger(slot) || slot < 0 || slot >= n) return { status: "free", ...walkPackedChainAt(memory, table, slot) };
  let head = slot;
  for (let k = 0; k < n && continuesBuffer(letters, head); k++) head = (head - 1 + n) % n;
  const status = slotStatusAt(letters, head) ?? "free";
  if (status !== "used") return { status, ...walkPackedChainAt(memory, table, head) };
  let span = 1;
  while (span < n && continuesBuffer(letters, (head + span) % n)) span++;
  return { status, ...walkPackedChainAt(memory, table, head, span) };
}
