// Adds to a chain view what its buffers hold, decoded (src/inspect/decode/), and which of
// its writable buffers are stale. The format comes from the device's own description
// (DeviceInfo.chainFormats); the inspector holds no table of devices.
import type { GuestMemory } from "../memory/guest-memory.js";
import type { ChainFormat } from "../virtio/device-info.js";
import type { SplitQueueView } from "../virtio/split-queue.js";
import { decodeChain } from "./decode/chain-decode.js";
import type { ChainView } from "./types.js";

/**
 * The length the device wrote into the chain of a used (or free: used and reclaimed) split-
 * ring slot: every device here completes in order, so used-ring position u holds avail-ring
 * position u's chain; the element's id is checked against the chain's head all the same.
 */
export function splitUsedLength(memory: GuestMemory, ring: SplitQueueView, slot: number, head: number): number | undefined {
  try {
    const at = ring.usedAddr + 4 + 8 * slot;
    return memory.read32(at) === head ? memory.read32(at + 4) : undefined;
  } catch {
    return undefined;
  }
}

/** `view` with `decoded`, `decodeNote` and descriptors' `stale` filled in. */
export function withDecoded(memory: GuestMemory, format: ChainFormat | undefined, view: ChainView): ChainView {
  if (!format || format === "none" || view.head < 0) return view;
  const packedUsed = view.bufferId !== undefined && view.status === "used";
  if (packedUsed) {
    // Spec 2.8.4: the device wrote its used descriptor over the buffer's first descriptor.
    return { ...view, decoded: [], decodeNote: "not decoded: the used descriptor was written over the buffer's first descriptor, so its address is gone" };
  }
  const input = view.written === undefined ? { descriptors: view.descriptors, status: view.status } : { descriptors: view.descriptors, status: view.status, written: view.written };
  const result = decodeChain(memory, format, input);
  const stale = new Set(result.stale);
  const descriptors = view.descriptors.map((d, i) => (stale.has(i) ? { ...d, stale: true } : d));
  const out: ChainView = { ...view, descriptors, decoded: result.decoded };
  if (result.note) out.decodeNote = result.note;
  return out;
}
