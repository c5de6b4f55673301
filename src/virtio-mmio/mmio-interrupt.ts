// virtio-mmio's interrupt (virtio 1.2, 4.2.2 and 4.2.3.4): the InterruptStatus register
// (bit 0 used buffers, bit 1 configuration change) and the device's one interrupt line.
// A bit stays set from the event until the driver writes it to InterruptACK; the line is
// high exactly while any bit is set. A device reset withdraws both.
//
// Why a fresh event on a line that is already high lowers and raises it again: on a PC the
// line ends at a PIC input that is edge-triggered for ISA IRQs (the ELCR marks only the PCI
// lines level-triggered). A driver that has read InterruptStatus but not yet acknowledged
// would otherwise never hear of an event of the other kind arriving in between: the line
// never drops, so no edge, and the bit waits for an interrupt that never comes. Firecracker
// signals every event as an edge for the same reason. An event whose bit is already set
// needs no edge: the driver acknowledges what it read and then looks at every queue.
import type { DeviceInterrupt, InterruptKind, RaiseOutcome } from "../virtio/interrupt.js";
import { INT_CONFIG_CHANGE, INT_USED_BUFFER } from "./layout.js";

const ALL_BITS = INT_USED_BUFFER | INT_CONFIG_CHANGE;

export class MmioInterrupt implements DeviceInterrupt {
  private bits = 0;
  private high = false;

  /** `setLine` drives the device's interrupt line. */
  constructor(private readonly setLine: (level: boolean) => void) {}

  raise(kind: InterruptKind): RaiseOutcome {
    const bit = kind === "queue" ? INT_USED_BUFFER : INT_CONFIG_CHANGE;
    const fresh = (this.bits & bit) === 0;
    this.bits |= bit;
    if (fresh && this.high) this.drive(false); // a new edge (see above)
    this.drive(true);
    return fresh ? "sent" : "merged";
  }

  withdraw(): void {
    this.bits = 0;
    this.drive(false);
  }

  /** The driver's write to InterruptACK: the bits it handled are cleared; the line drops with the last. */
  acknowledge(value: number): void {
    this.bits &= ~value;
    if (this.bits === 0) this.drive(false);
  }

  /** InterruptStatus as the driver reads it (reading has no side effect on virtio-mmio). */
  get status(): number {
    return this.bits;
  }

  /** The line's level now. */
  get asserted(): boolean {
    return this.high;
  }

  /** Takes up a saved InterruptStatus with the line level it implies. */
  restore(status: number): void {
    this.bits = status & ALL_BITS;
    // Driven whatever level it had: the line may not have been told since the machine started.
    this.high = this.bits !== 0;
    this.setLine(this.high);
  }

  private drive(level: boolean): void {
    if (level === this.high) return;
    this.high = level;
    this.setLine(level);
  }
}
