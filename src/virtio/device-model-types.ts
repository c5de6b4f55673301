// The plain-data shapes around the device model (device-model.ts): its options and what
// it shows the inspector and the worker API.
import type { SplitQueueSnapshot } from "./split-queue.js";
import type { DeviceInterrupt } from "./interrupt.js";
import type { PollSource } from "./poll-source.js";
import type { WorkStats } from "./work-budget.js";

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
  /** Offer VIRTIO_F_RING_EVENT_IDX (default true). */
  eventIdx?: boolean;
  /** Offer VIRTIO_F_RING_INDIRECT_DESC (default true). */
  indirect?: boolean;
}

export interface QueueModelSnapshot {
  index: number;
  maxSize: number;
  size: number;
  enabled: boolean;
  /** The live ring (after DRIVER_OK; kept, stopped, after a failure so it can be inspected). */
  ring: SplitQueueSnapshot | undefined;
}

/** What the inspector shows for a device (plain data: features as "0x..." strings). */
export interface DeviceModelSnapshot {
  name: string;
  deviceType: number;
  status: number;
  statusNames: string[];
  featuresOffered: string;
  featuresOfferedNames: string[];
  driverFeatures: string;
  /** Set once FEATURES_OK was accepted. */
  featuresNegotiated: string | undefined;
  featuresNegotiatedNames: string[];
  configGeneration: number;
  /** DRIVER_OK is set and the device has not failed. */
  active: boolean;
  lastError: string | undefined;
  spuriousNotifies: number;
  /** What the device's turns cost (descriptors walked, bytes copied) and how often they ran out of budget. */
  work: WorkStats;
  queues: QueueModelSnapshot[];
}
