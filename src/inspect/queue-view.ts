// One virtqueue as the inspector shows it: the ring's counters and addresses, its
// notification mode in words, and the slot states for the ring picture. Packed rings are
// packed-queue-view.ts's.
import type { QueueModelView } from "../virtio/device-model.js";
import { VRING_AVAIL_F_NO_INTERRUPT, type SplitQueueView } from "../virtio/split-queue.js";
import type { DeviceNotificationMode } from "../virtio/virtio-device.js";
import type { QueueCounters } from "../virtio/queue-types.js";
import { slotStatuses } from "./slot-statuses.js";
import { packedQueueView } from "./packed-queue-view.js";
import type { QueueView } from "./types.js";

/**
 * The notification mode in words. Kicks: the queue's own switch (EVENT_IDX's avail_event
 * or VRING_USED_F_NO_NOTIFY); while it is off, virtio-net's pair may be polling the rings
 * instead. Interrupts are named only when the driver turned them off with the avail flag
 * (without EVENT_IDX; with it, used_event is shown as a number).
 */
export function notificationMode(ring: SplitQueueView | undefined, live: boolean, device?: DeviceNotificationMode): string {
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
export function queueView(q: QueueModelView, live: boolean, device?: DeviceNotificationMode): QueueView {
  if (q.ring?.layout === "packed") return packedQueueView(q, q.ring, live, device);
  const r = q.ring;
  return {
    layout: "split",
    index: q.index,
    name: q.name,
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
    slots: slotStatuses(r?.size ?? q.size, live ? r : undefined),
  };
}
