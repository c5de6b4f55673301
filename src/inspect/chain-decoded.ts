// Adds to a chain view what its buffers hold, decoded (src/inspect/decode/), and which of
// its writable buffers are stale. The format comes from the device's own description
// (DeviceInfo.chainFormats); the inspector holds no table of devices.
import type { GuestMemory } from "../memory/guest-memory.js";
import type { ChainFormat } from "../virtio/device-info.js";
import type { SplitQueueView } from "../virtio/split-queue.js";
import { VIRTQ_DESC_F_WRITE } from "../virtio/split-descriptors.js";
import { preview } from "./chain-view.js";
import { decodeChain } from "./decode/chain-decode.js";
import { slotStatusAt } from "./slot-statuses.js";
import type { ChainView } from "./types.js";

/** What a split ring says about one slot's chain beyond its descriptors. */
export interface SplitChainFacts {
  /** Bytes the device wrote (from the used ring). */
  written?: number;
  /** A free slot whose head descriptor the driver has since put in the chain of this (newer) slot. */
  reusedBy?: number;
}

/**
 * For a used or free (used and reclaimed) slot: the length the device wrote, from the used
 * ring. Every device here completes in order, so used-ring position u holds avail-ring
 * position u's chain; the element's id is checked against the chain's head all the same.
 * For a free slot: whether the driver has since put its head descriptor in a newer chain
 * (one in a slot it filled later), whose buffers the walk then read. Costs at most one read
 * per slot of the ring.
 */
export function splitChainFacts(memory: GuestMemory, ring: SplitQueueView, letters: string, slot: number, head: number): SplitChainFacts {
  const status = slotStatusAt(letters, slot);
  if (head < 0 || (status !== "used" && status !== "free")) return {};
  try {
    const facts: SplitChainFacts = {};
    const at = ring.usedAddr + 4 + 8 * slot;
    if (memory.read32(at) === head) facts.written = memory.read32(at + 4);
    if (status === "free") {
      // The slots the driver filled after this one: from the next slot up to avail.idx.
      const size = ring.size;
      const end = ring.availIdx % size;
      for (let k = (slot + 1) % size, n = 1; k !== end && n < size; k = (k + 1) % size, n++) {
        if (memory.read16(ring.availAddr + 4 + 2 * k) === head) {
          facts.reusedBy = k;
          break;
        }
      }
    }
    return facts;
  } catch {
    return {};
  }
}

/** A free slot's chain was returned and reclaimed: the driver may have reused its buffers since. */
const FREE_NOTE = "free: the driver has taken this chain back, and its buffers may hold other data by now";

/** `view` with `decoded`, `decodeNote` and descriptors' `stale` filled in. */
export function withDecoded(memory: GuestMemory, format: ChainFormat | undefined, view: ChainView, facts: SplitChainFacts = {}): ChainView {
  if (facts.written !== undefined) view = { ...view, written: facts.written };
  if (!format || format === "none" || view.head < 0) return view;
  if (view.bufferId !== undefined && view.status === "used") return packedUsed(memory, format, view);
  if (view.problem) {
    // Bytes found through a broken chain (often a freed indirect table) would be noise.
    return { ...view, decoded: [], decodeNote: "not decoded: the chain could not be followed to its end" };
  }
  if (facts.reusedBy !== undefined) {
    const note = `not decoded: the driver has reclaimed this chain and put descriptor ${view.head} in the newer chain of slot ${facts.reusedBy}; the buffers listed are that chain's`;
    return { ...view, decoded: [], decodeNote: note };
  }
  return decoded(memory, format, view);
}

/**
 * A used buffer of a packed ring: the device wrote its used descriptor (id, len, flags) over
 * the buffer's first descriptor, at the slot the buffer started at (devices here complete in
 * order). The spec leaves the address field unused and ours leaves the driver's address in
 * it, so a one-descriptor writable buffer (a receive buffer) is still found: at that address,
 * `len` bytes written. A longer chain lost its first descriptor's length and flags.
 */
function packedUsed(memory: GuestMemory, format: ChainFormat, view: ChainView): ChainView {
  const [used] = view.descriptors;
  if (view.descriptors.length !== 1 || !used || !(used.flags & VIRTQ_DESC_F_WRITE)) {
    return { ...view, decoded: [], decodeNote: "not decoded: the used descriptor was written over the buffer's first descriptor, whose length and flags are gone" };
  }
  const out = decoded(memory, format, { ...view, written: used.len, preview: preview(memory, [used]) });
  const note = "found at the address the driver wrote, which this device leaves in the used descriptor (the spec does not promise it)";
  return { ...out, decodeNote: out.decodeNote ? `${out.decodeNote}; ${note}` : note };
}

function decoded(memory: GuestMemory, format: ChainFormat, view: ChainView): ChainView {
  const input = view.written === undefined ? { descriptors: view.descriptors, status: view.status } : { descriptors: view.descriptors, status: view.status, written: view.written };
  const result = decodeChain(memory, format, input);
  const stale = new Set(result.stale);
  const descriptors = view.descriptors.map((d, i) => (stale.has(i) ? { ...d, stale: true } : d));
  const out: ChainView = { ...view, descriptors, decoded: result.decoded };
  const notes = [result.note, view.status === "free" && result.decoded.length > 0 ? FREE_NOTE : undefined].filter((n) => n !== undefined);
  if (notes.length > 0) out.decodeNote = notes.join("; ");
  return out;
}
