// A virtio device model's state in a snapshot: the registers the driver wrote (status,
// features, queue layouts), each live queue's position (split-queue.ts saveState) and
// whatever the device itself keeps beyond its rings (VirtioDevice.saveState). Features are
// hex strings: they are 64-bit and JSON numbers are not.
import type { PlainData } from "../snapshot/state-reader.js";
import { StateReader } from "../snapshot/state-reader.js";
import type { SplitQueueState } from "./split-queue.js";
import type { QueueCounters } from "./queue-types.js";

export interface QueueModelState {
  size: number;
  enabled: boolean;
  /** queue_desc, queue_driver and queue_device as the driver wrote them (lo, hi). */
  desc: [number, number];
  driver: [number, number];
  device: [number, number];
  /** The live ring's position; null before DRIVER_OK or for a queue not enabled. */
  ring: SplitQueueState | null;
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

function readRing(r: StateReader): SplitQueueState {
  const counters = {} as QueueCounters;
  for (const key of COUNTER_KEYS) counters[key] = r.field("counters").field(key).integer(0, Number.MAX_SAFE_INTEGER);
  return {
    resumeAt: r.field("resumeAt").integer(0, 0xffff),
    usedIdx: r.field("usedIdx").integer(0, 0xffff),
    signalledUsed: r.field("signalledUsed").integer(0, 0xffff),
    counters,
  };
}

/** A checked saved state; the device's own part is checked by the device as it restores it. */
export type CheckedDeviceModelState = Omit<DeviceModelState, "device"> & { device: StateReader };

/** Checks a saved device model state field by field; `queueCount` is what this device has. */
export function readDeviceModelState(r: StateReader, queueCount: number): CheckedDeviceModelState {
  const queues = r.field("queues").items(queueCount);
  if (queues.length !== queueCount) r.field("queues").fail(`an array of ${queueCount} queues`);
  return {
    name: r.field("name").string(64),
    driverStatus: r.field("driverStatus").integer(0, 0xff),
    needsReset: r.field("needsReset").boolean(),
    lastError: r.field("lastError").nullable((e) => e.string(4096)),
    driverFeatures: readFeatures(r.field("driverFeatures")),
    negotiated: r.field("negotiated").nullable(readFeatures),
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
      ring: q.field("ring").nullable(readRing),
    })),
    device: r.field("device"),
  };
}
