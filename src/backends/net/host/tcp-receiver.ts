// The receive half of a connection: the next expected sequence number, which parts of a
// segment are new, and when an ACK is due. Nothing is buffered: in-order data goes to the
// service at once and out-of-order data is dropped (the guest retransmits it). The window
// stays whole unless the service pauses reading: then it is zero and data is dropped too,
// so the host never keeps more of the guest's data than a service chooses to.
import {
  ACK_EVERY_SEGMENTS, DELAYED_ACK_MS, OUR_MSS, QUICK_ACK_BYTES, RECEIVE_WINDOW_BYTES, STRETCH_ACK_BYTES,
} from "./tcp-config.js";
import type { TcpReceiverState } from "./tcp-saved-state.js";
import { seqAdd, seqDiff, seqGe, seqLt } from "./tcp-segment.js";

export class TcpReceiver {
  rcvNxt: number;
  /** An ACK must go out with the next frame pulled. */
  ackNow = false;
  /** An ACK is due by ackDeadline at the latest (delayed ACK). */
  ackDelayed = false;
  private ackDeadline = 0;
  private sinceAck = 0;
  bytesReceived = 0;
  /** The service paused reading: the window is zero and data is not taken. */
  paused = false;

  constructor(readonly irs: number) {
    this.rcvNxt = seqAdd(irs, 1);
  }

  /** RFC 9293 3.10.7.4: whether a segment overlaps the receive window. */
  acceptable(seq: number, length: number): boolean {
    const startOk = seqGe(seq, this.rcvNxt) && seqDiff(seq, this.rcvNxt) < RECEIVE_WINDOW_BYTES;
    if (length === 0) return startOk;
    const last = seqAdd(seq, length - 1);
    return startOk || (seqGe(last, this.rcvNxt) && seqDiff(last, this.rcvNxt) < RECEIVE_WINDOW_BYTES);
  }

  /**
   * The new, in-order part of a payload (advancing rcvNxt), or undefined when the segment
   * starts past a hole (then a duplicate ACK is due to tell the guest where the hole is) or
   * reading is paused.
   */
  take(seq: number, payload: Uint8Array, now: number): Uint8Array | undefined {
    if (this.paused) {
      this.ackNow = true; // says "window zero" to a guest that sent into a window it had
      return undefined;
    }
    let data = payload;
    if (seqLt(seq, this.rcvNxt)) {
      data = data.subarray(seqDiff(this.rcvNxt, seq)); // partly old: keep the new part
      seq = this.rcvNxt;
    }
    if (seq !== this.rcvNxt) {
      this.ackNow = true;
      return undefined;
    }
    this.rcvNxt = seqAdd(this.rcvNxt, data.length);
    this.bytesReceived += data.length;
    this.sinceAck += data.length;
    // Quick ACKs while the connection is young, stretch ACKs after (see tcp-config.ts).
    const threshold = this.bytesReceived <= QUICK_ACK_BYTES ? ACK_EVERY_SEGMENTS * OUR_MSS : STRETCH_ACK_BYTES;
    if (this.sinceAck >= threshold) this.ackNow = true;
    else if (!this.ackDelayed) {
      this.ackDelayed = true;
      this.ackDeadline = now + (this.bytesReceived <= QUICK_ACK_BYTES ? 0 : DELAYED_ACK_MS);
    }
    return data;
  }

  /** A FIN that follows the data received so far: consumes its sequence number. */
  takeFin(seq: number, payloadLength: number): boolean {
    if (seqAdd(seq, payloadLength) !== this.rcvNxt) return false;
    this.rcvNxt = seqAdd(this.rcvNxt, 1);
    this.ackNow = true;
    return true;
  }

  tick(now: number): void {
    if (this.ackDelayed && now >= this.ackDeadline) this.ackNow = true;
  }

  /** A segment carrying the current ACK went out. */
  acknowledged(): void {
    this.ackNow = false;
    this.ackDelayed = false;
    this.sinceAck = 0;
  }

  /** For a snapshot; times relative to `now`. */
  saveState(now: number): TcpReceiverState {
    const { irs, rcvNxt, ackNow, sinceAck, bytesReceived } = this;
    return { irs, rcvNxt, ackNow, ackDueInMs: this.ackDelayed ? this.ackDeadline - now : null, sinceAck, bytesReceived };
  }

  static fromState(s: TcpReceiverState, now: number): TcpReceiver {
    const rx = new TcpReceiver(s.irs);
    rx.rcvNxt = s.rcvNxt;
    rx.ackNow = s.ackNow;
    rx.ackDelayed = s.ackDueInMs !== null;
    rx.ackDeadline = now + (s.ackDueInMs ?? 0);
    rx.sinceAck = s.sinceAck;
    rx.bytesReceived = s.bytesReceived;
    return rx;
  }
}
