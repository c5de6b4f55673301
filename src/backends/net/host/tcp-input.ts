// What a segment from the guest does to one connection: the end of the handshake, the checks
// of RFC 9293 3.10.7.4 and RFC 5961 (blind reset, SYN and ACK injection), acknowledgements
// (window updates, duplicate ACKs, the states a FIN's acknowledgement leads to) and data for
// the service. The connection (tcp-connection.ts) owns the state and the service's handler;
// this file decides, and calls back through SegmentOwner.
//
// RFC 5961 in short: a RST ends the connection only at exactly the next expected sequence
// number; elsewhere in the window it gets a challenge ACK (a guest whose RST was real answers
// it with a RST at the right number). A SYN on a synchronized connection, and an ACK for data
// never sent or far older than anything unacknowledged, also get a challenge ACK and are
// otherwise dropped. Challenge ACKs are rate-limited over the whole stack.
import type { StreamHandler } from "../stream-service.js";
import { STREAM_LOW_WATER_BYTES } from "../stream-service.js";
import { connectionCap } from "./send-budget.js";
import * as cfg from "./tcp-config.js";
import type { TcpContext, TcpState } from "./tcp-environment.js";
import { onTailLossRevealed } from "./tcp-loss-recovery.js";
import type { TcpOutput } from "./tcp-output.js";
import type { TcpReceiver } from "./tcp-receiver.js";
import type { TcpSegment } from "./tcp-segment.js";
import { seqAdd, seqGt, seqLt, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from "./tcp-segment.js";
import type { TcpSender } from "./tcp-sender.js";
import type { TcpTimers } from "./tcp-timers.js";

/** What segment handling may do to the connection it belongs to. */
export interface SegmentOwner {
  state(): TcpState;
  setState(state: TcpState): void;
  closed(): boolean;
  /** The handshake completed: the service gets its handler (which may abort at once). */
  accept(): void;
  /** Calls the handler, unless it heard onClose; a handler that throws aborts the connection. */
  callHandler(call: (handler: StreamHandler) => void): void;
  /** The guest showed it is there and using the connection (against the idle timeout). */
  heard(): void;
  enterTimeWait(): void;
  /** The connection ends for good (the handler hears onClose). */
  finish(): void;
}

export class TcpInput {
  constructor(
    private readonly env: TcpContext,
    private readonly rx: TcpReceiver,
    private readonly tx: TcpSender,
    private readonly timers: TcpTimers,
    private readonly out: TcpOutput,
    private readonly owner: SegmentOwner,
  ) {}

  handle(seg: TcpSegment): void {
    const owner = this.owner;
    if (owner.state() === "SYN_RECEIVED" && !this.handshake(seg)) return;
    if (owner.closed()) return;
    if ((seg.flags & TCP_RST) !== 0) return this.reset(seg);
    if ((seg.flags & TCP_SYN) !== 0) return this.challenge(); // RFC 5961 4.2, whatever its sequence number
    const fin = (seg.flags & TCP_FIN) !== 0;
    if (!this.rx.acceptable(seg.seq, seg.payload.length + (fin ? 1 : 0))) {
      // Old duplicates (a retransmitted FIN in TIME_WAIT among them) get a fresh ACK.
      this.rx.ackNow = true;
      this.env.counters.dropped["tcp-unacceptable"]++;
      return;
    }
    if ((seg.flags & TCP_ACK) === 0) return; // RFC 9293: a synchronized connection drops it
    if (!this.ackAcceptable(seg.ack)) return;
    if (!this.onlyAnswersProbe(seg)) owner.heard();
    this.timers.rto.backoffs = 0; // the guest is alive
    if (!this.processAck(seg)) return;
    this.processPayload(seg);
  }

  /** SYN_RECEIVED: true when the segment completed the handshake and should be processed on. */
  private handshake(seg: TcpSegment): boolean {
    const { rx, tx, owner } = this;
    if ((seg.flags & TCP_RST) !== 0) {
      if (seg.seq === rx.rcvNxt) owner.finish();
      return false;
    }
    if ((seg.flags & TCP_SYN) !== 0) {
      if (seg.seq === rx.irs) tx.sndNxt = tx.iss; // our SYN-ACK was lost: again
      return false;
    }
    if ((seg.flags & TCP_ACK) === 0) return false;
    if (seg.ack !== seqAdd(tx.iss, 1)) {
      this.env.counters.dropped["tcp-unacceptable"]++;
      this.out.reset(seg.ack, 0, TCP_RST);
      return false;
    }
    owner.setState("ESTABLISHED");
    this.onAckProgress(seg.ack);
    tx.updateWindow(seg.seq, seg.ack, seg.window);
    owner.heard();
    owner.accept();
    return !owner.closed();
  }

  /** RFC 5961 3.2: only a RST at exactly the next expected byte is believed. */
  private reset(seg: TcpSegment): void {
    if (seg.seq === this.rx.rcvNxt) {
      this.env.counters.tcp.resetsReceived++;
      this.owner.finish();
      return;
    }
    this.env.counters.dropped["tcp-unacceptable"]++;
    if (this.rx.acceptable(seg.seq, 0)) this.challenge(); // in the window: maybe forged, so ask
  }

  /** RFC 5961 5.2: an ACK must lie within (SND.UNA - MAX.SND.WND, SND.NXT]. */
  private ackAcceptable(ack: number): boolean {
    const tx = this.tx;
    if (!seqGt(ack, tx.sndMax) && !seqLt(ack, seqAdd(tx.sndUna, -tx.largestWindow))) return true;
    this.env.counters.dropped["tcp-unacceptable"]++;
    this.challenge();
    return false;
  }

  /** An ACK at our current state, rate-limited over the stack (RFC 5961 7). */
  private challenge(): void {
    const counters = this.env.counters.tcp;
    if (!this.env.challengeAckAllowed()) {
      counters.challengeAcksLimited++;
      return;
    }
    counters.challengeAcks++;
    this.rx.ackNow = true;
  }

  /**
   * A bare ACK that only tells us again that the window is zero while our data waits: the
   * answer to a zero-window probe. A guest that sends nothing else holds our memory without
   * reading, so it does not count against the idle timeout.
   */
  private onlyAnswersProbe(seg: TcpSegment): boolean {
    const tx = this.tx;
    return seg.window === 0 && seg.payload.length === 0 && (seg.flags & TCP_FIN) === 0 && seg.ack === tx.sndUna && tx.unsentBytes() > 0;
  }

  /** New data acknowledged: RTT, spurious-resend undo, and both timers restart. */
  private onAckProgress(ack: number): void {
    const { rtt, spurious } = this.tx.acknowledge(ack, this.env.now());
    if (rtt !== undefined) this.timers.rto.sample(rtt);
    if (spurious) this.env.counters.tcp.spuriousRetransmits++;
    this.timers.ackProgress();
  }

  /** False when the connection ended or the segment must go no further. */
  private processAck(seg: TcpSegment): boolean {
    const { tx, owner } = this;
    const windowChanged = tx.updateWindow(seg.seq, seg.ack, seg.window);
    if (seqGt(seg.ack, tx.sndUna)) {
      const before = tx.buffer.length;
      this.onAckProgress(seg.ack);
      // The producer is woken below the low-water mark, or below half of what a bulk
      // connection may hold (so a download keeps the guest's window full).
      const lowWater = Math.max(STREAM_LOW_WATER_BYTES, connectionCap(this.env.budget.limits.perConnection, tx.bulkWindow) / 2);
      if (tx.buffer.length < before && tx.buffer.length < lowWater && !tx.finQueued) {
        owner.callHandler((h) => h.onWritable?.());
        if (owner.closed()) return false;
      }
    } else if (seg.ack === tx.sndUna && seg.payload.length === 0 && (seg.flags & TCP_FIN) === 0 && !windowChanged) {
      const mss = this.out.limits().mss;
      const verdict = tx.duplicateAck(mss);
      if (verdict === "fast") this.env.counters.tcp.fastRetransmits++;
      else if (verdict === "tail-loss") onTailLossRevealed(tx, this.env.counters.tcp, mss);
    }
    if (tx.finAcknowledged()) {
      const state = owner.state();
      if (state === "FIN_WAIT_1") {
        owner.setState("FIN_WAIT_2");
        this.timers.closeAfter(this.env.now(), cfg.FIN_WAIT_2_TIMEOUT_MS);
      } else if (state === "CLOSING") {
        owner.enterTimeWait();
      } else if (state === "LAST_ACK") {
        owner.finish();
        return false;
      }
    }
    return true;
  }

  private processPayload(seg: TcpSegment): void {
    const { rx, owner } = this;
    const state = owner.state();
    const receiving = state === "ESTABLISHED" || state === "FIN_WAIT_1" || state === "FIN_WAIT_2";
    if (seg.payload.length > 0) {
      if (!receiving) {
        rx.ackNow = true; // data after the guest's own FIN: nonsense, but say where we are
        return;
      }
      const data = rx.take(seg.seq, seg.payload, this.env.now());
      if (data === undefined) {
        this.env.counters.dropped[rx.paused ? "tcp-receive-paused" : "tcp-out-of-order"]++;
        return;
      }
      this.env.counters.tcp.bytesIn += data.length;
      owner.callHandler((h) => h.onData(data));
      if (owner.closed()) return;
    }
    if ((seg.flags & TCP_FIN) !== 0 && receiving && rx.takeFin(seg.seq, seg.payload.length)) {
      const current = owner.state(); // the handler may have ended its side while taking the data
      const bothClosed = current === "FIN_WAIT_2";
      if (current === "ESTABLISHED") owner.setState("CLOSE_WAIT");
      else if (current === "FIN_WAIT_1") owner.setState("CLOSING");
      // onEnd before onClose, so the service hears the end of the stream first.
      owner.callHandler((h) => h.onEnd());
      if (owner.closed()) return;
      if (bothClosed) owner.enterTimeWait();
    }
  }
}
