// The options a device model is built with (device-model.ts).
import type { DeviceInterrupt } from "./interrupt.js";
import type { PollSource } from "./poll-source.js";

export type { DeviceInterrupt, InterruptKind } from "./interrupt.js";

export interface DeviceModelOptions {
  /** How the model raises (and, at reset, withdraws) interrupts: the transport's. */
  interrupt: DeviceInterrupt;
  /**
   * The machine's tick (about every millisecond of guest execution): a device whose turn
   * ran out of budget carries on at the next one (work-budget.ts).
   */
  ticks: PollSource;
  log?: (message: string) => void;
  /** What log lines start with (default: the device's name); a machine with two disks tells them apart. */
  label?: string;
  /** Offer VIRTIO_F_RING_EVENT_IDX (default true). */
  eventIdx?: boolean;
  /** Offer VIRTIO_F_RING_INDIRECT_DESC (default true). */
  indirect?: boolean;
  /** Offer VIRTIO_F_RING_PACKED as well as split rings (default false): a driver that takes it gets packed rings. */
  packed?: boolean;
}
