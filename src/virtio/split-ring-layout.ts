// The shape of one split virtqueue (virtio 1.2, 2.7): its three areas in guest memory,
// what a device needs to run it, what it shows the inspector and what a saved state
// keeps, and the check that a layout the driver wrote is usable.
import type { GuestMemory } from "../memory/guest-memory.js";
import { ringAreasError } from "./ring-areas.js";
import type { QueueCounters } from "./queue-types.js";
import { DESCRIPTOR_SIZE } from "./descriptor-buffers.js";
import type { WorkBudget } from "./work-budget.js";

export const VRING_AVAIL_F_NO_INTERRUPT = 1;
export const VRING_USED_F_NO_NOTIFY = 1;
export const MAX_QUEUE_SIZE = 32768;

/** A queue's position in a saved state (the layout is saved by the device model). */
export interface SplitQueueState {
  /** The next avail-ring index to pop once restored: held buffers are popped again. */
  resumeAt: number;
  usedIdx: number;
  signalledUsed: number;
  counters: QueueCounters;
}

export interface SplitRingLayout {
  /** Queue size (entries). */
  readonly size: number;
  /** Descriptor area (the transport's queue_desc). */
  readonly descAddr: number;
  /** Driver area: the available ring (queue_driver). */
  readonly availAddr: number;
  /** Device area: the used ring (queue_device). */
  readonly usedAddr: number;
}

export interface SplitQueueConfig extends SplitRingLayout {
  readonly index: number;
  /** VIRTIO_F_RING_EVENT_IDX was negotiated. */
  readonly eventIdx: boolean;
  /** VIRTIO_F_RING_INDIRECT_DESC was negotiated. */
  readonly indirect: boolean;
  /**
   * The device's budget per turn (work-budget.ts): once it is spent, pop() hands out no
   * more chains and the queue remembers that it left work behind. Unlimited if absent.
   */
  readonly budget?: WorkBudget;
}

/** What the inspector shows for one queue (plain data). */
export interface SplitQueueView {
  layout: "split";
  index: number;
  size: number;
  descAddr: number;
  availAddr: number;
  usedAddr: number;
  eventIdx: boolean;
  indirect: boolean;
  /** Next available-ring index the device will consume (its last seen position). */
  lastAvailIdx: number;
  /** avail.idx as it is in guest memory now. */
  availIdx: number;
  usedIdx: number;
  availFlags: number;
  usedFlags: number;
  /** avail ring's used_event (meaningful only with EVENT_IDX). */
  usedEvent: number;
  /** used ring's avail_event (meaningful only with EVENT_IDX). */
  availEvent: number;
  notificationsEnabled: boolean;
  /** Chains popped and not yet put on the used ring. */
  inFlight: number;
  counters: QueueCounters;
}

/** Why a ring layout is unusable (spec 2.7: sizes and alignments), or undefined if it is fine. */
export function splitRingLayoutError(memory: GuestMemory, layout: SplitRingLayout): string | undefined {
  const { size, descAddr, availAddr, usedAddr } = layout;
  if (!Number.isInteger(size) || size < 1 || size > MAX_QUEUE_SIZE || (size & (size - 1)) !== 0) {
    return `queue size ${size} is not a power of two from 1 to ${MAX_QUEUE_SIZE}`;
  }
  return ringAreasError(memory, [
    ["descriptor table", descAddr, DESCRIPTOR_SIZE * size, 16],
    ["available ring", availAddr, 6 + 2 * size, 2],
    ["used ring", usedAddr, 6 + 8 * size, 4],
  ]);
}
