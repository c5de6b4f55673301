// The virtio-mmio transport, version 2 (virtio 1.2, 4.2): renders a transport-independent
// device model as a 512-byte window of registers and one interrupt line. The same device
// files serve both transports; nothing here knows which device is behind it.
//
// Access widths. The spec has the driver use aligned 32-bit accesses for the registers
// (0x000-0x0ff) and accesses as wide as each field for the configuration space (0x100+).
// v86 delivers MMIO only as 8- or 32-bit accesses: a 16-bit guest access arrives as two
// byte accesses. So:
// - Registers answer aligned 32-bit accesses only. Any other access to them reads 0 and
//   writes nothing (logged), as QEMU does: merging bytes as virtio-pci's register file
//   does would run a side effect (a doorbell, a status change, an acknowledgement) once
//   per byte with a partial value. Linux uses readl/writel for every register.
// - The configuration space answers 1-, 2- and 4-byte accesses at any offset, each passed
//   to the model as it comes: Linux's 16-bit config read (readw) arrives as two byte reads,
//   which read the two halves of the field (config reads have no side effects).
import type { AccessSize } from "../platform/platform.js";
import { VirtioDeviceModel, type DeviceModelOptions } from "../virtio/device-model.js";
import type { VirtioDevice } from "../virtio/virtio-device.js";
import type { GuestMemory } from "../memory/guest-memory.js";
import { MMIO_CONFIG_OFFSET, MMIO_MAGIC, MMIO_VERSION, MMIO_WINDOW_SIZE, REG } from "./layout.js";
import { MmioInterrupt } from "./mmio-interrupt.js";
import { MmioRegisters } from "./mmio-registers.js";
import type { CheckedVirtioMmioState, VirtioMmioState } from "./virtio-mmio-state.js";

/** What the transport needs to build the device model behind it (the interrupt is its own). */
export type VirtioMmioModelOptions = Omit<DeviceModelOptions, "interrupt">;

/** The registers as the inspector and the machine's device list see them: plain data, read without side effects. */
export interface MmioTransportView {
  magic: number;
  version: number;
  deviceId: number;
  vendorId: number;
  status: number;
  interruptStatus: number;
  /** The interrupt line's level now. */
  lineAsserted: boolean;
  configGeneration: number;
  queueSel: number;
  /** Every queue's QueueNumMax, QueueNum and QueueReady. */
  queues: Array<{ index: number; numMax: number; num: number; ready: boolean }>;
}

export class VirtioMmioTransport {
  /** The transport-independent device model, built here with this transport's interrupt. */
  readonly model: VirtioDeviceModel;
  /** InterruptStatus and the line, which the model raises and a reset withdraws. */
  readonly interrupt: MmioInterrupt;
  private readonly registers: MmioRegisters;

  /** `setLine` drives the device's interrupt line (the machine wires it to an IRQ). */
  constructor(device: VirtioDevice, memory: GuestMemory, modelOptions: VirtioMmioModelOptions, setLine: (level: boolean) => void) {
    const configRoom = MMIO_WINDOW_SIZE - MMIO_CONFIG_OFFSET;
    if (device.info.configSize > configRoom) {
      throw new RangeError(`${device.info.name}: device config of ${device.info.configSize} bytes is larger than virtio-mmio's ${configRoom}`);
    }
    this.interrupt = new MmioInterrupt(setLine);
    this.model = new VirtioDeviceModel(device, memory, { ...modelOptions, interrupt: this.interrupt });
    this.registers = new MmioRegisters(this.model, this.interrupt);
  }

  /** A read at `offset` into the window (0 to 0x1ff); never throws. */
  read(offset: number, size: AccessSize): number {
    if (offset >= MMIO_CONFIG_OFFSET && offset < MMIO_WINDOW_SIZE) return this.model.readConfig(offset - MMIO_CONFIG_OFFSET, size);
    if (!this.registerAccess(offset, size, "read")) return 0;
    return this.registers.read(offset) >>> 0;
  }

  /** A write at `offset` into the window; never throws (the model fails or logs what is wrong). */
  write(offset: number, size: AccessSize, value: number): void {
    if (offset >= MMIO_CONFIG_OFFSET && offset < MMIO_WINDOW_SIZE) {
      this.model.writeConfig(offset - MMIO_CONFIG_OFFSET, size, value);
      return;
    }
    if (this.registerAccess(offset, size, "write")) this.registers.write(offset, value);
  }

  /** The machine was reset: the device goes back to its power-on state (which withdraws its interrupt). */
  reset(): void {
    this.model.reset();
  }

  view(): MmioTransportView {
    const { model } = this;
    const { queues } = model;
    return {
      magic: MMIO_MAGIC,
      version: MMIO_VERSION,
      deviceId: model.device.info.id,
      vendorId: this.registers.read(REG.VendorID),
      status: model.status,
      interruptStatus: this.interrupt.status,
      lineAsserted: this.interrupt.asserted,
      configGeneration: model.configGeneration,
      queueSel: queues.select,
      queues: queues.configs.map((q) => ({ index: q.index, numMax: q.maxSize, num: q.size, ready: q.enabled })),
    };
  }

  /** For a snapshot: InterruptStatus and the device model. */
  saveState(): VirtioMmioState {
    return { interruptStatus: this.interrupt.status, model: this.model.saveState() };
  }

  /** Takes up a saved state once guest RAM is back: the device, then InterruptStatus with its line level. */
  restoreState(state: CheckedVirtioMmioState): void {
    this.model.restoreState(state.model);
    // Restoring the model raised whatever its rings called for; the saved bits add to it.
    this.interrupt.restore(this.interrupt.status | state.interruptStatus);
  }

  /** Whether an access to the registers is one the spec allows (aligned, 32 bits); the rest are logged. */
  private registerAccess(offset: number, size: AccessSize, what: "read" | "write"): boolean {
    if (size === 4 && offset % 4 === 0 && offset >= 0 && offset < MMIO_CONFIG_OFFSET) return true;
    if (offset >= 0 && offset < MMIO_CONFIG_OFFSET) {
      this.model.note(`${size}-byte ${what} at register offset 0x${offset.toString(16)} ignored: registers take aligned 32-bit accesses only`);
    }
    return false;
  }
}
