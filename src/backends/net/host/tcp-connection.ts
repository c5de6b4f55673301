// One TCP connection (the guest's, or one the host opened: tcp-active-open.ts) as a
// StreamConnection for a service. Segments for the guest are never queued: nextFrame()
// builds the next one when the device pulls, so the guest-bound queue is bounded by
// construction and a late ACK carries the latest state. The parts: tcp-input.ts (segments
// from the guest), tcp-output.ts, tcp-receiver.ts, tcp-sender.ts, tcp-timers.ts and
// tcp-service-link.ts (the handler); this file holds the state and the connection's life.
// Memory: written bytes wait in the send buffer, counted against the stack's SendBudget
// from attach(); writableBytes tells services how much more they may write.
import type { NetFrame } from "../net-backend.js";
import type { StreamConnection, StreamHandler, StreamService } from "../stream-service.js";
import { formatIpv4 } from "./addresses.js";
import type { TcpConnectionParts } from "./tcp-connection-parts.js";
import type { TcpConnectionState } from "./tcp-saved-state.js";
import { savePeer } from "./tcp-saved-state.js";
import type { TcpConnectionInfo, TcpEnvironment, TcpPeer, TcpState } from "./tcp-environment.js";
import * as cfg from "./tcp-config.js";
import type { TcpSegment } from "./tcp-segment.js";
import { seqDiff, TCP_ACK, TCP_RST } from "./tcp-segment.js";
import { TcpInput } from "./tcp-input.js";
import { onTimer } from "./tcp-loss-recovery.js";
import { TcpOutput } from "./tcp-output.js";
import type { TcpReceiver } from "./tcp-receiver.js";
import type { TcpSender } from "./tcp-sender.js";
import { ServiceLink } from "./tcp-service-link.js";
import type { TcpTimers } from "./tcp-timers.js";

/** A connection coming back from a snapshot: where it was, and how to re-create its handler. */
export interface ResumedConnection {
  state: TcpState;
  closeNotified: boolean;
  handler: ((connection: TcpConnection) => StreamHandler) | undefined;
  lastHeard: number;
}

export class TcpConnection implements StreamConnection {
  state: TcpState = "SYN_RECEIVED";
  /** When the guest last sent a segment that counts as using the connection (tcp-input.ts). */
  lastHeard: number;
  private readonly link: ServiceLink;
  private readonly rx: TcpReceiver;
  private readonly tx: TcpSender;
  private readonly out: TcpOutput;
  private readonly input: TcpInput;
  private readonly timers: TcpTimers;
  private readonly ourShift: number;

  constructor(
    private readonly env: TcpEnvironment<TcpConnection>,
    readonly peer: TcpPeer,
    readonly localPort: number,
    private readonly service: StreamService,
    parts: TcpConnectionParts,
    resumed?: ResumedConnection,
    /** The address the guest dialed: the router's, or one in the world (outbound.ts). */
    readonly localIp: number = env.addresses.routerIp,
  ) {
    ({ rx: this.rx, tx: this.tx, timers: this.timers, ourShift: this.ourShift } = parts);
    this.out = new TcpOutput(env, peer, localIp, localPort, this.tx, this.rx, this.ourShift, () => this.sent());
    this.input = new TcpInput(env, this.rx, this.tx, this.timers, this.out, {
      state: () => this.state,
      setState: (state) => void (this.state = state),
      closed: () => this.closed,
      accept: () => this.accept(),
      callHandler: (call) => this.callHandler(call),
      heard: () => void (this.lastHeard = this.env.now()),
      enterTimeWait: () => this.enterTimeWait(),
      finish: () => this.finish(),
    });
    this.lastHeard = resumed?.lastHeard ?? env.now();
    this.link = new ServiceLink(env.counters.tcp, resumed?.closeNotified);
    if (resumed !== undefined) {
      this.state = resumed.state;
      if (resumed.handler !== undefined) this.link.adopt(resumed.handler(this)); // a restore() that throws fails the restore
    }
  }

  /** The connection joined the stack's table: its send buffer counts against the budget from now on. */
  attach(): void {
    this.tx.buffer.attach(this.env.budget);
  }

  // ---- StreamConnection (the service's side) ----

  write(bytes: Uint8Array): void {
    if (!this.open) return;
    this.tx.buffer.push(bytes);
    this.changed();
  }

  get bufferedAmount(): number {
    return this.tx.buffer.length;
  }

  get writableBytes(): number {
    return this.open ? this.env.budget.room(this.tx.buffer.length, this.tx.bulkWindow) : 0;
  }

  end(): void {
    if (!this.open) return;
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

  sendInBulk(): void { this.tx.bulk = true; }

  pauseReading(): void {
    // The next segment we send says "window zero"; no segment is sent for it alone, so
    // pausing from inside restore() changes nothing outside the connection.
    this.rx.paused = true;
  }

  resumeReading(): void {
    if (!this.rx.paused) return;
    this.rx.paused = false;
    this.rx.ackNow = true; // a window update: the guest sends again
    this.changed();
  }

  // ---- Segments from the guest (tcp-input.ts) ----

  handleSegment(seg: TcpSegment): void {
    this.input.handle(seg);
    this.changed();
  }

  // ---- Time ----

  tick(now: number): void {
    if (this.state === "CLOSED") return;
    if (this.idleFor(now) >= this.env.idleTimeoutMs) {
      this.env.counters.tcp.idleTimeouts++;
      this.abort(); // the guest learns, if it is still there
      return;
    }
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
      if (onTimer(event, this.tx, this.timers, this.env.counters.tcp, this.mss(), handshaking) === "give-up") {
        if (handshaking) this.forget(); // no RST for a SYN nobody followed up (maybe forged)
        else this.abort();
      }
    }
    // Only news makes the device look again: ticks come every millisecond.
    if (ackDue || event !== undefined) this.changed();
  }

  /**
   * How long the guest has been silent on an established connection with nothing of ours in
   * flight (the retransmission timer watches anything in flight); 0 in the handshake and
   * TIME_WAIT, which have timers of their own.
   */
  idleFor(now: number): number {
    if (this.state === "SYN_RECEIVED" || this.state === "TIME_WAIT" || this.state === "CLOSED") return 0;
    if (this.tx.sndMax !== this.tx.sndUna) return 0;
    return now - this.lastHeard;
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
  private get closed(): boolean { return this.state === "CLOSED"; }

  /** The service may still write and end. */
  private get open(): boolean {
    return !this.tx.finQueued && this.state !== "CLOSED" && this.state !== "TIME_WAIT";
  }

  private mss(): number { return this.out.limits().mss; }

  /** The handshake completed: the service takes the connection (a service that throws loses it). */
  private accept(): void {
    this.env.counters.tcp.connectionsAccepted++;
    if (!this.link.open(() => this.service(this))) this.abort();
  }

  private callHandler(call: (handler: StreamHandler) => void): void {
    if (!this.link.call(call)) this.abort();
  }

  private enterTimeWait(): void {
    this.state = "TIME_WAIT";
    this.timers.closeAfter(this.env.now(), cfg.TIME_WAIT_MS);
    this.link.close();
  }

  /**
   * Ends the connection without a word to the guest: its driver is gone (guestReset), or it
   * is a half-open connection shed for a newer SYN.
   */
  forget(): void {
    this.finish();
  }

  /** Ends the connection for good: the service hears onClose (once), memory goes back, the stack forgets it. */
  private finish(): void {
    if (this.state === "CLOSED") return;
    this.state = "CLOSED";
    this.timers.stop();
    this.link.close();
    this.tx.buffer.release();
    this.env.removed(this);
  }

  // ---- Snapshots (tcp-saved-state.ts, tcp-connection-state.ts) ----

  /** Everything about the connection as plain data; throws if its handler cannot save itself. */
  saveState(now: number): TcpConnectionState {
    if (this.state === "CLOSED") throw new Error("a closed connection has no state to save");
    const service = this.link.save(() => `from ${formatIpv4(this.peer.ip)}:${this.peer.port} to port ${this.localPort}`);
    return {
      peer: savePeer(this.peer),
      localPort: this.localPort,
      state: this.state,
      closeNotified: this.link.closeNotified,
      ourShift: this.ourShift,
      receiver: this.rx.saveState(now),
      sender: this.tx.saveState(now),
      timers: this.timers.saveState(now),
      service,
      lastHeardInMs: this.lastHeard - now,
    };
  }

  /** The host's own open completed (tcp-active-open.ts, which readied the parts): the handler is made. */
  openedByHost(): void {
    this.accept();
    this.changed();
  }

  /** After a restore, once the whole network is back: the handler restarts its own work. */
  resume(): void {
    this.callHandler((h) => h.resume?.());
  }

  info(): TcpConnectionInfo {
    const tx = this.tx;
    return {
      peer: `${formatIpv4(this.peer.ip)}:${this.peer.port}`,
      localIp: formatIpv4(this.localIp),
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
      idleMs: this.idleFor(this.env.now()),
      readingPaused: this.rx.paused,
    };
  }
}
