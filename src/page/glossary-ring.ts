// Glossary entries for a queue card: a split ring's fields, a packed ring's, the states
// of ring slots, the notification counters, the notification mode and the rate chart.
import { sec, type Explanation } from "./glossary-spec.js";

const VIRTQUEUES = sec("2.6", "Virtqueues");
const DESC_TABLE = sec("2.7.5", "The Virtqueue Descriptor Table");
const AVAIL_RING = sec("2.7.6", "The Virtqueue Available Ring");
const USED_SUPPRESSION = sec("2.7.7", "Used Buffer Notification Suppression");
const USED_RING = sec("2.7.8", "The Virtqueue Used Ring");
const AVAIL_SUPPRESSION = sec("2.7.10", "Available Buffer Notification Suppression");
const NOTIFYING = sec("2.7.13.4", "Notifying The Device");
const RECEIVING = sec("2.7.14", "Receiving Used Buffers From The Device");
const NOTIFICATIONS = sec("2.3", "Notifications");
const PACKED = sec("2.8", "Packed Virtqueues");
const WRAP = sec("2.8.1", "Driver and Device Ring Wrap Counters");
const EVENT_SUPPRESSION = sec("2.8.10", "Driver and Device Event Suppression");
const EVENT_FORMAT = sec("2.8.14", "Event Suppression Structure Format");
const DESC_FORMAT = sec("2.8.13", "The Virtqueue Descriptor Format");
const PACKED_SUPPLY = sec("2.8.21.1", "Placing Available Buffers Into The Descriptor Ring");
const PACKED_RECEIVE = sec("2.8.22", "Receiving Used Buffers From The Device");

const e = (text: string, section: Explanation["section"]): Explanation => ({ text, section });

export const RING_TERMS: ReadonlyArray<readonly [string, Explanation]> = [
  // A split ring's three areas and their indexes.
  ["split.desc", e("Guest address of the descriptor table: one entry per buffer piece (address, length, flags, next), which the driver fills and chains.", DESC_TABLE)],
  ["split.avail", e("Guest address of the available ring, where the driver lists the head descriptors of buffers it hands to the device.", AVAIL_RING)],
  ["split.used", e("Guest address of the used ring, where the device returns finished buffers with the number of bytes it wrote into them.", USED_RING)],
  ["split.availIdx", e("The available ring's idx: where the driver will put its next buffer. It only grows (wrapping at 65536); the driver publishes a batch by moving it.", AVAIL_RING)],
  ["split.usedIdx", e("The used ring's idx: where the device will put its next finished buffer. The driver reads used buffers up to it.", USED_RING)],
  ["split.lastSeen", e("The device's own position in the available ring: the next entry it will take. Between it and avail idx are buffers the device has not taken yet.", RECEIVING)],
  ["split.inFlight", e("Buffers the device has taken from the available ring and not yet returned in the used ring.", VIRTQUEUES)],
  ["split.usedEvent", e("With EVENT_IDX: the driver asks for an interrupt only when the used idx passes this value, so the device can skip interrupts it does not want.", USED_SUPPRESSION)],
  ["split.availEvent", e("With EVENT_IDX: the device asks for a kick only when the avail idx passes this value, so the driver can skip doorbell writes.", AVAIL_SUPPRESSION)],
  ["split.availFlags", e("The driver's flags word in the available ring. NO_INTERRUPT (bit 0) asks the device not to interrupt (ignored with EVENT_IDX).", USED_SUPPRESSION)],
  ["split.usedFlags", e("The device's flags word in the used ring. NO_NOTIFY (bit 0) asks the driver not to kick (ignored with EVENT_IDX).", AVAIL_SUPPRESSION)],
  // Slot states in the ring picture (split: one cell per available-ring entry).
  ["slot.free", e("No buffer: the driver has not put anything in this entry of the available ring, or took back what the device returned.", VIRTQUEUES)],
  ["slot.available", e("The driver made this buffer available and the device has not taken it yet.", AVAIL_RING)],
  ["slot.held", e("The device took this buffer and is working on it (a receive buffer waiting for a packet, a request in progress).", RECEIVING)],
  ["slot.used", e("The device returned this buffer in the used ring; the driver has not read it back yet.", USED_RING)],
  // The queue card's heading and counters.
  ["queue.size", e("How many descriptors the queue holds: the driver picks it, up to the device's maximum, a power of two for a split ring.", VIRTQUEUES)],
  ["queue.mode", e("Who tells whom when there is work: kicks are the driver's notifications to the device, interrupts the device's to the driver. Either side may switch the other's off while it polls.", NOTIFICATIONS)],
  ["counter.kicks", e("Available buffer notifications: doorbell writes by the driver telling the device that new buffers are in the ring.", NOTIFYING)],
  ["counter.kicksSuppressed", e("Batches of new buffers the device found by itself, without a kick, because it had asked the driver not to kick (NO_NOTIFY or avail_event).", AVAIL_SUPPRESSION)],
  ["counter.interrupts", e("Used buffer notifications the device actually raised: interrupts telling the driver that buffers came back.", NOTIFICATIONS)],
  ["counter.interruptsSuppressed", e("Interrupts the device did not raise because the driver had asked for none yet (NO_INTERRUPT or used_event; a packed ring's DISABLE or DESC).", USED_SUPPRESSION)],
  ["counter.interruptsMerged", e("Interrupts that were due while one was still pending (not yet acknowledged by the driver): the driver takes them as one.", sec("4.1.4.5", "ISR status capability"))],
  ["counter.bytes", e("Bytes the device read from the driver's buffers plus bytes it wrote into them.", sec("2.7.4", "Message Framing"))],
  ["counter.buffers", e("Buffers the device has returned in the used ring since the queue started.", USED_RING)],
  ["chart.rates", e("The last 30 seconds, per second: kicks and interrupts (and those suppression saved) on the left axis, data moved on the right axis.", NOTIFICATIONS)],
  // A packed ring: one descriptor ring both sides write, and two event suppression areas.
  ["packed.desc", e("Guest address of the descriptor ring: the driver writes available descriptors into it and the device overwrites them as used.", PACKED)],
  ["packed.inFlight", e("Buffers the device took and has not returned yet, and the ring slots their descriptors occupy.", PACKED)],
  ["packed.driverArea", e("Guest address of the driver's event suppression structure, where the driver says when it wants interrupts.", EVENT_SUPPRESSION)],
  ["packed.deviceArea", e("Guest address of the device's event suppression structure, where the device says when it wants kicks.", EVENT_SUPPRESSION)],
  ["packed.nextAvail", e("The slot the device reads next for an available descriptor, and the wrap counter it expects to find in its AVAIL flag.", WRAP)],
  ["packed.nextUsed", e("The slot the device writes its next used descriptor to, and the wrap counter it writes there.", WRAP)],
  ["packed.driverEvent", e("The driver's wish for interrupts: ENABLE (always), DISABLE (never) or DESC (once the device passes the given slot and wrap; needs EVENT_IDX).", EVENT_FORMAT)],
  ["packed.deviceEvent", e("The device's wish for kicks: ENABLE, DISABLE or DESC (once the driver passes the given slot and wrap; needs EVENT_IDX).", EVENT_FORMAT)],
  ["packed.slot.free", e("The driver's slot: nothing available here for the device.", PACKED_SUPPLY)],
  ["packed.slot.available", e("A descriptor the driver made available: its AVAIL flag equals the wrap counter the device expects here and its USED flag does not.", PACKED_SUPPLY)],
  ["packed.slot.held", e("A descriptor the device took and has not written back as used: the buffer is in flight.", PACKED)],
  ["packed.slot.used", e("The device wrote this descriptor back as used (AVAIL and USED flags equal); the driver has not reclaimed it yet.", PACKED_RECEIVE)],
  ["packed.mark.nextAvail", e("The device's next-avail slot: where it looks for the next available descriptor.", WRAP)],
  ["packed.mark.nextUsed", e("The device's next-used slot: where it writes the next used descriptor.", WRAP)],
  ["packed.mark.driverNext", e("The slot after the last available descriptor: where the driver will write next.", PACKED_SUPPLY)],
  ["packed.tick.avail", e("The slot's AVAIL flag (bit 7) equals the wrap counter the device expects there.", DESC_FORMAT)],
  ["packed.tick.used", e("The slot's USED flag (bit 15) equals the wrap counter the device expects there.", DESC_FORMAT)],
];
