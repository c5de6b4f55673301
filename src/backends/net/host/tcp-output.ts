// One connection's segments: which one goes next (retransmissions and probes first, then
// new data as the windows allow, then a bare ACK), what it carries, and building it:
// SYN-ACK, data (from the send buffer, sized by the windows and the guest's offloads), bare
// ACKs and RSTs. Frames get either real checksums or the offload marks the guest negotiated
// (checksumValid, and tcpSegmentSize when one frame carries more than an MSS).
import type { NetFrame } from "../net-backend.js";
import { OUR_MSS, RECEIVE_WINDOW_BYTES } from "./tcp-config.js";
import type { SegmentLimits, TcpContext, TcpPeer, TcpState } from "./tcp-environment.js";
import { segmentLimits } from "./tcp-environment.js";
import type { TcpReceiver } from "./tcp-receiver.js";
import type { TcpFrameSpec } from "./tcp-segment.js";
import { buildReset, buildTcpFrame, finishTcpChecksum, seqAdd, seqDiff, seqLt, TCP_ACK, TCP_FIN, TCP_PSH, TCP_SYN } from "./tcp-segment.js";
import type { TcpSender } from "./tcp-sender.js";

/** The per-segment fields; the rest comes from the connection's addresses. */
type SegmentHeader = Pick<TcpFrameSpec, "seq" | "ack" | "flags" | "window" | "mss" | "wscale">;

interface SegmentPlan {
  length: number;
  fin: boolean;
}

export class TcpOutput {
  /**
   * The window field of every segment but the SYN-ACK: the whole receive window, or zero
   * while the service has paused reading (the only time it shrinks).
   */
  private readonly fullWindow: number;

  constructor(
    private readonly env: TcpContext,
    private readonly peer: TcpPeer,
    private readonly localIp: number,
    private readonly localPort: number,
    private readonly tx: TcpSender,
    private readonly rx: TcpReceiver,
    private readonly ourShift: number,
    /** Bookkeeping after every segment (it carried the latest ACK; timers restart). */
    private readonly onSent: () => void,
  ) {
    this.fullWindow = Math.min(0xffff, RECEIVE_WINDOW_BYTES >>> ourShift);
  }

  private get advertisedWindow(): number {
    return this.rx.paused ? 0 : this.fullWindow;
  }

  limits(): SegmentLimits {
    return segmentLimits(this.env.capabilities(), this.tx.peerMss);
  }

  /** Whether next() would return a frame now, for a connection in `state` (not CLOSED). */
  hasOutput(state: TcpState): boolean {
    const tx = this.tx;
    if (this.rx.ackNow || tx.windowProbePending || tx.fastRetransmitPending || tx.tailProbePending) return true;
    if (state === "SYN_RECEIVED") return tx.sndNxt === tx.iss;
    if (state === "TIME_WAIT") return false;
    // The same question next() asks, so a connection is never "ready" with nothing to send.
    const limits = this.limits();
    return this.plan(tx.sndNxt, limits.maxPayload, limits.mss, false) !== undefined;
  }

  /** The next segment for the guest, or undefined when there is nothing to send now. */
  next(state: TcpState): NetFrame | undefined {
    const tx = this.tx;
    if (state === "CLOSED") return undefined;
    if (state === "SYN_RECEIVED") return tx.sndNxt === tx.iss ? this.synAck() : undefined;
    if (state !== "TIME_WAIT") {
      if (tx.fastRetransmitPending) {
        tx.fastRetransmitPending = false;
        const frame = this.data(tx.sndUna, true);
        if (frame !== undefined) return frame;
      }
      if (tx.tailProbePending) {
        tx.tailProbePending = false;
        // New data if the guest's window takes it (the congestion window does not apply),
        // else the last segment sent, again.
        const frame = this.data(tx.sndNxt, true) ?? this.data(this.lastSegmentSeq(), true);
        if (frame !== undefined) return frame;
      }
      const frame = this.data(tx.sndNxt, false);
      if (frame !== undefined) return frame;
    }
    if (tx.windowProbePending) {
      tx.windowProbePending = false;
      return this.ack(seqAdd(tx.sndUna, -1)); // an old sequence number: the guest must ACK it
    }
    if (this.rx.ackNow) return this.ack(tx.sndNxt);
    return undefined;
  }

  synAck(): NetFrame {
    const tx = this.tx;
    const limits = this.limits();
    tx.recordSent(tx.iss, 1, this.env.now());
    return this.segment(
      {
        seq: tx.iss,
        ack: this.rx.rcvNxt,
        flags: TCP_SYN | TCP_ACK,
        window: Math.min(0xffff, RECEIVE_WINDOW_BYTES), // never scaled in a SYN
        mss: Math.min(OUR_MSS, limits.frameMss),
        wscale: this.ourShift > 0 ? this.ourShift : undefined,
      },
      limits,
    );
  }

  /** A data (and/or FIN) segment from `seq`, or undefined if the windows allow none now. */
  data(seq: number, oneSegment: boolean): NetFrame | undefined {
    const tx = this.tx;
    const limits = this.limits();
    const plan = this.plan(seq, oneSegment ? limits.mss : limits.maxPayload, limits.mss, oneSegment);
    if (plan === undefined) return undefined;
    const { length, fin } = plan;
    const offset = seqDiff(seq, tx.bufferSeq);
    const lastData = length > 0 && offset + length === tx.buffer.length;
    const flags = TCP_ACK | (lastData ? TCP_PSH : 0) | (fin ? TCP_FIN : 0);
    const retransmission = tx.recordSent(seq, length + (fin ? 1 : 0), this.env.now());
    const counters = this.env.counters.tcp;
    if (retransmission) counters.retransmittedSegments++;
    counters.bytesOut += length;
    tx.bytesSent += length;
    return this.segment({ seq, ack: this.rx.rcvNxt, flags, window: this.advertisedWindow }, limits, length, (bytes, at) =>
      tx.buffer.copyTo(offset, length, bytes, at),
    );
  }

  ack(seq: number): NetFrame {
    return this.segment({ seq, ack: this.rx.rcvNxt, flags: TCP_ACK, window: this.advertisedWindow }, this.limits());
  }

  /**
   * What a segment starting at `seq` carries. A fast retransmit (`oneSegment`) ignores the
   * congestion window, which it has just cut. Frames larger than one MSS hold whole MSS
   * units unless they end the data, so TSO does not leave a runt segment in every frame.
   */
  private plan(seq: number, maxPayload: number, mss: number, oneSegment: boolean): SegmentPlan | undefined {
    const tx = this.tx;
    const offset = seqDiff(seq, tx.bufferSeq);
    if (offset < 0 || offset > tx.buffer.length) return undefined;
    const available = tx.buffer.length - offset;
    const limit = oneSegment ? tx.sndWnd : Math.min(tx.sndWnd, tx.cwnd);
    const usable = seqDiff(seqAdd(tx.sndUna, limit), seq);
    let length = Math.max(0, Math.min(available, usable, maxPayload));
    if (length > mss && length < available) length -= length % mss;
    // Sender-side silly window avoidance: a runt that the window (not the data) cut short
    // waits for the ACKs of what is in flight. With nothing in flight, send what fits.
    if (length < mss && length < available && tx.sndMax !== tx.sndUna && !oneSegment) length = 0;
    const fin = tx.finQueued && length === available;
    if (length === 0 && !fin) return undefined;
    return { length, fin };
  }

  /** Where a probe that resends the last segment starts (no new data could be sent). */
  private lastSegmentSeq(): number {
    const tx = this.tx;
    const dataEnd = tx.finSeq();
    const high = seqLt(tx.sndMax, dataEnd) ? tx.sndMax : dataEnd;
    const start = seqAdd(high, -this.limits().mss);
    return seqLt(start, tx.bufferSeq) ? tx.bufferSeq : start;
  }

  /** Queues a RST outside the connection's flow (the connection is going away). */
  reset(seq: number, ack: number, flags: number): void {
    this.env.counters.tcp.resetsSent++;
    this.env.sendControl(buildReset({ ...this.route(), seq, ack, flags }));
  }

  /** A segment; `copyPayload` fills the `payloadLength` bytes at the offset it is given. */
  private segment(header: SegmentHeader, limits: SegmentLimits, payloadLength = 0, copyPayload?: (frame: Uint8Array, offset: number) => void): NetFrame {
    // A TSO frame (the bulk of a download) is built in the stack's one scratch buffer.
    const scratch = limits.checksumOffload && payloadLength > limits.mss ? this.env.frameScratch : undefined;
    const { frame, payloadOffset } = buildTcpFrame({ ...this.route(), ...header, payloadLength, ...(scratch ? { into: scratch } : {}) });
    copyPayload?.(frame, payloadOffset);
    const counters = this.env.counters.tcp;
    counters.segmentsOut++;
    this.onSent();
    if (!limits.checksumOffload) {
      finishTcpChecksum(frame, this.localIp, this.peer.ip);
      return { bytes: frame };
    }
    if (payloadLength > limits.mss) {
      counters.tsoFrames++;
      return { bytes: frame, offload: { checksumValid: true, tcpSegmentSize: limits.mss } };
    }
    return { bytes: frame, offload: { checksumValid: true } };
  }

  private route(): Pick<TcpFrameSpec, "srcMac" | "dstMac" | "src" | "dst" | "srcPort" | "dstPort"> {
    const a = this.env.addresses;
    return { srcMac: a.routerMac, dstMac: this.peer.mac, src: this.localIp, dst: this.peer.ip, srcPort: this.localPort, dstPort: this.peer.port };
  }
}
