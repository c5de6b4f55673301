// The plain-data shapes around the device model (device-model.ts): its options and what
// it shows the inspector and the worker API.
import type { SplitQueueSnapshot } from "./split-queue.js";

export type InterruptKind = "queue" | "config";

export interface DeviceModelOptions {
  /**
   * How the model raises an interrupt; the transport sets ISR bits and asserts INTx. Returns
   * false when the interrupt was already pending (the guest will take one for both).
   */
  interrupt?: (kind: InterruptKind) => boolean;
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
  queues: QueueModelSnapshot[];
}
