// The control registers of a virtio-mmio window (virtio 1.2, 4.2.2), each mapped onto the
// device model's transport-independent parts: feature negotiation, the queue registers,
// status and config generation; and the transport's own InterruptStatus/InterruptACK.
// Called with an aligned 32-bit access only (virtio-mmio-transport.ts says why).
//
// What the spec leaves to the device, decided here:
// - Write-only registers read as 0 (QEMU does the same; the spec forbids the read).
// - A write to a read-only register or to an offset with no register is ignored, logged.
// - QueueSel and QueueNum are 32 bits wide here but 16 in the model: a value above 0xffff
//   becomes 0xffff, a queue no device has and a size no queue allows, rather than wrapping
//   round to a real one.
// - QueueReady 0 disables a queue while the driver sets it up (spec: how a driver stops
//   using a queue); after DRIVER_OK it is ignored, logged: the device offers no queue reset.
// - No shared memory regions: SHMLen and SHMBase read as -1 (the spec's "no such region").
import type { VirtioDeviceModel } from "../virtio/device-model.js";
import type { MmioInterrupt } from "./mmio-interrupt.js";
import { MMIO_MAGIC, MMIO_VENDOR_ID, MMIO_VERSION, REG } from "./layout.js";

const NO_REGION = 0xffffffff;
const SIXTEEN_BITS = 0xffff;

export class MmioRegisters {
  constructor(private readonly model: VirtioDeviceModel, private readonly interrupt: MmioInterrupt) {}

  /** The register at `offset` (a multiple of 4 below 0x100); no side effects. */
  read(offset: number): number {
    const { model } = this;
    const { features, queues } = model;
    switch (offset) {
      case REG.MagicValue: return MMIO_MAGIC;
      case REG.Version: return MMIO_VERSION;
      case REG.DeviceID: return model.device.info.id;
      case REG.VendorID: return MMIO_VENDOR_ID;
      case REG.DeviceFeatures: return features.deviceWindow;
      case REG.QueueNumMax: return queues.configs[queues.select]?.maxSize ?? 0;
      case REG.QueueReady: return queues.enable;
      case REG.InterruptStatus: return this.interrupt.status;
      case REG.Status: return model.status;
      case REG.SHMLenLow: case REG.SHMLenHigh: case REG.SHMBaseLow: case REG.SHMBaseHigh: return NO_REGION;
      case REG.ConfigGeneration: return model.configGeneration;
      default: return 0; // write-only, QueueReset (RING_RESET is not offered), or nothing
    }
  }

  /** A 32-bit write to the register at `offset` (a multiple of 4 below 0x100). */
  write(offset: number, value: number): void {
    const { model } = this;
    const { features, queues } = model;
    const v = value >>> 0;
    switch (offset) {
      case REG.DeviceFeaturesSel: features.deviceSelect = v; return;
      case REG.DriverFeatures: model.writeDriverFeatures(v); return;
      case REG.DriverFeaturesSel: features.driverSelect = v; return;
      case REG.QueueSel: queues.select = Math.min(v, SIXTEEN_BITS); return;
      case REG.QueueNum: queues.size = Math.min(v, SIXTEEN_BITS); return;
      case REG.QueueReady: this.writeQueueReady(v); return;
      case REG.QueueNotify: model.notify(v); return;
      case REG.InterruptACK: this.interrupt.acknowledge(v); return;
      case REG.Status: this.writeStatus(v); return;
      case REG.QueueDescLow: queues.descLo = v; return;
      case REG.QueueDescHigh: queues.descHi = v; return;
      case REG.QueueDriverLow: queues.driverLo = v; return;
      case REG.QueueDriverHigh: queues.driverHi = v; return;
      case REG.QueueDeviceLow: queues.deviceLo = v; return;
      case REG.QueueDeviceHigh: queues.deviceHi = v; return;
      case REG.SHMSel: return; // every region reads as absent, whichever is selected
      case REG.QueueReset:
        if (v !== 0) model.note("QueueReset write ignored: RING_RESET is not offered");
        return;
      default:
        model.note(`write of 0x${v.toString(16)} to register 0x${offset.toString(16).padStart(3, "0")} ignored: ${READ_ONLY.has(offset) ? "it is read-only" : "there is no such register"}`);
    }
  }

  /** Status is 8 bits of a 32-bit register: a write with higher bits is none the driver meant. */
  private writeStatus(v: number): void {
    if (v > 0xff) {
      this.model.note(`status write 0x${v.toString(16)} ignored: status is 8 bits`);
      return;
    }
    this.model.status = v;
  }

  private writeQueueReady(v: number): void {
    if (v !== 0) this.model.queues.enable = 1;
    else this.model.queues.disable();
  }
}

const READ_ONLY = new Set<number>([
  REG.MagicValue, REG.Version, REG.DeviceID, REG.VendorID, REG.DeviceFeatures, REG.QueueNumMax, REG.InterruptStatus,
  REG.SHMLenLow, REG.SHMLenHigh, REG.SHMBaseLow, REG.SHMBaseHigh, REG.ConfigGeneration,
]);
