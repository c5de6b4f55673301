// A tap on a card's cable: passes every call through to the real backend unchanged and,
// while a capture is attached, shows it each frame at the moment the card takes it: what the
// guest transmitted (receiveFromGuest) and what is handed to the guest (nextForGuest). Frames
// are seen as the guest sees them: a TSO frame from the guest or a GSO frame for it is one
// frame larger than the MTU, before anyone splits it. A frame the card pulls and then drops
// (too large for the guest's buffers) is still recorded, as a NIC capture records frames
// that reached the wire; the card's rx drop counters tell such frames apart.
import type { GuestNetCapabilities, NetBackend, NetFrame } from "../net-backend.js";
import type { FrameDirection } from "./pcapng-blocks.js";

/** Where tapped frames go (a PacketCapture's record, bound to one interface). */
export type FrameTap = (direction: FrameDirection, frame: Uint8Array) => void;

export class CapturingBackend implements NetBackend {
  /** The capture watching this card, if any; set and cleared at any moment. */
  tap: FrameTap | undefined;

  constructor(readonly inner: NetBackend) {}

  receiveFromGuest(frame: NetFrame): void {
    // Before the backend: it may keep or change the bytes it is handed.
    this.tap?.("from-guest", frame.bytes);
    this.inner.receiveFromGuest(frame);
  }

  nextForGuest(): NetFrame | undefined {
    const frame = this.inner.nextForGuest();
    if (frame) this.tap?.("to-guest", frame.bytes);
    return frame;
  }

  onGuestFramesReady(listener: () => void): void {
    this.inner.onGuestFramesReady(listener);
  }

  setGuestCapabilities(caps: GuestNetCapabilities | undefined): void {
    this.inner.setGuestCapabilities(caps);
  }

  guestReset(): void {
    this.inner.guestReset();
  }
}
