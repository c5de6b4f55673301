// One descriptor chain as the inspector's chain view shows it: the head an avail-ring slot
// names, every descriptor followed from it (direct, and through an INDIRECT table), and the
// first bytes of the first buffer.
//
// This is a look, not a use: it only reads guest memory, never moves the device's ring
// state (the queue's pop() would), and never throws. Whatever the driver wrote is shown
// as far as it can be followed; what stops the walk (a loop, an index or address out of
// range) becomes `problem`. The walk is bounded by the ring size, the table size and
// MAX_DESCRIPTORS, so a hostile ring costs at most that.
import type { GuestMemory } from "../memory/guest-memory.js";
import { DESCRIPTOR_SIZE, MAX_INDIRECT_ENTRIES, VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT } from "../virtio/split-descriptors.js";
import type { DescriptorView } from "./types.js";
import { namedFlags, SPLIT_FLAGS } from "./descriptor-flag-names.js";
import { errorMessage } from "../util/error-message.js";

/** Descriptors listed at most (a chain may legally be as long as the queue, or an indirect table). */
export const MAX_DESCRIPTORS = 1024;
export const PREVIEW_BYTES = 256;

export interface ChainTable {
  size: number;
  descAddr: number;
  availAddr: number;
  /** RING_INDIRECT_DESC was negotiated. */
  indirect: boolean;
}

export interface WalkedChainView {
  head: number;
  descriptors: DescriptorView[];
  preview: number[];
  problem?: string;
}


const hex = (n: number) => `0x${n.toString(16)}`;

/** Thrown inside the walk to end it with a problem; never escapes walkChainAt. */
class Stop {
  constructor(readonly problem: string) {}
}

/** The chain avail.ring[slot] names, read from guest memory as it is now. */
export function walkChainAt(memory: GuestMemory, table: ChainTable, slot: number): WalkedChainView {
  const out: WalkedChainView = { head: -1, descriptors: [], preview: [] };
  try {
    walk(memory, table, slot, out);
  } catch (e) {
    out.problem = e instanceof Stop ? e.problem : `cannot read the chain: ${errorMessage(e)}`;
  }
  out.preview = preview(memory, out.descriptors);
  return out;
}

function walk(memory: GuestMemory, table: ChainTable, slot: number, out: WalkedChainView): void {
  const { size } = table;
  if (!Number.isInteger(slot) || slot < 0 || slot >= size) throw new Stop(`slot ${slot} is outside the ring (size ${size})`);
  const head = readOr(() => memory.read16(table.availAddr + 4 + 2 * slot), "the available ring is outside guest RAM");
  out.head = head;
  if (head >= size) throw new Stop(`slot ${slot} names head ${head}, outside the queue (size ${size})`);
  const seen = new Uint8Array(size);
  for (let index = head; ;) {
    if (seen[index]) throw new Stop(`descriptor loop: descriptor ${index} comes round again`);
    seen[index] = 1;
    const d = readDescriptor(memory, table.descAddr + DESCRIPTOR_SIZE * index, index, false, out);
    if (d.flags & VIRTQ_DESC_F_INDIRECT) {
      if (!table.indirect) throw new Stop(`descriptor ${index} is INDIRECT but RING_INDIRECT_DESC was not negotiated`);
      if (d.flags & VIRTQ_DESC_F_NEXT) throw new Stop(`descriptor ${index} has both INDIRECT and NEXT`);
      walkIndirect(memory, d, out);
      return;
    }
    checkBuffer(memory, d, `descriptor ${index}`);
    if (!(d.flags & VIRTQ_DESC_F_NEXT)) return;
    if (d.next >= size) throw new Stop(`descriptor ${index}: next ${d.next} is outside the queue (size ${size})`);
    index = d.next;
  }
}

function walkIndirect(memory: GuestMemory, ref: DescriptorView, out: WalkedChainView): void {
  const where = `indirect table of descriptor ${ref.index}`;
  if (ref.len === 0 || ref.len % DESCRIPTOR_SIZE !== 0) throw new Stop(`${where}: length ${ref.len} is not a non-zero multiple of 16`);
  const entries = ref.len / DESCRIPTOR_SIZE;
  if (entries > MAX_INDIRECT_ENTRIES) throw new Stop(`${where}: ${entries} entries, more than ${MAX_INDIRECT_ENTRIES}`);
  if (!inRam(memory, ref.addr, ref.len)) throw new Stop(`${where}: ${hex(ref.addr)}+${ref.len} is outside guest RAM`);
  const seen = new Uint8Array(entries);
  for (let index = 0; ;) {
    if (seen[index]) throw new Stop(`descriptor loop: entry ${index} of the ${where} comes round again`);
    seen[index] = 1;
    const d = readDescriptor(memory, ref.addr + DESCRIPTOR_SIZE * index, index, true, out);
    if (d.flags & VIRTQ_DESC_F_INDIRECT) throw new Stop(`${where}, entry ${index}: nested indirect descriptor`);
    checkBuffer(memory, d, `${where}, entry ${index}`);
    if (!(d.flags & VIRTQ_DESC_F_NEXT)) return;
    if (d.next >= entries) throw new Stop(`${where}, entry ${index}: next ${d.next} is outside the table (${entries} entries)`);
    index = d.next;
  }
}

/** Reads one descriptor and lists it (the list is bounded by MAX_DESCRIPTORS). */
function readDescriptor(memory: GuestMemory, at: number, index: number, indirect: boolean, out: WalkedChainView): DescriptorView {
  if (out.descriptors.length >= MAX_DESCRIPTORS) throw new Stop(`chain is longer than ${MAX_DESCRIPTORS} descriptors; the rest is not shown`);
  const what = indirect ? `indirect entry ${index}` : `descriptor ${index}`;
  const read = <T>(f: () => T) => readOr(f, `${what} at ${hex(at)} is outside guest RAM`);
  const lo = read(() => memory.read32(at));
  const hi = read(() => memory.read32(at + 4));
  const flags = read(() => memory.read16(at + 12));
  const d: DescriptorView = {
    index,
    addr: hi * 0x1_0000_0000 + lo,
    len: read(() => memory.read32(at + 8)),
    flags,
    flagNames: namedFlags(flags, SPLIT_FLAGS),
    next: read(() => memory.read16(at + 14)),
    indirect,
  };
  out.descriptors.push(d);
  return d;
}

function checkBuffer(memory: GuestMemory, d: DescriptorView, where: string): void {
  if (!inRam(memory, d.addr, d.len)) throw new Stop(`${where}: buffer ${hex(d.addr)}+${d.len} is outside guest RAM`);
}

/** Up to PREVIEW_BYTES of the first non-empty buffer that lies in RAM (packed-chain-view.ts shares it). */
export function preview(memory: GuestMemory, descriptors: readonly DescriptorView[]): number[] {
  const first = descriptors.find((d) => !(d.flags & VIRTQ_DESC_F_INDIRECT) && d.len > 0 && inRam(memory, d.addr, d.len));
  if (!first) return [];
  try {
    return Array.from(memory.view(first.addr, Math.min(first.len, PREVIEW_BYTES)));
  } catch {
    return [];
  }
}

export function inRam(memory: GuestMemory, addr: number, len: number): boolean {
  try {
    memory.check(addr, len);
    return true;
  } catch {
    return false;
  }
}

function readOr<T>(f: () => T, problem: string): T {
  try {
    return f();
  } catch {
    throw new Stop(problem);
  }
}
