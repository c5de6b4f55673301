// virtio-mmio devices as the inspector lists them: each window's place (base address and
// IRQ) and its registers as the driver would read them (magic, version, device ID, status,
// InterruptStatus, the selected queue and every queue's size and ready bit), taken from the
// transport without side effects. The transport's view has this shape; the machine hands
// it over as a function, so this layer needs nothing from the transport's.

/** The registers of one virtio-mmio window, as plain data. */
export interface MmioRegistersView {
  magic: number;
  version: number;
  deviceId: number;
  vendorId: number;
  status: number;
  interruptStatus: number;
  /** The interrupt line's level now (high while InterruptStatus is not 0). */
  lineAsserted: boolean;
  configGeneration: number;
  queueSel: number;
  queues: Array<{ index: number; numMax: number; num: number; ready: boolean }>;
}

/** One virtio-mmio device in the inspector's list. */
export interface MmioDeviceView extends MmioRegistersView {
  /** How the inspector names the device (its VirtioDeviceView has the same address). */
  address: string;
  base: number;
  irq: number;
  /** The device's kind ("virtio-rng") and its name in this machine. */
  name: string;
  label: string;
}

/** What the machine gives the inspector for a virtio-mmio device. */
export interface InspectedMmio {
  base: number;
  irq: number;
  /** The registers now; no side effects. */
  registers(): MmioRegistersView;
}

/** "mmio@0xd0000000": a virtio-mmio device's address in the inspector (PCI devices have "00:03.0"). */
export function mmioAddress(base: number): string {
  return `mmio@0x${base.toString(16).padStart(8, "0")}`;
}

export function mmioDeviceView(mmio: InspectedMmio, name: string, label: string): MmioDeviceView {
  return { ...mmio.registers(), address: mmioAddress(mmio.base), base: mmio.base, irq: mmio.irq, name, label };
}
