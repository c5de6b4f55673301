// The per-queue registers a driver programs before DRIVER_OK (virtio 1.2, 4.1.4.3 for PCI,
// 4.2.2 for MMIO: the same fields under other names): a select register, then the selected
// queue's size, enable, notify offset and its three ring addresses as 32-bit lo/hi halves.
// Any transport maps its registers onto these accessors.
//
// Reading never fails (that is how a driver discovers the device). A write aimed at a
// queue the device does not have means the driver has a wrong picture of the device:
// the owner fails it. A write to a queue that can no longer change is dropped, logged.
import { QueueConfig } from "./queue-config.js";

/** What the registers need from the device model around them. */
export interface QueueRegistersOwner {
  /** The driver broke the protocol: DEVICE_NEEDS_RESET with `reason`. */
  fail(reason: string): void;
  /** A harmless mistake, logged. */
  note(message: string): void;
  /** DRIVER_OK is set: queue layouts are fixed until a reset. */
  readonly driverOk: boolean;
  /** The device failed and waits for a reset: no queue is enabled meanwhile. */
  readonly needsReset: boolean;
  /** Why `q`'s layout cannot be used (size and ring placement), or undefined. */
  layoutProblem(q: QueueConfig): string | undefined;
}

export class QueueRegisters {
  readonly configs: readonly QueueConfig[];
  private sel = 0;

  constructor(maxSizes: readonly number[], private readonly owner: QueueRegistersOwner) {
    this.configs = maxSizes.map((max, i) => new QueueConfig(i, max));
  }

  get count(): number {
    return this.configs.length;
  }

  get select(): number { return this.sel; }
  set select(value: number) { this.sel = value & 0xffff; }

  /** Size of the selected queue; 0 for a queue that does not exist (spec: unavailable). */
  get size(): number { return this.selected()?.size ?? 0; }
  set size(value: number) {
    const q = this.writable("queue_size");
    // Checked when the driver enables the queue: the driver may write fields in any order.
    if (q) q.size = value & 0xffff;
  }

  get enable(): number { return this.selected()?.enabled ? 1 : 0; }
  set enable(value: number) {
    const q = this.selected();
    if (!q) {
      this.owner.fail(`queue_enable write for queue ${this.sel}, which does not exist (the device has ${this.count})`);
      return;
    }
    if ((value & 0xffff) === 0) {
      // 4.1.4.3.2: the driver MUST NOT write 0; there is no way back but reset.
      if (q.enabled) this.owner.note(`driver wrote 0 to queue_enable of queue ${q.index}; ignored`);
      return;
    }
    if (q.enabled) return;
    if (this.owner.driverOk || this.owner.needsReset) {
      this.owner.note(`queue_enable of queue ${q.index} after DRIVER_OK ignored`);
      return;
    }
    const problem = this.owner.layoutProblem(q);
    if (problem !== undefined) {
      this.owner.fail(`queue ${q.index}: ${problem}`);
      return;
    }
    q.enabled = true;
  }

  /**
   * Takes the selected queue back out of use (virtio-mmio's QueueReady 0, 4.2.2.1: how a
   * driver stops using a queue; virtio-pci has no such write). Before DRIVER_OK nothing
   * runs on it yet, so it becomes configurable again; after it, the device offers no queue
   * reset and the write is dropped, logged.
   */
  disable(): void {
    const q = this.selected();
    if (!q || !q.enabled) return; // already not ready (or no such queue: reads 0 all the same)
    if (this.owner.driverOk || this.owner.needsReset) {
      this.owner.note(`queue_enable 0 for queue ${q.index} after DRIVER_OK ignored: the device offers no queue reset`);
      return;
    }
    q.enabled = false;
  }

  /** Each queue has its own notify offset: its index (the transport multiplies it). */
  get notifyOff(): number { return this.selected()?.index ?? 0; }

  get descLo(): number { return this.selected()?.descLo ?? 0; }
  set descLo(value: number) { const q = this.writable("queue_desc"); if (q) q.descLo = value >>> 0; }
  get descHi(): number { return this.selected()?.descHi ?? 0; }
  set descHi(value: number) { const q = this.writable("queue_desc"); if (q) q.descHi = value >>> 0; }
  get driverLo(): number { return this.selected()?.driverLo ?? 0; }
  set driverLo(value: number) { const q = this.writable("queue_driver"); if (q) q.driverLo = value >>> 0; }
  get driverHi(): number { return this.selected()?.driverHi ?? 0; }
  set driverHi(value: number) { const q = this.writable("queue_driver"); if (q) q.driverHi = value >>> 0; }
  get deviceLo(): number { return this.selected()?.deviceLo ?? 0; }
  set deviceLo(value: number) { const q = this.writable("queue_device"); if (q) q.deviceLo = value >>> 0; }
  get deviceHi(): number { return this.selected()?.deviceHi ?? 0; }
  set deviceHi(value: number) { const q = this.writable("queue_device"); if (q) q.deviceHi = value >>> 0; }

  /** Power-on values: every queue cleared, queue 0 selected. */
  clear(): void {
    this.sel = 0;
    for (const q of this.configs) q.clear();
  }

  private selected(): QueueConfig | undefined {
    return this.configs[this.sel];
  }

  /** The selected queue if its configuration may still change, else undefined (logged, or failed if there is no such queue). */
  private writable(register: string): QueueConfig | undefined {
    const q = this.selected();
    if (!q) this.owner.fail(`${register} write for queue ${this.sel}, which does not exist (the device has ${this.count})`);
    else if (q.enabled || this.owner.driverOk) this.owner.note(`${register} write to queue ${q.index} after it was enabled ignored`);
    else return q;
    return undefined;
  }
}
