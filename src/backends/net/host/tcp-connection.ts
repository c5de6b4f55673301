// One TCP connection accepted by the host (passive open only), as a StreamConnection for
// a service. Segments for the guest are never queued: nextFrame() builds the next one when
// the device pulls, from the send buffer and the current window, so the guest-bound queue
// is bounded by construction and an ACK generated late carries the latest state.
//
// Receive side (tcp-receiver.ts): in-order data goes straight to the service; out-of-order
// data is dropped and re-ACKed. Send side (tcp-sender.ts): flow control by the guest's
// (scaled) window and a Reno-style congestion window, which matters only when a NIC drops
// frames; loss recovery by fast retransmit (NewReno), tail loss probes, and go-back-N on
// a retransmission timeout. Timers: tcp-timers.ts.
import type { NetFrame } from "../net-backend.js";
import type { StreamConnection, StreamHandler, StreamService } from "../stream-service.js";
import { STREAM_LOW_WATER_BYTES } from "../stream-service.js";
import { formatIpv4 } from "./addresses.js";
import type { TcpConnectionState } from "./tcp-connection-state.js";
import { savePeer } from "./tcp-connection-state.js";
import type { TcpConnectionInfo, TcpEnvironment, TcpPeer, TcpState } from "./tcp-environment.js";
import * as cfg from "./tcp-config.js";
import type { TcpSegment } from "./tcp-segment.js";
import { seqAdd, seqDiff, seqGt } from "./tcp-segment.js";
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from "./tcp-segment.js";
import { onTailLossRevealed, onTimer } from "./tcp-loss-recovery.js";
import { TcpOutput } from "./tcp-output.js";
import type { TcpReceiver } from "./tcp-receiver.js";
import type { TcpSender } from "./tcp-sender.js";
import type { TcpTimers } from "./tcp-timers.js";

/** What a connection is made of: opened by a guest's SYN (partsFromSyn), or restored. */
export interface TcpConnectionParts {
  rx: TcpReceiver;
  tx: TcpSender;
  timers: TcpTimers;
  /** Our window scale: 0 when the guest offered none. */
  ourShift: number;
}

export class TcpConnection implements StreamConnection {
  state: TcpState = "SYN_RECEIVED";
  private handler: StreamHandler | undefined;
  private closeNotified = false;
  private readonly rx: TcpReceiver;
  private readonly tx: TcpSender;
  private readonly out: TcpOutput;
  private readonly timers: TcpTimers;
  private readonly ourShift: number;

  constructor(
    private readonly env: TcpEnvironment,
    readonly peer: TcpPeer,
    readonly localPort: number,
    private readonly service: StreamService,
    parts: TcpConnectionParts,
    /** A connection coming back from a snapshot: where it was, and how to re-create its handler. */
    resumed?: { state: TcpState; closeNotified: boolean; handler: ((connection: TcpConnection) => StreamHandler) | undefined },
  ) {
    ({ rx: this.rx, tx: this.tx, timers: this.timers, ourShift: this.ourShift } = parts);
    this.out = new TcpOutput(env, peer, localPort, this.tx, this.rx, this.ourShift, () => this.sent());
    if (resumed !== undefined) {
      this.state = resumed.state;
      this.closeNotified = resumed.closeNotified;
      this.handler = resumed.handler?.(this);
    }
  }

  // ---- StreamConnection (the service's side) ----

  write(bytes: Uint8Array): void {
    if (this.tx.finQueued || this.state === "CLOSED" || this.state === "TIME_WAIT") return;
    this.tx.buffer.push(bytes);
    this.changed();
  }

  get bufferedAmount(): number {
    return this.tx.buffer.length;
  }

  end(): void {
    if (this.tx.finQueued || this.state === "CLOSED" || this.state === "TIME_WAIT") return;
    this.tx.finQueued = true;
    if (this.state === "ESTABLISHED") this.state = "FIN_WAIT_1";
    else if (this.state === "CLOSE_WAIT") this.state = "LAST_ACK";
    this.changed();
  }

  abort(): void {
    if (this.state === "CLOSED") return;
    if (this.state !== "TIME_WAIT") this.out.reset(this.tx.sndNxt, this.rx.rcvNxt, TCP_RST | TCP_ACK);
    this.finish();
  }

  // ---- Segments from the guest ----

  handleSegment(seg: TcpSegment): void {
    if (this.state === "SYN_RECEIVED" && !this.handleHandshake(seg)) {
      this.changed();
      return;
    }
    if (this.state === "CLOSED") return;
    const fin = (seg.flags & TCP_FIN) !== 0;
    if (!this.rx.acceptable(seg.seq, seg.payload.length + (fin ? 1 : 0))) {
      // Old duplicates (a retransmitted FIN in TIME_WAIT among them) get a fresh ACK.
      if ((seg.flags & TCP_RST) === 0) this.rx.ackNow = true;
      this.env.counters.dropped["tcp-unacceptable"]++;
    } else if ((seg.flags & TCP_RST) !== 0) {
      this.env.counters.tcp.resetsReceived++;
      this.finish();
      return;
    } else if ((seg.flags & TCP_SYN) !== 0) {
      this.rx.ackNow = true; // a SYN inside a live connection: challenge ACK (RFC 5961)
    } else if ((seg.flags & TCP_ACK) !== 0) {
      this.timers.rto.backoffs = 0; // the guest is alive
      if (!this.processAck(seg)) return;
      if (!this.processPayload(seg)) return;
    }
    this.changed();
  }

  /** SYN_RECEIVED: true when the segment completed the handshake and should be processed on. */
  private handleHandshake(seg: TcpSegment): boolean {
    if ((seg.flags & TCP_RST) !== 0) {
      if (seg.seq === this.rx.rcvNxt) this.finish();
      return false;
    }
    if ((seg.flags & TCP_SYN) !== 0) {
      if (seg.seq === this.rx.irs) this.tx.sndNxt = this.tx.iss; // our SYN-ACK was lost: again
      return false;
    }
    if ((seg.flags & TCP_ACK) === 0) return false;
    if (seg.ack !== seqAdd(this.tx.iss, 1)) {
      this.env.counters.dropped["tcp-unacceptable"]++;
      this.out.reset(seg.ack, 0, TCP_RST);
      return false;
    }
    this.state = "ESTABLISHED";
    this.onAckProgress(seg.ack);
    this.tx.updateWindow(seg.seq, seg.ack, seg.window);
    this.env.counters.tcp.connectionsAccepted++;
    try {
      this.handler = this.service(this);
    } catch {
      this.env.counters.tcp.serviceErrors++;
      this.abort();
    }
    return !this.closed;
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
    const tx = this.tx;
    if (seqGt(seg.ack, tx.sndMax)) {
      this.rx.ackNow = true; // acknowledges something never sent
      this.env.counters.dropped["tcp-unacceptable"]++;
      return false;
    }
    const windowChanged = tx.updateWindow(seg.seq, seg.ack, seg.window);
    if (seqGt(seg.ack, tx.sndUna)) {
      const before = tx.buffer.length;
      this.onAckProgress(seg.ack);
      if (tx.buffer.length < before && tx.buffer.length < STREAM_LOW_WATER_BYTES && !tx.finQueued) {
        this.callHandler((h) => h.onWritable?.());
        if (this.closed) return false;
      }
    } else if (seg.ack === tx.sndUna && seg.payload.length === 0 && (seg.flags & TCP_FIN) === 0 && !windowChanged) {
      const verdict = tx.duplicateAck(this.mss());
      if (verdict === "fast") this.env.counters.tcp.fastRetransmits++;
      else if (verdict === "tail-loss") onTailLossRevealed(tx, this.env.counters.tcp, this.mss());
    }
    if (tx.finAcknowledged()) {
      if (this.state === "FIN_WAIT_1") {
        this.state = "FIN_WAIT_2";
        this.timers.closeAfter(this.env.now(), cfg.FIN_WAIT_2_TIMEOUT_MS);
      } else if (this.state === "CLOSING") {
        this.enterTimeWait();
      } else if (this.state === "LAST_ACK") {
        this.finish();
        return false;
      }
    }
    return true;
  }

  private processPayload(seg: TcpSegment): boolean {
    const receiving = this.state === "ESTABLISHED" || this.state === "FIN_WAIT_1" || this.state === "FIN_WAIT_2";
    if (seg.payload.length > 0) {
      if (!receiving) {
        this.rx.ackNow = true; // data after the guest's own FIN: nonsense, but say where we are
        return true;
      }
      const data = this.rx.take(seg.seq, seg.payload, this.env.now());
      if (data === undefined) {
        this.env.counters.dropped["tcp-out-of-order"]++;
        return true;
      }
      this.env.counters.tcp.bytesIn += data.length;
      this.callHandler((h) => h.onData(data));
      if (this.closed) return false;
    }
    if ((seg.flags & TCP_FIN) !== 0 && receiving && this.rx.takeFin(seg.seq, seg.payload.length)) {
      const bothClosed = this.state === "FIN_WAIT_2";
      if (this.state === "ESTABLISHED") this.state = "CLOSE_WAIT";
      else if (this.state === "FIN_WAIT_1") this.state = "CLOSING";
      // onEnd before onClose, so the service hears the end of the stream first.
      this.callHandler((h) => h.onEnd());
      if (this.closed) return false;
      if (bothClosed) this.enterTimeWait();
    }
    return true;
  }

  // ---- Time ----

  tick(now: number): void {
    if (this.state === "CLOSED") return;
    const wasDue = this.rx.ackNow;
    this.rx.tick(now);
    const ackDue = this.rx.ackNow && !wasDue;
    const event = this.timers.due(now);
    if (event === "close") {
      this.finish(); // TIME_WAIT over, or the guest never sent its FIN
      return;
    }
    if (event === "retransmit" || event === "probe") {
      const handshaking = this.state === "SYN_RECEIVED";
      if (onTimer(event, this.tx, this.timers, this.env.counters.tcp, this.mss(), handshaking) === "give-up") this.abort();
    }
    // Only news makes the device look again: ticks come every millisecond.
    if (ackDue || event !== undefined) this.changed();
  }

  private armTimers(): void {
    const established = this.state !== "SYN_RECEIVED" && this.state !== "TIME_WAIT";
    this.timers.arm(this.tx, this.env.now(), this.mss(), this.state !== "TIME_WAIT", established);
  }

  /** Re-arms the timer if needed and tells the stack when there is something to send. */
  private changed(): void {
    if (this.state === "CLOSED") return;
    this.armTimers();
    if (this.hasOutput()) this.env.ready(this);
  }

  // ---- Segments for the guest ----

  hasOutput(): boolean {
    return !this.closed && this.out.hasOutput(this.state);
  }

  /** The next segment for the guest, or undefined when there is nothing to send now. */
  nextFrame(): NetFrame | undefined {
    return this.out.next(this.state);
  }

  /** Bookkeeping common to every segment we send: it carries the latest ACK. */
  private sent(): void {
    this.rx.acknowledged();
    this.timers.segmentSent();
    this.armTimers();
  }

  // ---- Helpers ----

  /** A getter so checks after a callback (which may have aborted) are not narrowed away. */
  private get closed(): boolean {
    return this.state === "CLOSED";
  }

  private mss(): number {
    return this.out.limits().mss;
  }

  private callHandler(call: (handler: StreamHandler) => void): void {
    const handler = this.handler;
    if (handler === undefined || this.closeNotified) return;
    try {
      call(handler);
    } catch {
      this.env.counters.tcp.serviceErrors++;
      this.abort();
    }
  }

  private enterTimeWait(): void {
    this.state = "TIME_WAIT";
    this.timers.closeAfter(this.env.now(), cfg.TIME_WAIT_MS);
    this.notifyClosed();
  }

  /** Ends the connection for good: the service hears onClose (once) and the stack forgets it. */
  private finish(): void {
    if (this.state === "CLOSED") return;
    this.state = "CLOSED";
    this.timers.stop();
    this.notifyClosed();
    this.env.removed(this);
  }

  private notifyClosed(): void {
    if (this.closeNotified || this.handler === undefined) return;
    this.env.counters.tcp.connectionsClosed++;
    const handler = this.handler;
    this.closeNotified = true;
    try {
      handler.onClose?.();
    } catch {
      this.env.counters.tcp.serviceErrors++;
    }
  }

  // ---- Snapshots (tcp-connection-state.ts) ----

  /** Everything about the connection as plain data; throws if its handler cannot save itself. */
  saveState(now: number): TcpConnectionState {
    if (this.state === "CLOSED") throw new Error("a closed connection has no state to save");
    const handler = this.closeNotified ? undefined : this.handler;
    if (handler !== undefined && handler.saveState === undefined) {
      throw new Error(`host network: cannot save the connection from ${formatIpv4(this.peer.ip)}:${this.peer.port} to port ${this.localPort}: its service's handler has no saveState()`);
    }
    return {
      peer: savePeer(this.peer),
      localPort: this.localPort,
      state: this.state,
      closeNotified: this.closeNotified,
      ourShift: this.ourShift,
      receiver: this.rx.saveState(now),
      sender: this.tx.saveState(now),
      timers: this.timers.saveState(now),
      service: handler?.saveState?.() ?? null,
    };
  }

  /** After a restore, once the whole network is back: the handler restarts its own work. */
  resume(): void {
    this.callHandler((h) => h.resume?.());
  }

  info(): TcpConnectionInfo {
    const tx = this.tx;
    return {
      peer: `${formatIpv4(this.peer.ip)}:${this.peer.port}`,
      localPort: this.localPort,
      state: this.state,
      bytesReceived: this.rx.bytesReceived,
      bytesSent: tx.bytesSent,
      bufferedAmount: tx.buffer.length,
      sendWindow: tx.sndWnd,
      congestionWindow: tx.cwnd,
      inFlight: seqDiff(tx.sndMax, tx.sndUna),
      rtoMs: this.timers.rto.ms,
      smoothedRttMs: this.timers.rto.smoothedRttMs,
    };
  }
}
