// A connection's clocks: when to retransmit (RTO), when to probe for a lost tail (PTO),
// and when a closing connection is done (TIME_WAIT, FIN_WAIT_2). They say when; the
// connection decides what. Time is whatever the owner's tick() last said.
import { DELAYED_ACK_ALLOWANCE_MS, PTO_MIN_MS, RTO_INITIAL_MS } from "./tcp-config.js";
import type { TcpTimersState } from "./tcp-saved-state.js";
import { RetransmitTimeout } from "./tcp-rto.js";
import { seqDiff } from "./tcp-segment.js";
import type { TcpSender } from "./tcp-sender.js";

export type TimerEvent = "close" | "retransmit" | "probe";

export class TcpTimers {
  readonly rto = new RetransmitTimeout();
  private retransmitAt: number | undefined;
  /** At most one probe per stall: re-armed by ACK progress, restarted by every send. */
  private probeAt: number | undefined;
  private probeFired = false;
  /** TIME_WAIT's end, or the FIN_WAIT_2 limit. */
  private closeAt: number | undefined;

  /** New data was acknowledged: both timers start over (arm() re-arms them). */
  ackProgress(): void {
    this.retransmitAt = undefined;
    this.probeAt = undefined;
    this.probeFired = false;
  }

  /** A segment went out: the probe timeout restarts (RFC 8985 7.2). */
  segmentSent(): void {
    this.probeAt = undefined;
  }

  closeAfter(now: number, ms: number): void {
    this.retransmitAt = undefined;
    this.probeAt = undefined;
    this.closeAt = now + ms;
  }

  stop(): void {
    this.retransmitAt = undefined;
    this.probeAt = undefined;
    this.closeAt = undefined;
  }

  /**
   * Starts the timers the sender's state calls for and stops the others. `probing` is false
   * where a probe makes no sense (handshake, TIME_WAIT); `retransmitting` false in TIME_WAIT.
   */
  arm(tx: TcpSender, now: number, mss: number, retransmitting: boolean, probing: boolean): void {
    const inFlight = tx.sndMax !== tx.sndUna;
    // Data in flight, or data held back by a zero window (the persist timer is this one too).
    const waiting = inFlight || (tx.sndWnd === 0 && tx.unsentBytes() > 0);
    if (!waiting || !retransmitting) this.retransmitAt = undefined;
    else if (this.retransmitAt === undefined) this.retransmitAt = now + this.rto.ms;
    if (!inFlight || !probing || this.probeFired) this.probeAt = undefined;
    else if (this.probeAt === undefined) this.probeAt = now + this.probeTimeout(tx, mss);
  }

  /** Which timer, if any, has expired. The retransmission timer beats the probe. */
  due(now: number): TimerEvent | undefined {
    if (this.closeAt !== undefined && now >= this.closeAt) return "close";
    if (this.retransmitAt !== undefined && now >= this.retransmitAt) {
      this.rto.backoffs++;
      this.retransmitAt = now + this.rto.ms;
      return "retransmit";
    }
    if (this.probeAt !== undefined && now >= this.probeAt) {
      this.probeAt = undefined;
      this.probeFired = true;
      return "probe";
    }
    return undefined;
  }

  /** For a snapshot; deadlines relative to `now`. */
  saveState(now: number): TcpTimersState {
    const relative = (at: number | undefined): number | null => (at === undefined ? null : at - now);
    return {
      ...this.rto.saveState(),
      retransmitInMs: relative(this.retransmitAt),
      probeInMs: relative(this.probeAt),
      probeFired: this.probeFired,
      closeInMs: relative(this.closeAt),
    };
  }

  static fromState(s: TcpTimersState, now: number): TcpTimers {
    const timers = new TcpTimers();
    const absolute = (offset: number | null): number | undefined => (offset === null ? undefined : now + offset);
    timers.rto.restoreState(s);
    timers.retransmitAt = absolute(s.retransmitInMs);
    timers.probeAt = absolute(s.probeInMs);
    timers.probeFired = s.probeFired;
    timers.closeAt = absolute(s.closeInMs);
    return timers;
  }

  /** max(2 SRTT, PTO_MIN_MS), plus room for a delayed ACK when little is in flight. */
  private probeTimeout(tx: TcpSender, mss: number): number {
    const srtt = this.rto.smoothedRttMs ?? RTO_INITIAL_MS;
    const little = seqDiff(tx.sndMax, tx.sndUna) < 2 * mss;
    return Math.max(2 * srtt, PTO_MIN_MS) + (little ? DELAYED_ACK_ALLOWANCE_MS : 0);
  }
}
