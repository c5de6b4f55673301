// Brings a device model up on packed rings the way Linux's virtio_pci_modern does (spec
// 3.1.1) for unit tests, with the driver side of each ring from packed-mock-driver.ts.
// No value is imported from mock-driver.ts, so a test may mock that module and route its
// bringUp here (packed-devices.test.ts).
import type { VirtioDeviceModel } from "../../src/virtio/device-model.js";
import {
  STATUS_ACKNOWLEDGE, STATUS_DRIVER, STATUS_DRIVER_OK, STATUS_FEATURES_OK, VIRTIO_F_RING_EVENT_IDX, VIRTIO_F_RING_PACKED,
} from "../../src/virtio/features.js";
import { PackedQueue } from "../../src/virtio/packed-queue.js";
import { MockDriver, setQueueAddresses } from "./mock-driver.js";
import { PackedMockQueue } from "./packed-mock-driver.js";

/** A zeroed packed ring of `size` slots and its two event structures, at fresh addresses. */
export function newPackedQueue(driver: MockDriver, size: number): PackedMockQueue {
  const descAddr = driver.alloc(16 * size, 16);
  const driverEventAddr = driver.alloc(4, 4);
  const deviceEventAddr = driver.alloc(4, 4);
  return new PackedMockQueue(driver, size, descAddr, driverEventAddr, deviceEventAddr);
}

/** Writes the selected queue's ring and event structure addresses (queue_desc, queue_driver, queue_device). */
export function setPackedQueueAddresses(model: VirtioDeviceModel, q: PackedMockQueue): void {
  // The same three registers as a split ring's: the driver and device areas hold the event structures.
  setQueueAddresses(model, { descAddr: q.descAddr, availAddr: q.driverEventAddr, usedAddr: q.deviceEventAddr });
}

export interface PackedBringUpOptions {
  /** Features the driver accepts (default: everything offered, which must include RING_PACKED). */
  features?: bigint;
  queueSize?: number;
  queues?: number;
}

/**
 * Initialises the device the way Linux's virtio_pci_modern does (spec 3.1.1) with packed
 * rings: reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK, every queue (or `queues` of
 * them) at its maximum size (or `queueSize`), DRIVER_OK.
 */
export function bringUpPacked(model: VirtioDeviceModel, driver: MockDriver, opts: PackedBringUpOptions = {}): PackedMockQueue[] {
  model.status = 0;
  model.status = STATUS_ACKNOWLEDGE;
  model.status = STATUS_ACKNOWLEDGE | STATUS_DRIVER;
  const f = model.features;
  const window = (sel: number) => {
    f.deviceSelect = sel;
    return BigInt(f.deviceWindow >>> 0);
  };
  const features = opts.features ?? ((window(1) << 32n) | window(0));
  if (!(features & VIRTIO_F_RING_PACKED)) throw new Error("bringUpPacked: RING_PACKED is not among the features");
  for (const sel of [0, 1]) {
    f.driverSelect = sel;
    model.writeDriverFeatures(Number((features >> BigInt(32 * sel)) & 0xffffffffn));
  }
  model.status = model.status | STATUS_FEATURES_OK;
  if (!(model.status & STATUS_FEATURES_OK)) throw new Error("device refused FEATURES_OK");
  const queues: PackedMockQueue[] = [];
  const count = opts.queues ?? model.queues.count;
  for (let i = 0; i < count; i++) {
    model.queues.select = i;
    const max = model.queues.size;
    if (max === 0) throw new Error(`queue ${i} is unavailable`);
    const size = Math.min(opts.queueSize ?? max, max);
    model.queues.size = size;
    const q = newPackedQueue(driver, size);
    q.eventIdx = (features & VIRTIO_F_RING_EVENT_IDX) !== 0n;
    setPackedQueueAddresses(model, q);
    model.queues.enable = 1;
    queues.push(q);
  }
  model.status = model.status | STATUS_DRIVER_OK;
  return queues;
}

/** A PackedQueue alone (no device model) on a fresh ring in 1 MiB of RAM, with its driver side. */
export function queueOnRing(opts: { size?: number; eventIdx?: boolean; indirect?: boolean } = {}) {
  const size = opts.size ?? 8;
  const driver = new MockDriver(1 << 20);
  const mq = newPackedQueue(driver, size);
  mq.eventIdx = opts.eventIdx ?? false;
  const q = new PackedQueue(driver.memory, {
    index: 0, size, descAddr: mq.descAddr, driverEventAddr: mq.driverEventAddr, deviceEventAddr: mq.deviceEventAddr,
    eventIdx: opts.eventIdx ?? false, indirect: opts.indirect ?? false,
  });
  return { driver, mq, q };
}

/** The device echoes every available chain's readable bytes into its writable part, in ring order. */
export function echoAll(q: PackedQueue): number {
  let n = 0;
  for (let c = q.pop(); c; c = q.pop(), n++) {
    const w = c.writer();
    w.write(c.reader().read(c.readableLength));
    q.pushUsed(c, w.written);
  }
  return n;
}
