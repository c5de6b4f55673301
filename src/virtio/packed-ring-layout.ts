// The shape of one packed virtqueue (virtio 1.2, 2.8): a descriptor ring the driver and
// the device both write, and two event suppression structures; what a device needs to run
// it, what it shows the inspector and what a saved state keeps, and the check that a
// layout the driver wrote is usable.
//
// One descriptor (16 bytes): addr (le64), len (le32), id (le16), flags (le16). A slot is
// available when its AVAIL flag equals the driver's wrap counter and its USED flag does
// not; used when both equal the device's wrap counter. Wrap counters start at 1 and flip
// each time the ring index passes the end.
import type { GuestMemory } from "../memory/guest-memory.js";
import { ringAreasError } from "./ring-areas.js";
import { DESCRIPTOR_SIZE } from "./descriptor-buffers.js";
import type { QueueCounters } from "./queue-types.js";
import type { WorkBudget } from "./work-budget.js";

export const VIRTQ_DESC_F_AVAIL = 1 << 7;
export const VIRTQ_DESC_F_USED = 1 << 15;
/** Bytes per packed descriptor (in the ring and in indirect tables): the split ring's size too. */
export const PACKED_DESCRIPTOR_SIZE = DESCRIPTOR_SIZE;
/** Bytes of one event suppression structure: le16 off_wrap (desc), le16 flags. */
export const EVENT_SUPPRESS_SIZE = 4;

/** pvirtq_event_suppress.flags values (spec 2.8.10). */
export const RING_EVENT_FLAGS_ENABLE = 0;
export const RING_EVENT_FLAGS_DISABLE = 1;
/** Only with EVENT_IDX: notify when the ring reaches the descriptor named by off_wrap. */
export const RING_EVENT_FLAGS_DESC = 2;

/** The packed ring allows any size up to 2^15 (no power-of-two rule). */
export const MAX_PACKED_QUEUE_SIZE = 32768;

export interface PackedRingLayout {
  /** Queue size (descriptors in the ring). */
  readonly size: number;
  /** Descriptor ring (the transport's queue_desc). */
  readonly descAddr: number;
  /** Driver event suppression structure (queue_driver): the driver's wish about interrupts. */
  readonly driverEventAddr: number;
  /** Device event suppression structure (queue_device): the device's wish about kicks. */
  readonly deviceEventAddr: number;
}

export interface PackedQueueConfig extends PackedRingLayout {
  readonly index: number;
  /** VIRTIO_F_RING_EVENT_IDX was negotiated (RING_EVENT_FLAGS_DESC allowed). */
  readonly eventIdx: boolean;
  /** VIRTIO_F_RING_INDIRECT_DESC was negotiated. */
  readonly indirect: boolean;
  readonly budget?: WorkBudget;
}

/** An event suppression structure as read from guest memory. */
export interface EventSuppressView {
  /** off_wrap: bits 0-14 a descriptor offset, bit 15 a wrap counter (meaningful with flags DESC). */
  offWrap: number;
  flags: number;
}

/** One ring slot as the inspector draws it (read from guest memory, never changed). */
export interface PackedSlotView {
  addr: number;
  len: number;
  id: number;
  flags: number;
}

/** Every slot of the descriptor ring at `descAddr`, as the inspector draws it. */
export function packedSlotViews(m: GuestMemory, descAddr: number, size: number): PackedSlotView[] {
  const slots: PackedSlotView[] = [];
  for (let i = 0; i < size; i++) {
    const at = descAddr + i * PACKED_DESCRIPTOR_SIZE;
    // Two 32-bit halves, not read64: a hostile address above 2^53 must not make the view throw.
    slots.push({ addr: m.read32(at + 4) * 0x100000000 + m.read32(at), len: m.read32(at + 8), id: m.read16(at + 12), flags: m.read16(at + 14) });
  }
  return slots;
}

/** What the inspector shows for one packed queue (plain data). */
export interface PackedQueueView {
  layout: "packed";
  index: number;
  size: number;
  descAddr: number;
  driverEventAddr: number;
  deviceEventAddr: number;
  eventIdx: boolean;
  indirect: boolean;
  /** Next ring slot the device will look at for an available descriptor, and the wrap counter it expects there. */
  nextAvail: number;
  availWrap: boolean;
  /** Next ring slot the device will write a used descriptor to, and the wrap counter it writes. */
  nextUsed: number;
  usedWrap: boolean;
  /** The driver's event suppression (governs interrupts) and the device's (governs kicks). */
  driverEvent: EventSuppressView;
  deviceEvent: EventSuppressView;
  notificationsEnabled: boolean;
  /** Buffers taken and not yet returned. */
  inFlight: number;
  /** Every slot of the ring, in order (size entries). */
  slots: PackedSlotView[];
  counters: QueueCounters;
}

/** A packed queue's position in a saved state (the layout is saved by the device model). */
export interface PackedQueueState {
  layout: "packed";
  /**
   * Where the device writes its next used descriptor. Buffers it held are saved as never
   * taken, so the restored device also resumes popping here and takes them again.
   */
  nextUsed: number;
  usedWrap: boolean;
  /** Where the last interrupt decision was made (slot and wrap), for EVENT_IDX. */
  signalledUsed: number;
  signalledWrap: boolean;
  counters: QueueCounters;
}

/** Why a packed ring layout is unusable (spec 2.8: sizes and alignments), or undefined. */
export function packedRingLayoutError(memory: GuestMemory, layout: PackedRingLayout): string | undefined {
  const { size, descAddr, driverEventAddr, deviceEventAddr } = layout;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PACKED_QUEUE_SIZE) {
    return `queue size ${size} is not from 1 to ${MAX_PACKED_QUEUE_SIZE}`;
  }
  return ringAreasError(memory, [
    ["descriptor ring", descAddr, PACKED_DESCRIPTOR_SIZE * size, 16],
    ["driver event suppression", driverEventAddr, EVENT_SUPPRESS_SIZE, 4],
    ["device event suppression", deviceEventAddr, EVENT_SUPPRESS_SIZE, 4],
  ]);
}
