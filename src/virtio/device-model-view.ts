// What the inspector and the machine's device list see of a device model: plain data, no
// side effects on the device or the guest (rings are read, never moved).
import { featureHex, statusNames } from "./features.js";
import type { RingView } from "./device-ring.js";
import type { WorkStats } from "./work-budget.js";
import type { ModelParts } from "./device-model-state.js";
import { STATUS_DEVICE_NEEDS_RESET, STATUS_DRIVER_OK } from "./features.js";

export interface QueueModelView {
  index: number;
  /** The device's name for the queue ("receiveq", "transmitq", ...). */
  name: string;
  maxSize: number;
  size: number;
  enabled: boolean;
  /** The live ring (after DRIVER_OK; kept, stopped, after a failure so it can be inspected). */
  ring: RingView | undefined;
}

/** A device model as plain data (features as "0x..." strings). */
export interface DeviceModelView {
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
  queues: QueueModelView[];
}

export function modelView(parts: ModelParts): DeviceModelView {
  const { device, features, queues, session, registers: regs } = parts;
  const status = regs.driverStatus | (regs.needsReset ? STATUS_DEVICE_NEEDS_RESET : 0);
  const negotiated = features.negotiated;
  return {
    name: device.info.name,
    deviceType: device.info.id,
    status,
    statusNames: statusNames(status),
    featuresOffered: featureHex(features.offered),
    featuresOfferedNames: features.namesOf(features.offered),
    driverFeatures: featureHex(features.driverFeatures),
    featuresNegotiated: negotiated === undefined ? undefined : featureHex(negotiated),
    featuresNegotiatedNames: negotiated === undefined ? [] : features.namesOf(negotiated),
    configGeneration: regs.configGeneration,
    active: (regs.driverStatus & STATUS_DRIVER_OK) !== 0 && !regs.needsReset,
    lastError: regs.lastError,
    spuriousNotifies: regs.spuriousNotifies,
    work: { ...session.budget.stats },
    queues: queues.configs.map((q) => ({
      index: q.index,
      name: device.info.queueNames[q.index] ?? `queue ${q.index}`,
      maxSize: q.maxSize,
      size: q.size,
      enabled: q.enabled,
      ring: session.ring(q.index)?.view(),
    })),
  };
}
