// One virtqueue as the inspector shows it: the ring's counters and addresses, its
// notification mode in words, and the slot states for the ring picture.
import { DEVICE_TYPE_BLOCK, DEVICE_TYPE_CONSOLE, DEVICE_TYPE_ENTROPY, DEVICE_TYPE_NET } from "../virtio/features.js";
import type { QueueModelSnapshot } from "../virtio/device-model.js";
import { VRING_AVAIL_F_NO_INTERRUPT, type SplitQueueSnapshot } from "../virtio/split-queue.js";
import type { QueueCounters } from "../virtio/queue-types.js";
import { slotStates } from "./slot-states.js";
import type { QueueView } from "./types.js";

/** How a device takes notifications beyond what its queues say (virtio-net's queue pair). */
export type DeviceNotificationMode = "notified" | "polling";

/** Queue names by device type, in queue order (the spec's names, section 5). */
const QUEUE_NAMES: Record<number, readonly string[]> = {
  [DEVICE_TYPE_NET]: ["rx", "tx", "control"],
  [DEVICE_TYPE_CONSOLE]: ["rx", "tx"],
  [DEVICE_TYPE_BLOCK]: ["requests"],
  [DEVICE_TYPE_ENTROPY]: ["requests"],
};

export function queueName(deviceType: number, index: number): string {
  return QUEUE_NAMES[deviceType]?.[index] ?? `queue ${index}`;
}

/**
 * The notification mode in words. Kicks: the queue's own switch (EVENT_IDX's avail_event
 * or VRING_USED_F_NO_NOTIFY); while it is off, virtio-net's pair may be polling the rings
 * instead. Interrupts are named only when the driver turned them off with the avail flag
 * (without EVENT_IDX; with it, used_event is shown as a number).
 */
export function notificationMode(ring: SplitQueueSnapshot | undefined, live: boolean, device?: DeviceNotificationMode): string {
  if (!ring || !live) return "not live";
  let words = ring.notificationsEnabled ? "kicks on" : device === "polling" ? "kicks off: device polls" : "kicks off";
  if (!ring.eventIdx && ring.availFlags & VRING_AVAIL_F_NO_INTERRUPT) words += ", interrupts off";
  return words;
}

const NO_COUNTERS: QueueCounters = {
  kicks: 0, kicksSuppressed: 0, interrupts: 0, interruptsSuppressed: 0, interruptsMerged: 0, buffers: 0, bytesRead: 0, bytesWritten: 0,
};

/**
 * `live`: the ring is running (after DRIVER_OK, not stopped by a reset or a failure). A ring
 * that stopped keeps its last numbers on show, but its slots are drawn free.
 */
export function queueView(deviceType: number, q: QueueModelSnapshot, live: boolean, device?: DeviceNotificationMode): QueueView {
  const r = q.ring;
  return {
    index: q.index,
    name: queueName(deviceType, q.index),
    size: r?.size ?? q.size,
    enabled: q.enabled,
    descAddr: r?.descAddr ?? 0,
    availAddr: r?.availAddr ?? 0,
    usedAddr: r?.usedAddr ?? 0,
    availIdx: r?.availIdx ?? 0,
    usedIdx: r?.usedIdx ?? 0,
    lastAvailIdx: r?.lastAvailIdx ?? 0,
    inFlight: r?.inFlight ?? 0,
    usedEvent: r?.usedEvent ?? 0,
    availEvent: r?.availEvent ?? 0,
    eventIdx: r?.eventIdx ?? false,
    availFlags: r?.availFlags ?? 0,
    usedFlags: r?.usedFlags ?? 0,
    notificationMode: notificationMode(r, live, device),
    counters: r ? r.counters : { ...NO_COUNTERS },
    slots: slotStates(r?.size ?? q.size, live ? r : undefined),
  };
}
