// A virtio device model's saved state: the registers the driver wrote (status, features,
// queue layouts), each live queue's position (a DeviceRing's saveState) and whatever the
// device itself keeps beyond its rings (VirtioDevice.saveState); how it is captured from
// the model's parts and applied to them. Features are hex strings: they are 64-bit and
// JSON numbers are not.
import type { PlainData } from "../snapshot/state-reader.js";
import { StateReader } from "../snapshot/state-reader.js";
import type { SplitQueueState } from "./split-ring-layout.js";
import type { PackedQueueState } from "./packed-ring-layout.js";
import type { RingState } from "./device-ring.js";
import type { QueueCounters } from "./queue-types.js";
import { DRIVER_STATUS_BITS, featureHex, STATUS_DRIVER_OK, VIRTIO_F_RING_PACKED } from "./features.js";
import type { FeatureNegotiation } from "./feature-negotiation.js";
import type { QueueRegisters } from "./queue-registers.js";
import type { DeviceSession } from "./device-session.js";
import type { VirtioDevice } from "./virtio-device.js";

/** The model's own registers: its status, failure, config generation and what the inspector keeps. */
export class ModelRegisters {
  /** Status bits the driver set (DEVICE_NEEDS_RESET is `needsReset`). */
  driverStatus = 0;
  needsReset = false;
  /** Why the device last failed (kept across resets). */
  lastError: string | undefined = undefined;
  configGeneration = 0;
  spuriousNotifies = 0;
}

/** What a device model is made of, for capturing and applying its state and for its view. */
export interface ModelParts {
  device: VirtioDevice;
  features: FeatureNegotiation;
  queues: QueueRegisters;
  session: DeviceSession;
  registers: ModelRegisters;
}

export interface QueueModelState {
  size: number;
  enabled: boolean;
  /** queue_desc, queue_driver and queue_device as the driver wrote them (lo, hi). */
  desc: [number, number];
  driver: [number, number];
  device: [number, number];
  /**
   * The live ring's position; null before DRIVER_OK or for a queue not enabled. A packed
   * ring's says layout "packed"; a split ring's has no layout (as before packed rings).
   */
  ring: RingState | null;
}

export interface DeviceModelState {
  /** The device's name: restoring into another kind of device is refused. */
  name: string;
  driverStatus: number;
  needsReset: boolean;
  lastError: string | null;
  driverFeatures: string;
  negotiated: string | null;
  deviceFeatureSelect: number;
  driverFeatureSelect: number;
  queueSelect: number;
  configGeneration: number;
  spuriousNotifies: number;
  queues: QueueModelState[];
  device: PlainData;
}

/** Turns a saved state into plain data (the tuples and counters are plain already). */
export function deviceModelStateData(state: DeviceModelState): PlainData {
  return { ...state, queues: state.queues.map((q) => ({ ...q, ring: q.ring && { ...q.ring, counters: { ...q.ring.counters } } })) };
}

const COUNTER_KEYS: readonly (keyof QueueCounters)[] = [
  "kicks", "kicksSuppressed", "interrupts", "interruptsSuppressed", "interruptsMerged", "buffers", "bytesRead", "bytesWritten",
];

function readPair(r: StateReader): [number, number] {
  const [lo, hi] = r.items(2);
  if (!lo || !hi) r.fail("a pair [lo, hi]");
  return [lo.uint32(), hi.uint32()];
}

function readFeatures(r: StateReader): string {
  const text = r.string(18);
  if (!/^0x[0-9a-f]{1,16}$/.test(text)) r.fail("a hex feature mask such as 0x130000000");
  return text;
}

function readCounters(r: StateReader): QueueCounters {
  const counters = {} as QueueCounters;
  for (const key of COUNTER_KEYS) counters[key] = r.field(key).integer(0, Number.MAX_SAFE_INTEGER);
  return counters;
}

function readSplitRing(r: StateReader): SplitQueueState {
  return {
    resumeAt: r.field("resumeAt").integer(0, 0xffff),
    usedIdx: r.field("usedIdx").integer(0, 0xffff),
    signalledUsed: r.field("signalledUsed").integer(0, 0xffff),
    counters: readCounters(r.field("counters")),
  };
}

/** A packed ring's position; every slot lies inside the ring of `size` slots. */
function readPackedRing(r: StateReader, size: number): PackedQueueState {
  if (r.field("layout").string(8) !== "packed") r.field("layout").fail(`"packed" (a split ring's position has no layout field)`);
  const slot = (name: string) => r.field(name).integer(0, Math.max(0, size - 1));
  return {
    layout: "packed",
    nextUsed: slot("nextUsed"),
    usedWrap: r.field("usedWrap").boolean(),
    signalledUsed: slot("signalledUsed"),
    signalledWrap: r.field("signalledWrap").boolean(),
    counters: readCounters(r.field("counters")),
  };
}

/** A ring's position in the layout the saved features chose (a packed position for a split ring is refused, and the reverse). */
function readRing(q: StateReader, negotiated: string | null): RingState | null {
  const packed = negotiated !== null && (BigInt(negotiated) & VIRTIO_F_RING_PACKED) !== 0n;
  const size = q.field("size").integer(0, 0xffff);
  const ring = q.field("ring");
  if (ring.isNull()) return null;
  if (ring.has("layout") !== packed) ring.fail(packed ? "a packed ring's position (RING_PACKED was negotiated)" : "a split ring's position (RING_PACKED was not negotiated)");
  return packed ? readPackedRing(ring, size) : readSplitRing(ring);
}

/** A checked saved state; the device's own part is checked by the device as it restores it. */
export type CheckedDeviceModelState = Omit<DeviceModelState, "device"> & { device: StateReader };

/** Checks a saved device model state field by field; `queueCount` is what this device has. */
export function readDeviceModelState(r: StateReader, queueCount: number): CheckedDeviceModelState {
  const queues = r.field("queues").items(queueCount);
  if (queues.length !== queueCount) r.field("queues").fail(`an array of ${queueCount} queues`);
  const negotiated = r.field("negotiated").nullable(readFeatures);
  return {
    name: r.field("name").string(64),
    driverStatus: r.field("driverStatus").integer(0, 0xff),
    needsReset: r.field("needsReset").boolean(),
    lastError: r.field("lastError").nullable((e) => e.string(4096)),
    driverFeatures: readFeatures(r.field("driverFeatures")),
    negotiated,
    deviceFeatureSelect: r.field("deviceFeatureSelect").uint32(),
    driverFeatureSelect: r.field("driverFeatureSelect").uint32(),
    queueSelect: r.field("queueSelect").integer(0, 0xffff),
    configGeneration: r.field("configGeneration").integer(0, 0xff),
    spuriousNotifies: r.field("spuriousNotifies").integer(0, Number.MAX_SAFE_INTEGER),
    queues: queues.map((q) => ({
      size: q.field("size").integer(0, 0xffff),
      enabled: q.field("enabled").boolean(),
      desc: readPair(q.field("desc")),
      driver: readPair(q.field("driver")),
      device: readPair(q.field("device")),
      ring: readRing(q, negotiated),
    })),
    device: r.field("device"),
  };
}

/** Everything needed to take up where the device is. Throws if a ring cannot be saved exactly. */
export function captureModelState(parts: ModelParts): DeviceModelState {
  const { device, features, queues, session, registers: regs } = parts;
  const f = features.save();
  return {
    name: device.info.name,
    driverStatus: regs.driverStatus,
    needsReset: regs.needsReset,
    lastError: regs.lastError ?? null,
    driverFeatures: featureHex(f.driverFeatures),
    negotiated: f.negotiated === undefined ? null : featureHex(f.negotiated),
    deviceFeatureSelect: f.deviceFeatureSelect,
    driverFeatureSelect: f.driverFeatureSelect,
    queueSelect: queues.select,
    configGeneration: regs.configGeneration,
    spuriousNotifies: regs.spuriousNotifies,
    queues: queues.configs.map((q) => {
      const ring = session.ring(q.index);
      return {
        size: q.size, enabled: q.enabled, desc: [q.descLo, q.descHi], driver: [q.driverLo, q.driverHi], device: [q.deviceLo, q.deviceHi],
        ring: ring && !ring.isStopped ? ring.saveState() : null,
      };
    }),
    device: device.saveState?.() ?? null,
  };
}

/**
 * Applies a checked state to a model just reset. A running device gets its rings back at
 * their saved positions, is activated as at DRIVER_OK, and then looks at every queue
 * once, as if kicked: buffers it held are popped again, and whatever the driver published
 * meanwhile without a kick is seen.
 */
export function applyModelState(parts: ModelParts, state: CheckedDeviceModelState): void {
  const { device, features, queues, session, registers: regs } = parts;
  regs.driverStatus = state.driverStatus & DRIVER_STATUS_BITS;
  regs.needsReset = state.needsReset;
  regs.lastError = state.lastError ?? undefined;
  regs.configGeneration = state.configGeneration;
  regs.spuriousNotifies = state.spuriousNotifies;
  features.restore({
    driverFeatures: BigInt(state.driverFeatures),
    negotiated: state.negotiated === null ? undefined : BigInt(state.negotiated),
    deviceFeatureSelect: state.deviceFeatureSelect,
    driverFeatureSelect: state.driverFeatureSelect,
  });
  queues.select = state.queueSelect;
  state.queues.forEach((saved, i) => {
    const q = queues.configs[i]!;
    q.size = saved.size;
    q.enabled = saved.enabled;
    [q.descLo, q.descHi] = saved.desc;
    [q.driverLo, q.driverHi] = saved.driver;
    [q.deviceLo, q.deviceHi] = saved.device;
  });
  if (device.restoreState) device.restoreState(state.device);
  const running = (regs.driverStatus & STATUS_DRIVER_OK) !== 0 && !regs.needsReset;
  const agreed = features.negotiated ?? 0n;
  if (!running || !session.buildRings(queues.configs, agreed)) return;
  session.resumeRings(state.queues.map((q) => q.ring));
  session.start(agreed);
  session.lookAtEveryQueue();
}
