// The driver side of a virtio-mmio window for unit tests and the fuzzer: register reads and
// writes through the platform's MMIO (as v86 delivers them: 8- or 32-bit, a 16-bit access
// as two byte accesses), and a bring-up in the order Linux's virtio_mmio.c and the virtio
// core use (virtio 1.2, 3.1.1 and 4.2.3): probe, reset, ACKNOWLEDGE, DRIVER, features
// through the select registers, FEATURES_OK (read back), each queue (QueueSel, QueueReady
// must read 0, QueueNumMax, QueueNum, the three ring addresses, QueueReady 1), DRIVER_OK.
import type { FakePlatform } from "./fake-platform.js";
import type { MockDriver, MockQueue } from "./mock-driver.js";
import { REG } from "../../src/virtio-mmio/layout.js";
import {
  STATUS_ACKNOWLEDGE, STATUS_DRIVER, STATUS_DRIVER_OK, STATUS_FAILED, STATUS_FEATURES_OK, VIRTIO_F_RING_EVENT_IDX,
} from "../../src/virtio/features.js";

export class MmioDriver {
  constructor(readonly platform: FakePlatform, readonly base: number) {}

  /** readl: an aligned 32-bit register read (0xffffffff where nothing answers). */
  readl(offset: number): number {
    return (this.platform.readMmio(this.base + offset, 4) ?? 0xffffffff) >>> 0;
  }

  writel(offset: number, value: number): void {
    this.platform.writeMmio(this.base + offset, 4, value >>> 0);
  }

  readb(offset: number): number {
    return this.platform.readMmio(this.base + offset, 1) ?? 0xff;
  }

  /** readw as v86 delivers it: two byte reads, low byte first. */
  readw(offset: number): number {
    return this.readb(offset) | (this.readb(offset + 1) << 8);
  }

  writeb(offset: number, value: number): void {
    this.platform.writeMmio(this.base + offset, 1, value & 0xff);
  }

  /** writew as v86 delivers it: two byte writes. */
  writew(offset: number, value: number): void {
    this.writeb(offset, value);
    this.writeb(offset + 1, value >>> 8);
  }

  get status(): number {
    return this.readl(REG.Status);
  }

  set status(value: number) {
    this.writel(REG.Status, value);
  }

  deviceFeatures(): bigint {
    this.writel(REG.DeviceFeaturesSel, 1);
    const hi = BigInt(this.readl(REG.DeviceFeatures));
    this.writel(REG.DeviceFeaturesSel, 0);
    return (hi << 32n) | BigInt(this.readl(REG.DeviceFeatures));
  }

  writeDriverFeatures(features: bigint): void {
    this.writel(REG.DriverFeaturesSel, 1);
    this.writel(REG.DriverFeatures, Number((features >> 32n) & 0xffffffffn));
    this.writel(REG.DriverFeaturesSel, 0);
    this.writel(REG.DriverFeatures, Number(features & 0xffffffffn));
  }

  /** Writes the selected queue's ring addresses as low/high halves. */
  setRings(q: { descAddr: number; availAddr: number; usedAddr: number }): void {
    const lo = (a: number) => a % 0x100000000;
    const hi = (a: number) => Math.floor(a / 0x100000000);
    this.writel(REG.QueueDescLow, lo(q.descAddr));
    this.writel(REG.QueueDescHigh, hi(q.descAddr));
    this.writel(REG.QueueDriverLow, lo(q.availAddr));
    this.writel(REG.QueueDriverHigh, hi(q.availAddr));
    this.writel(REG.QueueDeviceLow, lo(q.usedAddr));
    this.writel(REG.QueueDeviceHigh, hi(q.usedAddr));
  }

  notify(queue: number): void {
    this.writel(REG.QueueNotify, queue);
  }

  /** What vm_interrupt does: read InterruptStatus, acknowledge exactly that. Returns it. */
  takeInterrupt(): number {
    const status = this.readl(REG.InterruptStatus);
    if (status !== 0) this.writel(REG.InterruptACK, status);
    return status;
  }

  /**
   * The whole bring-up (see the top of this file); `queueCount` queues of at most
   * `queueSize` entries each, rings from `ram`. Throws with what the device did wrong.
   */
  bringUp(ram: MockDriver, opts: { features?: bigint; queueSize?: number; queueCount?: number } = {}): MockQueue[] {
    const expect = (what: string, actual: number, wanted: number) => {
      if (actual !== wanted) throw new Error(`${what}: read 0x${actual.toString(16)}, expected 0x${wanted.toString(16)}`);
    };
    expect("MagicValue", this.readl(REG.MagicValue), 0x74726976);
    expect("Version", this.readl(REG.Version), 2);
    this.status = 0;
    expect("status after reset", this.status, 0);
    expect("InterruptStatus after reset", this.readl(REG.InterruptStatus), 0);
    this.status = STATUS_ACKNOWLEDGE;
    this.status = STATUS_ACKNOWLEDGE | STATUS_DRIVER;
    const features = opts.features ?? this.deviceFeatures();
    this.writeDriverFeatures(features);
    this.status = this.status | STATUS_FEATURES_OK;
    if (!(this.status & STATUS_FEATURES_OK)) {
      this.status = this.status | STATUS_FAILED;
      throw new Error("device refused FEATURES_OK");
    }
    const queues: MockQueue[] = [];
    for (let i = 0; i < (opts.queueCount ?? Infinity); i++) {
      this.writel(REG.QueueSel, i);
      if (this.readl(REG.QueueReady) !== 0) throw new Error(`queue ${i} is ready before it was set up`);
      const max = this.readl(REG.QueueNumMax);
      if (max === 0) {
        if (opts.queueCount !== undefined) throw new Error(`queue ${i} is unavailable`);
        break;
      }
      const size = Math.min(opts.queueSize ?? max, max);
      this.writel(REG.QueueNum, size);
      const q = ram.newQueue(size);
      q.eventIdx = (features & VIRTIO_F_RING_EVENT_IDX) !== 0n;
      this.setRings(q);
      this.writel(REG.QueueReady, 1);
      expect(`QueueReady of queue ${i}`, this.readl(REG.QueueReady), 1);
      queues.push(q);
    }
    this.status = this.status | STATUS_DRIVER_OK;
    return queues;
  }
}
