// The send half of a connection: sequence numbers, the guest's window, the congestion
// window, loss recovery (fast retransmit, tail loss probes, go-back-N) and the RTT sample.
// Pure bookkeeping: tcp-output.ts decides what each segment carries and builds it, the
// connection runs the timers.
//
// Sequence space: our SYN is `iss`; data byte k of the stream is iss + 1 + k; the FIN
// follows the last byte written. The buffer holds the data from `bufferSeq` (the first
// unacknowledged byte) to the last byte written.
import { SendBuffer } from "./send-buffer.js";
import type { TcpSenderState } from "./tcp-saved-state.js";
import { INITIAL_CWND_SEGMENTS, MAX_CWND_BYTES, OUR_MSS } from "./tcp-config.js";
import { seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt } from "./tcp-segment.js";

export class TcpSender {
  readonly buffer = new SendBuffer();
  sndUna: number;
  sndNxt: number;
  /** One past the highest sequence number ever sent (sndNxt goes back on timeouts). */
  sndMax: number;
  /** The guest's window in bytes, scaled. */
  sndWnd: number;
  private wl1: number;
  private wl2: number;
  bufferSeq: number;
  finQueued = false;
  cwnd: number;
  private ssthresh = Number.MAX_SAFE_INTEGER;
  /** In fast recovery until this sequence number is acknowledged (NewReno). */
  private recover: number | undefined;
  /**
   * After a go-back-N, duplicate ACKs below this point are the guest's answers to our own
   * resends, not news of a loss: no fast retransmit until it is acknowledged (RFC 6582 4.2).
   */
  private goBackHigh: number | undefined;
  private dupAcks = 0;
  /** Send one segment at sndUna before anything else. */
  fastRetransmitPending = false;
  /** Send a zero-window probe. */
  windowProbePending = false;
  /** Send a tail loss probe. */
  tailProbePending = false;
  /** A tail loss probe is out: the sequence number that was highest when it was sent. */
  private tailProbeHigh: number | undefined;
  /** RTT measurement: the ACK that completes it and when its segment left (Karn: first sends only). */
  private timedSeq: number | undefined;
  private timedAt = 0;
  /** How to undo the last go-back-N if it proves spurious, until `until` is acknowledged. */
  private undo: { cwnd: number; ssthresh: number; until: number } | undefined;
  bytesSent = 0;
  /** The service streams a large body (StreamConnection.sendInBulk): the buffer may grow to the guest's window. */
  bulk = false;
  private readonly congestionMss: number;

  constructor(
    readonly iss: number,
    readonly peerMss: number,
    private readonly peerShift: number,
    synWindow: number,
    irs: number,
  ) {
    this.sndUna = this.sndNxt = this.sndMax = iss;
    this.bufferSeq = seqAdd(iss, 1);
    this.sndWnd = synWindow; // a SYN's window is never scaled
    this.wl1 = irs;
    this.wl2 = iss;
    this.congestionMss = Math.min(peerMss, OUR_MSS);
    this.cwnd = INITIAL_CWND_SEGMENTS * this.congestionMss;
  }

  /** The window update rule (RFC 9293 3.10.7.4); returns whether the window changed. */
  updateWindow(seq: number, ack: number, rawWindow: number): boolean {
    if (seqLt(ack, this.sndUna)) return false;
    if (!(seqLt(this.wl1, seq) || (this.wl1 === seq && seqLe(this.wl2, ack)))) return false;
    const window = rawWindow * 2 ** this.peerShift;
    const changed = window !== this.sndWnd;
    this.sndWnd = window;
    this.wl1 = seq;
    this.wl2 = ack;
    return changed;
  }

  /**
   * A cumulative ACK with sndUna < ack <= sndMax. Returns an RTT sample when one completed,
   * and whether it showed the last go-back-N to be unneeded (`spurious`).
   */
  acknowledge(ack: number, now: number): { rtt: number | undefined; spurious: boolean } {
    const acked = seqDiff(ack, this.sndUna);
    const dataAcked = Math.max(0, Math.min(seqDiff(ack, this.bufferSeq), this.buffer.length));
    if (dataAcked > 0) {
      this.buffer.consume(dataAcked);
      this.bufferSeq = seqAdd(this.bufferSeq, dataAcked);
    }
    this.sndUna = ack;
    // After a timeout's go-back-N, an ACK past what we have resent means the originals
    // arrived: the timeout was (most likely) spurious, so the congestion window goes back.
    let spurious = false;
    if (this.undo !== undefined && seqGt(ack, this.sndNxt)) {
      this.cwnd = Math.max(this.cwnd, this.undo.cwnd);
      this.ssthresh = this.undo.ssthresh;
      this.undo = undefined;
      spurious = true;
    }
    if (this.undo !== undefined && seqGe(ack, this.undo.until)) this.undo = undefined;
    if (this.goBackHigh !== undefined && seqGe(ack, this.goBackHigh)) this.goBackHigh = undefined;
    if (seqLt(this.sndNxt, ack)) this.sndNxt = ack;
    this.dupAcks = 0;
    // An ACK below the probe may just be a busy guest catching up: keep waiting for the
    // probe's own answer (a duplicate ACK if it landed past a hole).
    if (this.tailProbeHigh !== undefined && seqGe(ack, this.tailProbeHigh)) this.tailProbeHigh = undefined;
    let rtt: number | undefined;
    if (this.timedSeq !== undefined && seqGe(ack, this.timedSeq)) {
      rtt = now - this.timedAt;
      this.timedSeq = undefined;
    }
    const mss = this.congestionMss;
    if (this.recover !== undefined) {
      if (seqGe(ack, this.recover)) {
        this.recover = undefined;
        this.cwnd = this.ssthresh;
      } else {
        this.fastRetransmitPending = true; // partial ACK: the next hole, at once
      }
    } else if (this.cwnd < this.ssthresh) {
      this.cwnd += acked; // slow start, counting bytes (the guest ACKs TSO frames whole)
    } else {
      this.cwnd += Math.max(1, Math.floor((mss * acked) / this.cwnd));
    }
    this.cwnd = Math.min(this.cwnd, MAX_CWND_BYTES);
    return { rtt, spurious };
  }

  /**
   * A duplicate ACK: "fast" when it is the third and starts a fast retransmit, "tail-loss"
   * when it answers a tail loss probe (the guest took everything before a hole in order,
   * then the probe arrived past the hole).
   */
  duplicateAck(mss: number): "fast" | "tail-loss" | undefined {
    if (this.sndMax === this.sndUna) return undefined;
    if (this.tailProbeHigh !== undefined) {
      this.tailProbeHigh = undefined;
      return "tail-loss";
    }
    if (this.goBackHigh !== undefined) return undefined;
    this.dupAcks++;
    if (this.recover !== undefined) {
      this.cwnd += mss; // each duplicate means a segment left the network
      return undefined;
    }
    if (this.dupAcks !== 3) return undefined;
    this.ssthresh = Math.max(Math.floor(seqDiff(this.sndMax, this.sndUna) / 2), 2 * mss);
    this.cwnd = this.ssthresh + 3 * mss;
    this.recover = this.sndMax;
    this.fastRetransmitPending = true;
    this.timedSeq = undefined;
    return "fast";
  }

  /** The probe timeout fired: send one probe segment and watch the answer. */
  startTailProbe(): void {
    this.tailProbePending = true;
    this.tailProbeHigh = this.sndMax;
  }

  /**
   * Resend everything from the first unacknowledged byte: after a retransmission timeout
   * (`collapse`: restart from one segment) or a tail loss (halve, like fast recovery).
   */
  goBackN(mss: number, collapse: boolean): void {
    // Only a timeout's collapse to one segment is worth undoing. (Without timestamps or
    // SACK, "the guest had data past the hole" looks the same as "nothing was lost", and
    // after a tail loss it usually means the former.)
    this.undo = collapse ? { cwnd: this.cwnd, ssthresh: this.ssthresh, until: this.sndMax } : undefined;
    this.goBackHigh = this.sndMax;
    this.ssthresh = Math.max(Math.floor(seqDiff(this.sndMax, this.sndUna) / 2), 2 * mss);
    this.cwnd = collapse ? mss : this.ssthresh;
    this.recover = undefined;
    this.dupAcks = 0;
    this.fastRetransmitPending = false;
    this.tailProbePending = false;
    this.tailProbeHigh = undefined;
    this.timedSeq = undefined;
    this.sndNxt = this.sndUna;
  }

  /**
   * The largest window the guest can announce with its window scale: how far below sndUna an
   * ACK may be and still be taken as old rather than forged (RFC 5961 5.2's MAX.SND.WND,
   * bounded from above, so nothing extra has to be remembered or saved).
   */
  get largestWindow(): number {
    return 0xffff * 2 ** this.peerShift;
  }

  /** The window the send buffer may grow to beyond the usual share: the guest's, for a bulk sender. */
  get bulkWindow(): number {
    return this.bulk ? this.sndWnd : 0;
  }

  /** Where the FIN goes: right after the last byte written. */
  finSeq(): number {
    return seqAdd(this.bufferSeq, this.buffer.length);
  }

  finAcknowledged(): boolean {
    return this.finQueued && this.sndUna === seqAdd(this.finSeq(), 1);
  }

  unsentBytes(): number {
    return Math.max(0, seqDiff(this.finSeq(), this.sndNxt));
  }

  /** Records a segment sent at `seq` occupying `seqLength`; true if it was a retransmission. */
  recordSent(seq: number, seqLength: number, now: number): boolean {
    const end = seqAdd(seq, seqLength);
    const retransmission = seqLt(seq, this.sndMax);
    if (retransmission) {
      if (this.timedSeq !== undefined && seqLt(seq, this.timedSeq)) this.timedSeq = undefined;
    } else if (this.timedSeq === undefined && seqLength > 0) {
      this.timedSeq = end;
      this.timedAt = now;
    }
    if (seqGt(end, this.sndNxt)) this.sndNxt = end;
    if (seqGt(end, this.sndMax)) this.sndMax = end;
    return retransmission;
  }

  /** For a snapshot; times relative to `now`. */
  saveState(now: number): TcpSenderState {
    const { iss, peerMss, peerShift, sndUna, sndNxt, sndMax, sndWnd, wl1, wl2, bufferSeq, finQueued, cwnd, ssthresh, dupAcks } = this;
    const { fastRetransmitPending, windowProbePending, tailProbePending, bytesSent } = this;
    const unacknowledged = new Uint8Array(this.buffer.length);
    this.buffer.copyTo(0, unacknowledged.length, unacknowledged, 0);
    return {
      iss, peerMss, peerShift, sndUna, sndNxt, sndMax, sndWnd, wl1, wl2, bufferSeq, unacknowledged, finQueued, cwnd, ssthresh,
      recover: this.recover ?? null, goBackHigh: this.goBackHigh ?? null, dupAcks,
      fastRetransmitPending, windowProbePending, tailProbePending, tailProbeHigh: this.tailProbeHigh ?? null,
      timed: this.timedSeq === undefined ? null : { seq: this.timedSeq, sentInMs: this.timedAt - now },
      undo: this.undo === undefined ? null : { ...this.undo },
      bytesSent,
    };
  }

  static fromState(s: TcpSenderState, now: number): TcpSender {
    const tx = new TcpSender(s.iss, s.peerMss, s.peerShift, s.sndWnd, s.wl1);
    tx.buffer.push(s.unacknowledged);
    tx.sndUna = s.sndUna;
    tx.sndNxt = s.sndNxt;
    tx.sndMax = s.sndMax;
    tx.bufferSeq = s.bufferSeq;
    tx.finQueued = s.finQueued;
    tx.cwnd = s.cwnd;
    tx.wl2 = s.wl2;
    tx.ssthresh = s.ssthresh;
    tx.recover = s.recover ?? undefined;
    tx.goBackHigh = s.goBackHigh ?? undefined;
    tx.dupAcks = s.dupAcks;
    tx.fastRetransmitPending = s.fastRetransmitPending;
    tx.windowProbePending = s.windowProbePending;
    tx.tailProbePending = s.tailProbePending;
    tx.tailProbeHigh = s.tailProbeHigh ?? undefined;
    tx.timedSeq = s.timed?.seq;
    tx.timedAt = s.timed === null ? 0 : now + s.timed.sentInMs;
    tx.undo = s.undo === null ? undefined : { ...s.undo };
    tx.bytesSent = s.bytesSent;
    return tx;
  }
}
