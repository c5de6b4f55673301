// How a device model reaches the driver with an interrupt. The transport implements it
// (virtio-pci: the ISR byte and the INTx line; MSI-X or virtio-mmio's InterruptStatus
// later) and hands it to the model when it builds it, so the model never has to be
// wired up afterwards.

export type InterruptKind = "queue" | "config";

export interface DeviceInterrupt {
  /**
   * Raises an interrupt of `kind` (for a queue interrupt, `queue` names the queue: a
   * transport with a vector per queue, such as MSI-X, signals that queue's vector).
   * Returns false when one was already pending (the guest will take a single interrupt
   * for both).
   */
  raise(kind: InterruptKind, queue?: number): boolean;
  /**
   * The device was reset: whatever it had pending is withdrawn (ISR bits cleared, the
   * line lowered), so a reset device cannot keep interrupting a driver that is gone.
   */
  withdraw(): void;
}
