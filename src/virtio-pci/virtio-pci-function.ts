// The virtio-pci modern transport (virtio 1.2, 4.1): renders a transport-independent
// device model as a PCI function with one BAR holding the common configuration, ISR,
// notification and device configuration structures, the vendor capabilities that point
// at them, and the PCI-configuration-access capability. Interrupts are INTx: the ISR bit
// is set before the line is raised, and reading the ISR clears it and lowers the line.
// With MSI-X (option msix) the function also has a vector table: once the driver enables
// it, each queue and configuration change signals the vector the driver chose.
import type { AccessSize } from "../platform/platform.js";
import type { BarDefinition, BarHandler, BarKind } from "../pci/bar.js";
import type { Capability, CapabilityDefinition } from "../pci/capabilities.js";
import { PciFunction } from "../pci/pci-function.js";
import { Msix, msixTableBytes, MSIX_MAX_VECTORS } from "../pci/msix.js";
import { MsixInterrupt } from "./msix-interrupt.js";
import type { CheckedVirtioPciState, VirtioPciState } from "./virtio-pci-state.js";
import { VirtioDeviceModel, type DeviceModelOptions } from "../virtio/device-model.js";
import type { VirtioDevice } from "../virtio/virtio-device.js";
import type { DeviceKind } from "../virtio/device-info.js";
import type { GuestMemory } from "../memory/guest-memory.js";
import { commonConfigRegisters } from "./common-config.js";
import { IsrInterrupt } from "./isr-interrupt.js";
import type { RegisterFile } from "./register-file.js";
import {
  CAP_VENDOR_SPECIFIC, CFG_COMMON, CFG_DEVICE, CFG_ISR, CFG_NOTIFY, CFG_PCI, COMMON_LENGTH, COMMON_OFFSET, DEVICE_MAX_LENGTH,
  DEVICE_OFFSET, ISR_LENGTH, ISR_OFFSET, MSIX_SHARED_BAR_OFFSET, msixOffsets, NOTIFY_OFFSET, notifyLength, PCI_CFG_CAP, virtioCapBody,
} from "./layout.js";

export const VIRTIO_PCI_VENDOR = 0x1af4;
/** Modern (non-transitional) device IDs are 0x1040 + the virtio device ID. */
const MODERN_DEVICE_ID_BASE = 0x1040;

/**
 * PCI class codes for each kind of device (what other hypervisors report, so tools show
 * something sensible): the device says what kind it is, the transport knows PCI's names.
 */
const CLASS_CODES: Record<DeviceKind, number> = {
  network: 0x020000, // network controller, ethernet
  storage: 0x010000, // mass storage, SCSI
  communication: 0x078000, // communication controller, other
  entropy: 0xff0000, // unassigned class
  other: 0xff0000,
};

export interface VirtioPciOptions {
  /** Which kind of BAR holds the structures (Linux drives all three). Default "mem32". */
  bar?: BarKind;
  /** Bytes between the doorbells of consecutive queues; 0 (default) gives all queues one doorbell. */
  notifyOffMultiplier?: number;
  /** MSI-X with a vector for each queue and one for configuration changes (default off: INTx only). */
  msix?: boolean;
}

/** What the transport needs to build the device model behind it (the interrupt is its own). */
export type VirtioPciModelOptions = Omit<DeviceModelOptions, "interrupt">;

const BAR_INDEX = 0;
/** The MSI-X BAR when the structures are in an I/O BAR. */
const MSIX_OWN_BAR_INDEX = 1;
const IO_BAR_SIZE = 256;
const MEM_BAR_SIZE = 128 * 1024;

export class VirtioPciFunction implements BarHandler {
  readonly pci: PciFunction;
  /** The transport-independent device model, built here with this function's interrupt. */
  readonly model: VirtioDeviceModel;
  /** The function's ISR and INTx, which the model raises (through msixInterrupt with MSI-X) and a reset withdraws. */
  readonly interrupt: IsrInterrupt;
  /** With MSI-X: the vector registers and the table's interrupt, falling back to `interrupt` while disabled. */
  readonly msixInterrupt: MsixInterrupt | undefined;
  private readonly msix: Msix | undefined;
  /** The MSI-X table and PBA share BAR 0 with the structures. */
  private readonly msixInBar0: boolean;
  private readonly common: RegisterFile;
  private readonly multiplier: number;
  private readonly notifyLen: number;
  private readonly barSize: number;

  constructor(device: VirtioDevice, memory: GuestMemory, modelOptions: VirtioPciModelOptions, options: VirtioPciOptions = {}) {
    // The line is this function's INTx pin; the closure runs only once the function exists.
    this.interrupt = new IsrInterrupt((asserted) => this.pci.setIrq(asserted));
    const barKind = options.bar ?? "mem32";
    const queueCount = device.queueMaxSizes.length;
    if (options.msix) {
      const vectors = Math.min(MSIX_MAX_VECTORS, queueCount + 1);
      this.msixInBar0 = barKind !== "io";
      const placement = {
        vectors,
        bar: this.msixInBar0 ? BAR_INDEX : MSIX_OWN_BAR_INDEX,
        ...msixOffsets(this.msixInBar0 ? MSIX_SHARED_BAR_OFFSET : 0, msixTableBytes(vectors)),
      };
      // The closure runs only once the function exists, as the ISR's does.
      this.msix = new Msix(placement, (address, data) => this.pci.sendMessage(address, data));
      this.msixInterrupt = new MsixInterrupt(this.msix, this.interrupt, queueCount);
    } else {
      this.msixInBar0 = false;
    }
    const model = new VirtioDeviceModel(device, memory, { ...modelOptions, interrupt: this.msixInterrupt ?? this.interrupt });
    this.model = model;
    this.multiplier = options.notifyOffMultiplier ?? 0;
    this.notifyLen = notifyLength(model.queues.count, this.multiplier);
    if (!Number.isInteger(this.multiplier) || this.multiplier < 0 || this.multiplier % 2 !== 0) {
      throw new RangeError(`notify_off_multiplier must be an even number of bytes >= 0, got ${this.multiplier}`);
    }
    if (NOTIFY_OFFSET + this.notifyLen > DEVICE_OFFSET) {
      throw new RangeError(`${model.queues.count} queues at notify_off_multiplier ${this.multiplier} do not fit the doorbell area`);
    }
    const info = device.info;
    if (info.configSize > DEVICE_MAX_LENGTH) {
      throw new RangeError(`${info.name}: device config of ${info.configSize} bytes is larger than ${DEVICE_MAX_LENGTH}`);
    }
    this.barSize = barKind === "io" ? IO_BAR_SIZE : MEM_BAR_SIZE;
    this.common = commonConfigRegisters(model, this.msixInterrupt);

    const bar: BarDefinition = {
      kind: barKind,
      size: this.barSize,
      // This function answers its BAR itself (read() and write() below).
      handler: this,
    };
    const deviceLength = Math.max(4, (info.configSize + 3) & ~3);
    const capabilities: CapabilityDefinition[] = [
      { id: CAP_VENDOR_SPECIFIC, body: virtioCapBody(CFG_COMMON, BAR_INDEX, COMMON_OFFSET, COMMON_LENGTH) },
      { id: CAP_VENDOR_SPECIFIC, body: virtioCapBody(CFG_ISR, BAR_INDEX, ISR_OFFSET, ISR_LENGTH) },
      {
        id: CAP_VENDOR_SPECIFIC,
        body: virtioCapBody(CFG_NOTIFY, BAR_INDEX, NOTIFY_OFFSET, this.notifyLen, le32Bytes(this.multiplier)),
      },
      { id: CAP_VENDOR_SPECIFIC, body: virtioCapBody(CFG_DEVICE, BAR_INDEX, DEVICE_OFFSET, deviceLength) },
      this.pciConfigAccessCapability(),
    ];

    this.pci = new PciFunction({
      name: info.name,
      vendorId: VIRTIO_PCI_VENDOR,
      deviceId: MODERN_DEVICE_ID_BASE + info.id,
      classCode: CLASS_CODES[info.kind],
      // 4.1.2.1: non-transitional devices have revision 1 and a subsystem ID of 0x40 or more.
      revision: 1,
      subsystemVendorId: VIRTIO_PCI_VENDOR,
      subsystemId: 0x40 + info.id,
      interruptPin: 1,
      bars: this.msix && !this.msixInBar0 ? [bar, this.msixOwnBar(this.msix)] : [bar],
      capabilities,
      ...(this.msix ? { msix: this.msix } : {}),
      // A machine reset resets the device, which withdraws its interrupt.
      onReset: () => model.reset(),
    });
  }

  /** For a snapshot: the PCI function, the ISR and the device model (see device-model-state.ts). */
  saveState(): VirtioPciState {
    const msix = this.msix && this.msixInterrupt ? { ...this.msix.saveState(), vectors: this.msixInterrupt.saveVectors() } : undefined;
    return { pci: this.pci.saveState(), isr: this.interrupt.pending, ...(msix ? { msix } : {}), model: this.model.saveState() };
  }

  /**
   * Takes up a saved state once guest RAM is back: configuration first (BARs decode
   * again), then MSI-X's table and vectors, then the device, then the ISR with its
   * interrupt level.
   */
  restoreState(state: CheckedVirtioPciState): void {
    this.pci.restoreState(state.pci);
    if (state.msix && this.msix && this.msixInterrupt) {
      this.msix.restoreState(state.msix);
      this.msixInterrupt.restoreVectors(state.msix.vectors, () => this.model.restoreState(state.model));
    } else {
      this.model.restoreState(state.model);
    }
    // Restoring the model raised whatever the rings called for; the saved ISR adds to it.
    this.interrupt.restore(this.interrupt.pending | state.isr);
  }

  /** ISR status as the driver would read it next (no side effect). */
  get pendingIsr(): number {
    return this.interrupt.pending;
  }

  /** A read of the BAR at `offset`: common config, the ISR (which the read clears), device config or MSI-X. */
  read(offset: number, size: AccessSize): number {
    if (this.msixInBar0 && this.msix!.covers(offset)) return this.msix!.read(offset, size);
    if (offset >= COMMON_OFFSET && offset < COMMON_OFFSET + COMMON_LENGTH) {
      return this.common.read(offset - COMMON_OFFSET, size);
    }
    if (offset === ISR_OFFSET) return this.interrupt.readAndClear();
    if (offset >= DEVICE_OFFSET && offset < DEVICE_OFFSET + DEVICE_MAX_LENGTH) {
      return this.model.readConfig(offset - DEVICE_OFFSET, size);
    }
    return 0;
  }

  /** A write to the BAR at `offset`: common config, a doorbell, device config or MSI-X. */
  write(offset: number, size: AccessSize, value: number): void {
    if (this.msixInBar0 && this.msix!.covers(offset)) {
      this.msix!.write(offset, size, value);
    } else if (offset >= COMMON_OFFSET && offset < COMMON_OFFSET + COMMON_LENGTH) {
      this.common.write(offset - COMMON_OFFSET, size, value);
    } else if (offset >= NOTIFY_OFFSET && offset < NOTIFY_OFFSET + this.notifyLen) {
      this.doorbell(offset - NOTIFY_OFFSET, size, value);
    } else if (offset >= DEVICE_OFFSET && offset < DEVICE_OFFSET + DEVICE_MAX_LENGTH) {
      this.model.writeConfig(offset - DEVICE_OFFSET, size, value);
    }
  }

  /**
   * A doorbell write. Linux writes the queue index with a 16-bit write, which v86 delivers
   * over MMIO as two byte writes: the first byte (at the doorbell's own offset) is the
   * kick, the second is ignored. With a multiplier, the doorbell's position names the
   * queue; with multiplier 0 the value written does.
   */
  private doorbell(at: number, size: AccessSize, value: number): void {
    if (this.multiplier === 0) {
      if (at !== 0) return;
      this.model.notify(size === 1 ? value & 0xff : value & 0xffff);
      return;
    }
    if (at % this.multiplier !== 0) return;
    this.model.notify(at / this.multiplier);
  }

  /** BAR 1 for the MSI-X table and PBA when the structures are in an I/O BAR. */
  private msixOwnBar(msix: Msix): BarDefinition {
    return { kind: "mem32", size: MEM_BAR_SIZE, handler: msixOnly(msix) };
  }

  /**
   * VIRTIO_PCI_CAP_PCI_CFG (4.1.4.9): a window through configuration space into the BAR,
   * for firmware that cannot map BARs. The driver sets bar, offset and length (1, 2 or 4),
   * then reads or writes pci_cfg_data; the access goes to the BAR at that offset.
   */
  private pciConfigAccessCapability(): CapabilityDefinition {
    const body = virtioCapBody(CFG_PCI, 0, 0, 0, [0, 0, 0, 0]);
    const mask = new Array<number>(body.length).fill(0);
    // Writable: bar (body byte 2), offset (6-9), length (10-13), pci_cfg_data (14-17).
    for (const i of [2, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]) mask[i] = 0xff;
    const window = (cap: Capability): { offset: number; length: AccessSize } | undefined => {
      const bar = cap.read(PCI_CFG_CAP.bar, 1);
      const offset = cap.read(PCI_CFG_CAP.offset, 4);
      const length = cap.read(PCI_CFG_CAP.length, 4);
      if (bar !== BAR_INDEX || (length !== 1 && length !== 2 && length !== 4)) return undefined;
      if (offset % length !== 0 || offset + length > this.barSize) return undefined;
      return { offset, length };
    };
    const touchesData = (offset: number, size: number) => offset < PCI_CFG_CAP.data + 4 && offset + size > PCI_CFG_CAP.data;
    return {
      id: CAP_VENDOR_SPECIFIC,
      body,
      writableMask: mask,
      onRead: (cap, offset, size) => {
        if (!touchesData(offset, size)) return;
        const w = window(cap);
        if (w) cap.set(PCI_CFG_CAP.data, 4, this.read(w.offset, w.length));
      },
      onWrite: (cap, offset, size) => {
        if (!touchesData(offset, size)) return;
        const w = window(cap);
        if (w) this.write(w.offset, w.length, cap.read(PCI_CFG_CAP.data, 4));
      },
    };
  }
}

/** The bytes of a BAR that holds only the MSI-X table and PBA. */
function msixOnly(msix: Msix): BarHandler {
  return {
    read: (offset, size) => msix.read(offset, size),
    write: (offset, size, value) => msix.write(offset, size, value),
  };
}

function le32Bytes(value: number): number[] {
  return [0, 1, 2, 3].map((i) => (value >>> (8 * i)) & 0xff);
}
