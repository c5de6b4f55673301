// How a device model reaches the driver with an interrupt. The transport implements it
// (virtio-pci: the ISR byte and the INTx line; MSI-X or virtio-mmio's InterruptStatus
// later) and hands it to the model when it builds it, so the model never has to be
// wired up afterwards.

export type InterruptKind = "queue" | "config";

/**
 * What raising did: "sent" an interrupt; "merged" into one already pending (the guest
 * takes a single interrupt for both); or "unrouted": the driver gave this interrupt no way
 * to reach it (MSI-X's NO_VECTOR: it polls), so nothing was sent.
 */
export type RaiseOutcome = "sent" | "merged" | "unrouted";

export interface DeviceInterrupt {
  /**
   * Raises an interrupt of `kind` (for a queue interrupt, `queue` names the queue: a
   * transport with a vector per queue, such as MSI-X, signals that queue's vector).
   */
  raise(kind: InterruptKind, queue?: number): RaiseOutcome;
  /**
   * The device was reset: whatever it had pending is withdrawn (ISR bits cleared, the
   * line lowered), so a reset device cannot keep interrupting a driver that is gone.
   */
  withdraw(): void;
}
