// The bytes of one chain as the decoders see them: the device-readable buffers one after
// another, and the device-writable ones, each copied from guest memory up to a fixed budget
// whatever lengths the descriptors claim. Also which writable buffers are stale: made
// available (or taken) but not yet filled by the device, so their bytes are whatever was
// there before; in a used chain, those past the length the device wrote.
import type { GuestMemory } from "../../memory/guest-memory.js";
import { VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_WRITE } from "../../virtio/split-descriptors.js";
import type { DescriptorView, SlotStatus } from "../types.js";
import { ByteReader } from "./bytes.js";
import type { Side } from "./layer.js";

/** Bytes copied from each side of a chain, at most: enough for any header stack decoded here. */
export const DECODE_BYTES = 512;

/** One buffer's place in its side's byte stream. */
export interface Segment {
  /** Position in the chain view's descriptor list. */
  descriptor: number;
  start: number;
  len: number;
}

export interface ChainBytes {
  readable: ByteReader;
  /** The writable buffers' fresh bytes (all of them when the device's length is unknown); empty when stale. */
  writable: ByteReader;
  /** Bytes all writable buffers offer. */
  writableTotal: number;
  /** The device's used length, when the chain is used and its used entry was found. */
  written?: number;
  /** The writable buffers were made available and not yet filled. */
  stale: boolean;
  /** The last byte of the last writable buffer (a virtio-blk status), unless stale. */
  lastWritable?: number;
  segments: Record<Side, Segment[]>;
  /** Positions (in the descriptor list) of writable buffers whose bytes are from before. */
  staleDescriptors: number[];
}

export interface ChainBytesInput {
  descriptors: readonly DescriptorView[];
  status: SlotStatus;
  /** The used length, for a used chain. */
  written?: number;
  /** Positions to leave out (a packed ring's used descriptor is not a buffer). */
  skip?: number;
}

export function chainBytes(memory: GuestMemory, input: ChainBytesInput): ChainBytes {
  const { descriptors, status, written } = input;
  const stale = status === "available" || status === "held";
  const segments: Record<Side, Segment[]> = { readable: [], writable: [] };
  const totals: Record<Side, number> = { readable: 0, writable: 0 };
  const staleDescriptors: number[] = [];
  descriptors.forEach((d, i) => {
    if (i < (input.skip ?? 0) || d.flags & VIRTQ_DESC_F_INDIRECT) return;
    const side: Side = d.flags & VIRTQ_DESC_F_WRITE ? "writable" : "readable";
    segments[side].push({ descriptor: i, start: totals[side], len: d.len });
    if (side === "writable" && (stale || (written !== undefined && totals.writable >= written && d.len > 0))) staleDescriptors.push(i);
    totals[side] += d.len;
  });
  const fresh = stale ? 0 : Math.min(written ?? totals.writable, totals.writable);
  const readable = new ByteReader(copy(memory, descriptors, segments.readable, totals.readable), totals.readable, "readable");
  const writable = new ByteReader(copy(memory, descriptors, segments.writable, fresh), fresh, "writable");
  const out: ChainBytes = { readable, writable, writableTotal: totals.writable, stale, segments, staleDescriptors };
  if (written !== undefined) out.written = written;
  const last = segments.writable.at(-1);
  const lastDescriptor = last && descriptors[last.descriptor];
  if (!stale && lastDescriptor && last.len > 0) {
    const byte = readByte(memory, lastDescriptor.addr + last.len - 1);
    if (byte !== undefined) out.lastWritable = byte;
  }
  return out;
}

/** Up to DECODE_BYTES of the first `limit` bytes of the buffers in `segments`, in order. */
function copy(memory: GuestMemory, descriptors: readonly DescriptorView[], segments: readonly Segment[], limit: number): Uint8Array {
  const out = new Uint8Array(Math.max(0, Math.min(limit, DECODE_BYTES)));
  let filled = 0;
  for (const s of segments) {
    if (filled >= out.length) break;
    const d = descriptors[s.descriptor];
    const n = Math.min(s.len, out.length - filled);
    if (!d || n <= 0) continue;
    try {
      out.set(memory.view(d.addr, n), filled);
    } catch {
      break; // outside RAM: the walk said so already; decode what came before
    }
    filled += n;
  }
  return out.subarray(0, filled);
}

function readByte(memory: GuestMemory, addr: number): number | undefined {
  try {
    return memory.view(addr, 1)[0];
  } catch {
    return undefined;
  }
}

/** Where byte `start` of a side's stream lies: its descriptor and the offset in that buffer. */
export function place(segments: readonly Segment[], start: number): { descriptor: number; offset: number } {
  for (const s of segments) if (start < s.start + s.len) return { descriptor: s.descriptor, offset: Math.max(0, start - s.start) };
  const last = segments.at(-1);
  return last ? { descriptor: last.descriptor, offset: Math.max(0, start - last.start) } : { descriptor: -1, offset: start };
}
