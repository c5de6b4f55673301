// Who owns each slot of a packed ring (virtio 1.2, 2.8), for the inspector's ring picture.
//
// A packed ring has one descriptor ring that both sides write, and each side keeps its
// positions to itself except for what the device's queue knows: next-avail (the slot it
// looks at next, with the wrap counter it expects there) and next-used (where it writes its
// next used descriptor, with its wrap counter). Positions are read as (slot, wrap) pairs,
// which repeat every two laps: a pair's sequence number is slot + (wrap ? 0 : size), and
// distances between pairs are taken modulo 2 * size.
//
// - Taken, in flight (h): the slots from next-used to next-avail. The device read them and
//   has not written their used descriptors yet. This span is exact, whatever order the
//   device completes in: a used descriptor always goes to next-used, which then skips the
//   slots of the returned buffer.
// - Available (a): from next-avail on, every slot the device's own test passes (AVAIL equal
//   to the wrap counter it expects there, USED not), until the first that fails. The driver
//   makes a chain's head available last, so a chain still being written is not counted.
// - Used, returned, not yet reclaimed (u): the driver keeps its reclaim position to itself,
//   but with EVENT_IDX Linux sets its event suppression to DESC and off_wrap to that
//   position after every reclaim while it wants interrupts, so [off_wrap, next-used) is what
//   it has not looked at yet. With ENABLE or DISABLE (callbacks off, NAPI polling), or an
//   off_wrap that does not fit behind next-used beside the taken and available slots
//   (virtqueue_enable_cb_delayed puts it ahead), the span is unknown and nothing is drawn as
//   used: as the split ring's picture does with a parked used_event.
// - Everything else is free, the driver's (f).
//
// A slot that continues the buffer of the slot before it is written in upper case: in the
// available and taken spans, one after a slot whose NEXT flag is set; in the used span, one
// that is not itself a used descriptor of the lap (the slots a used descriptor skips).
import { VIRTQ_DESC_F_AVAIL, VIRTQ_DESC_F_USED } from "../virtio/packed-ring-layout.js";
import { VIRTQ_DESC_F_NEXT } from "../virtio/split-descriptors.js";

/** What the statuses are computed from (a PackedQueueView has it). */
export interface PackedRingPositions {
  size: number;
  nextAvail: number;
  availWrap: boolean;
  nextUsed: number;
  usedWrap: boolean;
  eventIdx: boolean;
  driverEvent: { offWrap: number; flags: number };
  slots: ReadonlyArray<{ flags: number }>;
}

export interface PackedSlotPicture {
  /** One letter per slot (QueueView.slots). */
  letters: string;
  /** One digit per slot (PackedRingView.wrapMarks); empty when the ring is not live. */
  wrapMarks: string;
  /** Slots from next-used to next-avail. */
  taken: number;
  /** Slots available from next-avail on. */
  available: number;
  /** Slots returned and not yet reclaimed, or undefined when the driver gives no hint. */
  used: number | undefined;
}

const MAX_SLOTS = 32768;
const RING_EVENT_FLAGS_DESC = 2;
const CODE = { free: 0x66, available: 0x61, held: 0x68, used: 0x75 } as const;
/** Clearing this bit makes a letter upper case: the slot continues the buffer of the slot before it. */
const LOWER_CASE = 0x20;
const letter = (code: number, continues: boolean): number => (continues ? code & ~LOWER_CASE : code);

/** Which wrap-counter comparison a slot shows (PackedRingView.wrapMarks): bit 0 AVAIL, bit 1 USED. */
export function wrapMarkAt(marks: string, slot: number): { avail: boolean; used: boolean } | undefined {
  const digit = marks.charCodeAt(slot) - 0x30;
  if (!(digit >= 0 && digit <= 3)) return undefined;
  return { avail: (digit & 1) !== 0, used: (digit & 2) !== 0 };
}

/** True when the slot's letter says it continues the buffer of the slot before it (packed rings). */
export function continuesBuffer(letters: string, slot: number): boolean {
  const c = letters.charCodeAt(slot);
  return c >= 0x41 && c <= 0x5a;
}

const bit = (flags: number, mask: number): boolean => (flags & mask) !== 0;

/** Every slot free (a ring that is not live, or one whose numbers do not add up). */
function idle(n: number): PackedSlotPicture {
  return { letters: "f".repeat(n), wrapMarks: "", taken: 0, available: 0, used: undefined };
}

export function packedSlotPicture(ring: PackedRingPositions | undefined, size = ring?.size ?? 0): PackedSlotPicture {
  const n = Number.isInteger(size) ? Math.max(0, Math.min(size, MAX_SLOTS)) : 0;
  if (!ring || n === 0 || ring.size !== n || ring.slots.length !== n) return idle(n);
  const inRing = (p: number) => Number.isInteger(p) && p >= 0 && p < n;
  if (!inRing(ring.nextAvail) || !inRing(ring.nextUsed)) return idle(n);
  const flags = (p: number): number => ring.slots[p]?.flags ?? 0;
  const seq = (slot: number, wrap: boolean) => slot + (wrap ? 0 : n);
  const distance = (from: number, to: number) => (((to - from) % (2 * n)) + 2 * n) % (2 * n);
  const availSeq = seq(ring.nextAvail, ring.availWrap);
  const usedSeq = seq(ring.nextUsed, ring.usedWrap);
  /** The slot and the wrap counter of sequence number s. */
  const at = (s: number): [number, boolean] => {
    const m = ((s % (2 * n)) + 2 * n) % (2 * n);
    return m < n ? [m, true] : [m - n, false];
  };

  const codes = new Uint8Array(n).fill(CODE.free);
  const marks = new Uint8Array(n);
  for (let p = 0; p < n; p++) {
    // The counter the device expects at p next: availWrap ahead of it, flipped behind it.
    const expected = p >= ring.nextAvail ? ring.availWrap : !ring.availWrap;
    const f = flags(p);
    marks[p] = 0x30 + (bit(f, VIRTQ_DESC_F_AVAIL) === expected ? 1 : 0) + (bit(f, VIRTQ_DESC_F_USED) === expected ? 2 : 0);
  }

  // next-used can never be ahead of next-avail; if it is, the device's numbers are broken.
  let taken = distance(usedSeq, availSeq);
  if (taken > n) taken = 0;
  for (let k = 0; k < taken; k++) {
    const [p] = at(usedSeq + k);
    codes[p] = letter(CODE.held, k > 0 && bit(flags(at(usedSeq + k - 1)[0]), VIRTQ_DESC_F_NEXT));
  }

  let available = 0;
  while (available < n - taken) {
    const [p, wrap] = at(availSeq + available);
    const f = flags(p);
    if (bit(f, VIRTQ_DESC_F_AVAIL) !== wrap || bit(f, VIRTQ_DESC_F_USED) === wrap) break;
    const continues = available > 0 && bit(flags(at(availSeq + available - 1)[0]), VIRTQ_DESC_F_NEXT);
    codes[p] = letter(CODE.available, continues);
    available++;
  }

  let used: number | undefined;
  const hint = ring.driverEvent;
  if (ring.eventIdx && hint.flags === RING_EVENT_FLAGS_DESC && (hint.offWrap & 0x7fff) < n) {
    const fromSeq = seq(hint.offWrap & 0x7fff, (hint.offWrap & 0x8000) !== 0);
    const count = distance(fromSeq, usedSeq);
    if (count <= n - taken - available) {
      used = count;
      for (let k = 0; k < count; k++) {
        const [p, wrap] = at(fromSeq + k);
        const f = flags(p);
        const isUsedDescriptor = bit(f, VIRTQ_DESC_F_AVAIL) === wrap && bit(f, VIRTQ_DESC_F_USED) === wrap;
        codes[p] = letter(CODE.used, k > 0 && !isUsedDescriptor);
      }
    }
  }
  const decoder = new TextDecoder();
  return { letters: decoder.decode(codes), wrapMarks: decoder.decode(marks), taken, available, used };
}
