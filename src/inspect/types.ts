// What the live inspector shows, as plain data that crosses the worker API. The machine
// side (src/inspect/*.ts) builds it; the page (src/page/inspector-*.ts) draws it.
import type { QueueCounters } from "../virtio/queue-types.js";
import type { Figures } from "../virtio/device-info.js";
import type { MmioDeviceView } from "./mmio-view.js";
import type { DecodedLayer } from "./decode/layer.js";

export type { MmioDeviceView } from "./mmio-view.js";
export type { DecodedField, DecodedLayer } from "./decode/layer.js";

/** One PCI function on bus 0, ours or v86's. */
export interface PciFunctionView {
  /** "00:03.0" */
  address: string;
  vendorId: number;
  deviceId: number;
  /** Class code, subclass, prog-if as "02:00:00". */
  classCode: string;
  /** Human name when known ("virtio-net", "PIIX3 ISA bridge", ...). */
  name: string;
  /** True for functions ringside emulates (the rest are v86's). */
  ours: boolean;
  bars: Array<{ index: number; kind: "io" | "mem32" | "mem64"; address: number; size: number }>;
  /** Interrupt line register (0xff: none). */
  irqLine: number;
  /** Interrupt pin: 0 none, 1 INTA ... 4 INTD. */
  irqPin: number;
  /** Command register (decoding enabled bits). */
  command: number;
}

/** The state of one avail-ring slot, as drawn in the ring picture. */
export type SlotStatus = "free" | "available" | "held" | "used";

/**
 * One event suppression structure of a packed ring (virtio 1.2, 2.8.10), decoded. The
 * driver's governs the device's interrupts; the device's governs the driver's kicks.
 */
export interface EventSuppressionView {
  /** Raw flags: 0 ENABLE, 1 DISABLE, 2 DESC (with EVENT_IDX), 3 reserved. */
  flags: number;
  /** "ENABLE", "DISABLE", "DESC" or "reserved (3)". */
  flagsName: string;
  /** Raw off_wrap, and the same decoded: a ring slot (bits 0-14) and a wrap counter (bit 15); meaningful with DESC. */
  offWrap: number;
  slot: number;
  wrap: boolean;
}

/** What a packed ring adds to its QueueView (layout "packed"). */
export interface PackedRingView {
  /** Driver area (queue_driver): the driver's event suppression; device area (queue_device): the device's. */
  driverEventAddr: number;
  deviceEventAddr: number;
  /** The slot the device looks at next for an available buffer, and the wrap counter it expects there. */
  nextAvail: number;
  availWrap: boolean;
  /** The slot the device writes its next used descriptor to, and the wrap counter it writes. */
  nextUsed: number;
  usedWrap: boolean;
  driverEvent: EventSuppressionView;
  deviceEvent: EventSuppressionView;
  /** Slots from next-used to next-avail: descriptors the device took and has not returned. */
  takenSlots: number;
  /** The buffer ID field of every slot, in ring order (size entries). */
  ids: number[];
  /**
   * One digit per slot ('0'-'3'): bit 0 set when the slot's AVAIL flag equals the wrap
   * counter the device expects there next, bit 1 the same for its USED flag. That counter
   * is availWrap from next-avail to the end of the ring and its inverse before next-avail
   * (the device reaches those slots only after it wraps). So "1" (AVAIL matches, USED does
   * not) is exactly the spec's test for an available descriptor; "2" is one the device has
   * passed (taken, or the tail of a used chain); "0" and "3" (the two flags equal) a used
   * descriptor. Empty while the ring is not live. packed-slot-statuses.ts: wrapMarkAt.
   */
  wrapMarks: string;
}

export interface QueueView {
  /** The ring's layout: split (avail and used rings) or packed (one descriptor ring; `packed` holds its fields). */
  layout: "split" | "packed";
  index: number;
  /** "rx", "tx", "control", "requests", ... */
  name: string;
  size: number;
  enabled: boolean;
  descAddr: number;
  availAddr: number;
  usedAddr: number;
  availIdx: number;
  usedIdx: number;
  /** The device's last seen avail index (next it will take). */
  lastAvailIdx: number;
  inFlight: number;
  /** With EVENT_IDX: the driver's used_event and the device's avail_event. */
  usedEvent: number;
  availEvent: number;
  eventIdx: boolean;
  availFlags: number;
  usedFlags: number;
  /** "kicks on" / "kicks off (polling)" and the like: the notification mode in words. */
  notificationMode: string;
  counters: QueueCounters;
  /**
   * One letter per slot (length = size), in ring order: f free, a available, h held by the
   * device, u used (slot-statuses.ts: SLOT_LETTER, slotStatusAt). Split: one letter per
   * avail-ring slot. Packed: one per descriptor-ring slot, with who owns it (f the driver's,
   * free; a made available, the device's to take; h taken by the device, in flight; u used,
   * returned and not yet reclaimed by the driver), in upper case (A, H, U) for a slot that
   * continues the buffer of the slot before it (its chain's second and later descriptors,
   * or those a used descriptor skips). packed-slot-statuses.ts.
   */
  slots: string;
  /**
   * Split rings: the fields above are the rings'. Packed rings: descAddr is the descriptor
   * ring, availAddr and usedAddr the driver and device event areas, lastAvailIdx and
   * usedIdx the device's next-avail and next-used slots, availIdx the slot after the last
   * available one; the flags and event fields are 0. Everything packed is here.
   */
  packed?: PackedRingView;
}

/** One field of a device's config space, decoded from the device's own description of it. */
export interface ConfigFieldView {
  name: string;
  offset: number;
  size: number;
  /** As the field reads best: a number, hex, a MAC address or bytes. */
  value: string;
  /** What the field means, in a few words. */
  about?: string;
}

export interface VirtioDeviceView {
  /** The PCI address of its function. */
  address: string;
  /** The device's kind, e.g. "virtio-blk". */
  name: string;
  /** Its name in this machine (two disks differ here), as its log lines start. */
  label: string;
  deviceType: number;
  status: number;
  statusNames: string[];
  featuresOfferedNames: string[];
  featuresNegotiatedNames: string[];
  /** Device config space, hex bytes. */
  config: string;
  /** The same, field by field. */
  configFields: ConfigFieldView[];
  configGeneration: number;
  active: boolean;
  lastError: string | undefined;
  /** The device's live figures (its own counters and modes). */
  stats: Figures;
  queues: QueueView[];
}

export interface InspectorView {
  /** performance.now() in the machine when taken. */
  takenAtMs: number;
  pci: PciFunctionView[];
  /** virtio-mmio windows with their registers (their devices are in `devices` too). */
  mmio: MmioDeviceView[];
  devices: VirtioDeviceView[];
}

/** One descriptor of a chain, for the chain view. */
export interface DescriptorView {
  index: number;
  addr: number;
  len: number;
  flags: number;
  /** "NEXT|WRITE", "INDIRECT", ... */
  flagNames: string[];
  next: number;
  /** From an indirect table. */
  indirect: boolean;
  /** Packed rings: the descriptor's buffer ID field (index is then its ring slot, or its entry in an indirect table). */
  id?: number;
  /** A writable buffer the device has not filled yet: its bytes are whatever was there before. */
  stale?: boolean;
}

export interface ChainView {
  device: string;
  queue: number;
  slot: number;
  /** The head descriptor index the slot holds (packed rings: the slot the buffer starts at). */
  head: number;
  /** Packed rings: the buffer ID (of the chain's last descriptor, or of the used descriptor). */
  bufferId?: number;
  status: SlotStatus;
  descriptors: DescriptorView[];
  /** Up to 256 bytes of the first buffer, for the hex/ASCII preview. */
  preview: number[];
  /** Why the chain could not be followed (a loop, an address outside RAM), if so. */
  problem?: string;
  /** A used chain: the bytes the device says it wrote (the used element's len). */
  written?: number;
  /** Headers and messages decoded from the buffers, for queues whose device names their format. */
  decoded?: DecodedLayer[];
  /** Why nothing (or not all) was decoded, when no layer says it. */
  decodeNote?: string;
}
