// One packed virtqueue as the inspector shows it: the device's two positions with their
// wrap counters, both event suppression areas decoded, who owns each slot, each slot's
// buffer ID and how its AVAIL/USED flags stand against the wrap counters.
import type { PackedQueueView } from "../virtio/packed-ring-layout.js";
import type { DeviceNotificationMode } from "../virtio/virtio-device.js";
import { packedSlotPicture } from "./packed-slot-statuses.js";
import type { EventSuppressionView, QueueView } from "./types.js";

const FLAG_NAMES = ["ENABLE", "DISABLE", "DESC"] as const;

export function eventSuppressionView(e: { offWrap: number; flags: number }): EventSuppressionView {
  const flags = e.flags & 0xffff;
  return {
    flags,
    flagsName: FLAG_NAMES[flags] ?? `reserved (${flags})`,
    offWrap: e.offWrap & 0xffff,
    slot: e.offWrap & 0x7fff,
    wrap: (e.offWrap & 0x8000) !== 0,
  };
}

const where = (e: EventSuppressionView) => `slot ${e.slot} wrap ${e.wrap ? 1 : 0}`;

/**
 * The notification mode in words. Kicks: the device's own switch (its event suppression
 * flags); while it is off, virtio-net's pair may be polling the ring instead. Interrupts:
 * the driver's wish, named when it is not plain ENABLE.
 */
export function packedNotificationMode(ring: PackedQueueView | undefined, live: boolean, device?: DeviceNotificationMode): string {
  if (!ring || !live) return "not live";
  const own = eventSuppressionView(ring.deviceEvent);
  let words = ring.notificationsEnabled
    ? own.flagsName === "DESC" ? `kicks at ${where(own)}` : "kicks on"
    : device === "polling" ? "kicks off: device polls" : "kicks off";
  const driver = eventSuppressionView(ring.driverEvent);
  if (driver.flagsName === "DISABLE") words += ", interrupts off";
  else if (driver.flagsName === "DESC") words += `, interrupt at ${where(driver)}`;
  else if (driver.flagsName !== "ENABLE") words += `, driver event flags ${driver.flagsName}`;
  return words;
}

/** The queue as the device model lists it. */
interface ListedQueue {
  index: number;
  name: string;
  size: number;
  enabled: boolean;
}

/** `live`: the ring is running; a ring that stopped keeps its numbers on show, but its slots are drawn free. */
export function packedQueueView(q: ListedQueue, ring: PackedQueueView, live: boolean, device?: DeviceNotificationMode): QueueView {
  const picture = packedSlotPicture(live ? ring : undefined, ring.size);
  const driverEvent = eventSuppressionView(ring.driverEvent);
  const deviceEvent = eventSuppressionView(ring.deviceEvent);
  const size = ring.size;
  return {
    layout: "packed",
    index: q.index,
    name: q.name,
    size,
    enabled: q.enabled,
    descAddr: ring.descAddr,
    availAddr: ring.driverEventAddr,
    usedAddr: ring.deviceEventAddr,
    availIdx: size > 0 ? (ring.nextAvail + picture.available) % size : 0,
    usedIdx: ring.nextUsed,
    lastAvailIdx: ring.nextAvail,
    inFlight: ring.inFlight,
    usedEvent: 0,
    availEvent: 0,
    eventIdx: ring.eventIdx,
    availFlags: 0,
    usedFlags: 0,
    notificationMode: packedNotificationMode(ring, live, device),
    counters: { ...ring.counters },
    slots: picture.letters,
    packed: {
      driverEventAddr: ring.driverEventAddr,
      deviceEventAddr: ring.deviceEventAddr,
      nextAvail: ring.nextAvail,
      availWrap: ring.availWrap,
      nextUsed: ring.nextUsed,
      usedWrap: ring.usedWrap,
      driverEvent,
      deviceEvent,
      takenSlots: picture.taken,
      ids: ring.slots.slice(0, size).map((s) => s.id),
      wrapMarks: picture.wrapMarks,
    },
  };
}
