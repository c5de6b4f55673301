// virtio-pci's interrupt without MSI-X (virtio 1.2, 4.1.4.5): one ISR byte (bit 0 used
// buffers, bit 1 config change) and the function's INTx line. The ISR bit is set before
// the line goes up; the driver's read of the ISR returns it, clears it and lowers the
// line. A device reset withdraws both.
import type { DeviceInterrupt, InterruptKind, RaiseOutcome } from "../virtio/interrupt.js";

export const ISR_QUEUE = 1;
export const ISR_CONFIG = 2;

export class IsrInterrupt implements DeviceInterrupt {
  private isr = 0;

  /** `setLine` drives the function's INTx level. */
  constructor(private readonly setLine: (asserted: boolean) => void) {}

  raise(kind: InterruptKind): RaiseOutcome {
    const bit = kind === "queue" ? ISR_QUEUE : ISR_CONFIG;
    // Level-triggered INTx with one ISR: while the bit is still set the guest has not yet
    // read the ISR, and its one handler run will service every queue.
    const fresh = (this.isr & bit) === 0;
    this.isr |= bit;
    this.setLine(true);
    return fresh ? "sent" : "merged";
  }

  withdraw(): void {
    this.isr = 0;
    this.setLine(false);
  }

  /** The driver's read of the ISR: returns it, clears it and de-asserts the line. */
  readAndClear(): number {
    const value = this.isr;
    this.isr = 0;
    this.setLine(false);
    return value;
  }

  /** The ISR as the driver would read it next (no side effect). */
  get pending(): number {
    return this.isr;
  }

  /** Takes up a saved ISR (a snapshot) with the line level it implies. */
  restore(isr: number): void {
    this.isr = isr & (ISR_QUEUE | ISR_CONFIG);
    this.setLine(this.isr !== 0);
  }
}
