// The state of each available-ring slot, for the inspector's ring picture.
//
// Three free-running 16-bit counters say almost everything: L, the device's last seen
// avail index (the next chain it will take); A, avail.idx; U, used.idx. Sequence numbers
// s in [L, A) are chains the driver published and the device has not taken: slot s mod
// size is "available". The device took the chains before L; `inFlight` of them are popped
// and not yet returned. Every device here completes in order, so those are [L - inFlight, L):
// "held". Used entries [X, U) are on the used ring and not yet reclaimed by the driver, where
// X is the driver's last seen used index, which the driver never publishes. The
// approximation: with EVENT_IDX, Linux writes used_event = its last_used_idx after every
// get_buf while callbacks are on, so [used_event, U) is what it has not looked at yet. It is
// only an approximation. With callbacks off (NAPI polling, or a queue with no callback such
// as virtio-net's control queue) Linux parks used_event at 0, so 0 with U != 0 reads as
// "unknown"; virtqueue_enable_cb_delayed puts used_event ahead of U, and a range that would
// not fit in the ring beside the available and held ones also reads as "unknown". Unknown
// and no EVENT_IDX at all (the driver gives no hint then) draw nothing as used. With
// in-order completion used entry u and avail entry u are the same chain, so the used
// ring's positions are drawn on the same slots. Everything else is "free".
import type { SlotStatus } from "./types.js";

/**
 * Slot states travel as one letter per slot (a 1024-slot ring is a 1 KiB string): ten
 * snapshots a second of arrays of strings cost the machine's worker allocation and
 * garbage collection, and the page the same again to receive them.
 */
export const SLOT_LETTER: Record<SlotStatus, string> = { free: "f", available: "a", held: "h", used: "u" };
/** Upper case marks a packed ring's slot that continues a buffer (packed-slot-statuses.ts); its status is the same. */
const STATUS_OF_LETTER: Record<string, SlotStatus> = {
  f: "free", a: "available", h: "held", u: "used", F: "free", A: "available", H: "held", U: "used",
};
const CODE: Record<SlotStatus, number> = { free: 0x66, available: 0x61, held: 0x68, used: 0x75 };

/** The state of slot `i` in a letters string (undefined outside it). */
export function slotStatusAt(letters: string, i: number): SlotStatus | undefined {
  return STATUS_OF_LETTER[letters.charAt(i)];
}

export interface RingCounters {
  size: number;
  lastAvailIdx: number;
  availIdx: number;
  usedIdx: number;
  inFlight: number;
  eventIdx: boolean;
  usedEvent: number;
}

/** The largest queue the spec allows; bounds what a hostile size could make us allocate. */
const MAX_SLOTS = 32768;

/** One letter per slot (SLOT_LETTER); all free when `ring` is undefined (the queue is not live). */
export function slotStatuses(size: number, ring: RingCounters | undefined): string {
  const n = Number.isInteger(size) ? Math.max(0, Math.min(size, MAX_SLOTS)) : 0;
  const codes = new Uint8Array(n).fill(CODE.free);
  const text = () => new TextDecoder().decode(codes);
  // A live ring's size is a power of two (checked when the driver enabled the queue).
  if (!ring || n === 0 || ring.size !== n || (n & (n - 1)) !== 0) return text();
  const mask = n - 1;
  const paint = (start: number, count: number, status: SlotStatus) => {
    for (let k = 0; k < count; k++) codes[(start + k) & mask] = CODE[status];
  };
  const L = ring.lastAvailIdx & 0xffff;
  // A driver that moved avail.idx more than a ring ahead is broken (the device fails it at
  // its next pop); draw the whole ring as available rather than wrap around twice.
  const available = Math.min((ring.availIdx - L) & 0xffff, n);
  const held = Math.max(0, Math.min(ring.inFlight, n - available));
  const parked = ring.usedEvent === 0 && ring.usedIdx !== 0;
  if (ring.eventIdx && !parked) {
    const used = (ring.usedIdx - ring.usedEvent) & 0xffff;
    if (used <= n - available - held) paint(ring.usedEvent, used, "used");
  }
  // Later paints win where ranges overlap (only if a device completed out of order).
  paint((L - held) & 0xffff, held, "held");
  paint(L, available, "available");
  return text();
}
