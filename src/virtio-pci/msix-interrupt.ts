// virtio-pci's interrupt with MSI-X (virtio 1.2, 4.1.4.3 and 4.1.5): the driver names a
// table vector for configuration changes (msix_config) and one for each queue
// (queue_msix_vector); the device signals that vector. VIRTIO_MSI_NO_VECTOR, or a vector
// out of the table, reads back as NO_VECTOR and means "no interrupt" (the driver polls).
// While the function's MSI-X enable bit is clear the ISR and INTx carry everything, as
// without MSI-X; with it set the ISR is not used (4.1.4.5.2).
import type { Msix } from "../pci/msix.js";
import type { DeviceInterrupt, InterruptKind, RaiseOutcome } from "../virtio/interrupt.js";
import type { IsrInterrupt } from "./isr-interrupt.js";

export const VIRTIO_MSI_NO_VECTOR = 0xffff;

/** The vector registers, for a snapshot. */
export interface MsixVectors {
  config: number;
  queues: number[];
}

export class MsixInterrupt implements DeviceInterrupt {
  /**
   * The values the driver wrote, by queue, and the config vector last. A value outside the
   * table is kept as written (v86 splits a 16-bit write into two byte writes, and the
   * first half alone is often out of range) but acts, and reads back, as NO_VECTOR.
   */
  private readonly raw: Uint16Array;
  /** While a saved state is taken up: the model's reset keeps vectors and pending bits. */
  private restoring = false;

  constructor(
    private readonly msix: Msix,
    private readonly isr: IsrInterrupt,
    private readonly queueCount: number,
  ) {
    this.raw = new Uint16Array(queueCount + 1).fill(VIRTIO_MSI_NO_VECTOR);
  }

  raise(kind: InterruptKind, queue = 0): RaiseOutcome {
    if (!this.msix.enabled) return this.isr.raise(kind);
    const vector = kind === "config" ? this.configVector : this.queueVector(queue);
    if (vector === VIRTIO_MSI_NO_VECTOR) return "unrouted";
    // Each message is an interrupt of its own; only one held while masked merges.
    return this.msix.signal(vector) ? "sent" : "merged";
  }

  /** Device reset: nothing pending anywhere, and every vector back to NO_VECTOR (as QEMU does). */
  withdraw(): void {
    this.isr.withdraw();
    if (this.restoring) return;
    this.msix.clearPending();
    this.raw.fill(VIRTIO_MSI_NO_VECTOR);
  }

  /** msix_config as the driver reads it. */
  get configVector(): number {
    return this.valid(this.raw[this.queueCount]!);
  }

  writeConfigVector(value: number): void {
    this.raw[this.queueCount] = value;
  }

  /** queue_msix_vector of a queue as the driver reads it (NO_VECTOR for a queue that does not exist). */
  queueVector(index: number): number {
    return index >= 0 && index < this.queueCount ? this.valid(this.raw[index]!) : VIRTIO_MSI_NO_VECTOR;
  }

  writeQueueVector(index: number, value: number): void {
    if (index >= 0 && index < this.queueCount) this.raw[index] = value;
  }

  /** The value last written for a queue (-1: msix_config), which a byte write merges into. */
  written(index: number): number {
    if (index === -1) return this.raw[this.queueCount]!;
    return index >= 0 && index < this.queueCount ? this.raw[index]! : VIRTIO_MSI_NO_VECTOR;
  }

  saveVectors(): MsixVectors {
    return { config: this.raw[this.queueCount]!, queues: [...this.raw.subarray(0, this.queueCount)] };
  }

  /**
   * Takes up saved vectors, then runs `restoreModel`: restoring a device model begins with
   * a reset, which must not clear them (or the table's pending bits, restored before), and
   * ends by signalling what its rings call for, which needs them.
   */
  restoreVectors(saved: MsixVectors, restoreModel: () => void): void {
    this.raw.fill(VIRTIO_MSI_NO_VECTOR);
    this.raw[this.queueCount] = saved.config;
    saved.queues.slice(0, this.queueCount).forEach((v, i) => (this.raw[i] = v));
    this.restoring = true;
    try {
      restoreModel();
    } finally {
      this.restoring = false;
    }
  }

  /** 4.1.5.1.2: a vector the table does not have reads back as NO_VECTOR. */
  private valid(vector: number): number {
    return vector < this.msix.vectors ? vector : VIRTIO_MSI_NO_VECTOR;
  }
}
