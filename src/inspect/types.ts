// What the live inspector shows, as plain data that crosses the worker API. The machine
// side (src/inspect/*.ts) builds it; the page (src/page/inspector-*.ts) draws it.
import type { QueueCounters } from "../virtio/queue-types.js";
import type { Figures } from "../virtio/device-info.js";

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

export interface QueueView {
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
   * One letter per avail-ring slot (length = size), in ring order: f free, a available,
   * h held by the device, u used (slot-states.ts: SLOT_LETTER, slotStatusAt).
   */
  slots: string;
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
}

export interface ChainView {
  device: string;
  queue: number;
  slot: number;
  /** The head descriptor index the slot holds. */
  head: number;
  status: SlotStatus;
  descriptors: DescriptorView[];
  /** Up to 256 bytes of the first buffer, for the hex/ASCII preview. */
  preview: number[];
  /** Why the chain could not be followed (a loop, an address outside RAM), if so. */
  problem?: string;
}
