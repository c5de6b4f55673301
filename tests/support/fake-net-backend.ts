// A NetBackend for device tests: frames for the guest wait in a FIFO until the device
// pulls them; frames from the guest are recorded with their offload metadata. Pulls that
// find nothing are counted, so a test can see how eagerly a device asks.
import type { GuestNetCapabilities, NetBackend, NetFrame } from "../../src/backends/net/net-backend.js";

export class FakeNetBackend implements NetBackend {
  /** Frames the guest sent, in order (bytes copied). */
  readonly received: NetFrame[] = [];
  /** Every setGuestCapabilities call, in order. */
  readonly capabilityHistory: (GuestNetCapabilities | undefined)[] = [];
  /** nextForGuest() calls that found the queue empty. */
  emptyPulls = 0;
  /** guestReset() calls (each also drops the frames waiting for the guest). */
  guestResets = 0;
  /** Called for each frame from the guest (a test can answer from here, re-entering the device). */
  onReceive: ((frame: NetFrame) => void) | undefined;
  private queue: NetFrame[] = [];
  private head = 0;
  private listener: (() => void) | undefined;

  get capabilities(): GuestNetCapabilities | undefined {
    return this.capabilityHistory.at(-1);
  }

  /** Frames queued for the guest and not yet pulled. */
  get waiting(): number {
    return this.queue.length - this.head;
  }

  /** Queues frames for the guest and tells the device, like a backend whose host side produced them. */
  push(...frames: NetFrame[]): void {
    this.queue.push(...frames);
    this.listener?.();
  }

  receiveFromGuest(frame: NetFrame): void {
    const copy: NetFrame = { bytes: frame.bytes.slice() };
    if (frame.offload) copy.offload = structuredClone(frame.offload);
    this.received.push(copy);
    this.onReceive?.(copy);
  }

  nextForGuest(): NetFrame | undefined {
    if (this.head === this.queue.length) {
      this.emptyPulls++;
      return undefined;
    }
    const frame = this.queue[this.head++];
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return frame;
  }

  onGuestFramesReady(listener: () => void): void {
    this.listener = listener;
  }

  setGuestCapabilities(caps: GuestNetCapabilities | undefined): void {
    this.capabilityHistory.push(caps && { ...caps });
  }

  guestReset(): void {
    this.guestResets++;
    this.queue = [];
    this.head = 0;
  }
}
