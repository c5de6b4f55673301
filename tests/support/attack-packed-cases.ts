// The packed-ring lies the attack tool tells (images/tools/attack/attack-packed.c), and
// what each must end in: DEVICE_NEEDS_RESET with a reason holding the device model's own
// words (src/virtio/packed-*.ts, descriptor-buffers.ts), or, where the spec allows what
// the driver did, the request served within the work budget.
import { RNG_CHAIN_BYTES } from "../../src/devices/virtio-rng.js";
import type { Role } from "./attack-rig.js";

export type Outcome =
  /** NEEDS_RESET, and lastError (and the log) contain this text. */
  | { reason: string }
  /** Still running; every request posted came back (the first with at most `usedLenAtMost` bytes), and an honest request after it is served. */
  | { served: true; usedLenAtMost?: number };

export interface PackedLie {
  name: string;
  /** More of the tool's options ("--qsize 5"). */
  args?: string;
  outcome: Outcome;
}

const lie = (name: string, reason: string, args?: string): PackedLie => ({ name, outcome: { reason }, ...(args ? { args } : {}) });
const served = (name: string, usedLenAtMost?: number): PackedLie => ({
  name, outcome: { served: true, ...(usedLenAtMost !== undefined ? { usedLenAtMost } : {}) },
});

/** The tool's default queue size for these attacks. */
export const QSIZE = 16;

/** Every case against the rng: it has one queue and one-buffer requests, so each lie is the only change. */
const RNG: PackedLie[] = [
  lie("wrap-lie", "slot 1 is not available for wrap counter 1"),
  lie("flags-used", "slot 1 is not available for wrap counter 1"),
  lie("flags-garbage", "slot 0: unknown flags 0x140"),
  lie("id-range", `buffer ID ${QSIZE} is outside the queue (size ${QSIZE})`),
  // A device here returns each buffer before it takes the next, so the first is back before
  // the second is read: a reused ID is no lie the device can see, and both are served. (A
  // device that holds buffers refuses one: packed-queue's unit test, "already in flight".)
  served("id-reuse"),
  // Inside a packed indirect table only WRITE counts (2.8.7: the other flags are reserved and
  // ignored): NEXT links and a nested INDIRECT mean nothing there, the entries are read in order.
  served("indirect-loop"),
  // Its table's second entry names the table itself without WRITE: a readable buffer after
  // the first (writable) one, which no chain may have.
  lie("indirect-nested", "readable buffer after a writable one"),
  lie("indirect-next", "slot 0 has both INDIRECT and NEXT"),
  lie("indirect-inside", "slot 1 is indirect inside a chain"),
  lie("past-end", `chain at slot ${QSIZE - 2}: slot 0 is not available for wrap counter 0`),
  lie("ring-long", `chain is longer than the queue size ${QSIZE}`),
  // A packed ring need not be a power of two (2.8.10.1): the same lies on a ring of 5 slots.
  lie("past-end", "chain at slot 3: slot 0 is not available for wrap counter 0", "--qsize 5"),
  lie("ring-long", "chain is longer than the queue size 5", "--qsize 5"),
  // Event suppression only tunes interrupts: a value the driver must not write (DESC without
  // EVENT_IDX, the reserved 3, an off_wrap past the ring) gets interrupts, never fewer, and the
  // buffers are served (packed-queue.ts, needsInterrupt).
  served("event-desc"),
  served("event-reserved"),
  served("event-offwrap"),
  // 2^32 - 1 bytes in a chain is the most the spec allows: served, a bounded part of it filled.
  served("huge-len", RNG_CHAIN_BYTES),
  lie("huge-total", "chain is longer than 2^32 bytes in total"),
  lie("huge-direct", "+4294967295 is outside RAM"),
  // No RAM there, and no exact JavaScript number: the walk refuses it, and the inspector's view of
  // the stopped ring (read by every check here) must still read the slot without throwing.
  lie("addr-high", "slot 0: address 0xffffffff0c"),
];

/** The disk: three-buffer requests (header, data, status). */
const BLK: PackedLie[] = [
  lie("wrap-lie", "slot 1 is not available for wrap counter 1"),
  lie("id-range", `buffer ID ${QSIZE} is outside the queue (size ${QSIZE})`),
  // The disk completes a request before it takes the next (its backend here is synchronous).
  served("id-reuse"),
  served("indirect-loop"),
  lie("past-end", `chain at slot ${QSIZE - 2}: slot 0 is not available for wrap counter 0`),
  served("event-desc"),
  // A read of 4 GiB is more than a request may move: it completes IOERR, within the budget.
  served("huge-len"),
];

/**
 * The console, on its transmit queue. (Its receive queue would not show a reused ID either:
 * it takes a buffer only when the host has typed something, and returns it at once.)
 */
const CONSOLE: PackedLie[] = [
  lie("past-end", `chain at slot ${QSIZE - 2}: slot 0 is not available for wrap counter 0`),
  served("indirect-nested"),
  lie("flags-used", "slot 1 is not available for wrap counter 1"),
  lie("ring-long", `chain is longer than the queue size ${QSIZE}`),
];

export const PACKED_LIES: Record<Extract<Role, "rng" | "vda" | "console">, PackedLie[]> = { rng: RNG, vda: BLK, console: CONSOLE };
