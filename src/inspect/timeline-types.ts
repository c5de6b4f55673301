// The ring-event timeline as plain data: what the machine's recorder (src/virtio/ring-trace.ts)
// hands out, what crosses the worker API and what the page draws as a logic-analyser view
// and exports as a Chrome/Perfetto trace. Events are kept as parallel number arrays, not
// objects, so a page asking ten times a second for thousands of events allocates little.
import { RING_EVENT } from "../virtio/ring-trace.js";

/**
 * What happened on a queue: the recorder's own numbers (RING_EVENT), the values of
 * `TimelineView.kinds`.
 * `a` and `b` per kind:
 * - publish: the driver made buffers available (seen when the device reads the ring):
 *   a = the new avail index (split) or the slot of the first new descriptor (packed),
 *   b = how many buffers are new (split) or 1 (packed).
 * - take: the device took a chain: a = its head (split) or buffer ID (packed), b = the ring slot.
 * - return: the device put it on the used ring: a = head or buffer ID, b = bytes written.
 * - kick: a doorbell write for the queue; a, b = 0.
 * - kickSuppressed: the device found new buffers that no kick announced (the driver
 *   published with kicks off); a = buffers found, b = 0.
 * - interrupt / interruptMerged / interruptSuppressed: the device's decision after
 *   returning buffers: sent, merged into one already pending, or not sent (the driver's
 *   suppression, or MSI-X NO_VECTOR); a = the used index (split) or next-used slot (packed), b = 0.
 * - notifyOff / notifyOn: the device turned kicks off or on (VRING_USED_F_NO_NOTIFY, the
 *   packed device event flags, or avail_event parked/moved); a = the value written, b = 0.
 * - availEvent: the device moved avail_event (EVENT_IDX): a = the new value, b = 0.
 * - usedEvent: the driver's used_event (or packed driver event off_wrap) read a new value
 *   when the device decided on an interrupt: a = the value, b = the previous one.
 */
export const TIMELINE_EVENT = RING_EVENT;

export type TimelineEventName = keyof typeof TIMELINE_EVENT;
export type TimelineEventKind = (typeof TIMELINE_EVENT)[TimelineEventName];

/** The event names by number (TIMELINE_EVENT_NAMES[TIMELINE_EVENT.kick] === "kick"). */
export const TIMELINE_EVENT_NAMES: readonly TimelineEventName[] = (Object.keys(TIMELINE_EVENT) as TimelineEventName[])
  .sort((x, y) => TIMELINE_EVENT[x] - TIMELINE_EVENT[y]);

/** One queue that events are recorded for; its position in `TimelineView.queues` is its number in `sources`. */
export interface TimelineQueue {
  /** The device's address ("00:05.0", "mmio@0xd0000000"), as in the inspector. */
  address: string;
  /** The device's label in this machine ("virtio-net", "virtio-blk #2"). */
  device: string;
  queue: number;
  /** The queue's name ("rx", "tx", "requests"). */
  name: string;
}

/**
 * Recorded events from `firstSeq` to `nextSeq - 1`, oldest first. The recorder keeps the
 * newest `capacity` events; older ones are gone (`dropped` counts them since the
 * recording began).
 */
export interface TimelineView {
  /** Whether the machine is recording now. */
  recording: boolean;
  capacity: number;
  /** Sequence number of the first event in the arrays below, and one past the last. */
  firstSeq: number;
  nextSeq: number;
  dropped: number;
  queues: TimelineQueue[];
  /** Per event: guest time in ms (v86's clock, the one its timers run on). */
  times: number[];
  /** Per event: an index into `queues`. */
  sources: number[];
  /** Per event: a TimelineEventKind. */
  kinds: number[];
  a: number[];
  b: number[];
}
