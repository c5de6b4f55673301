// Building one connection's segments: SYN-ACK, data (from the send buffer, sized by the
// windows and the guest's offloads), bare ACKs and RSTs. Frames get either real checksums
// or the offload marks the guest negotiated (checksumValid, and tcpSegmentSize when one
// frame carries more than an MSS).
import type { NetFrame } from "../net-backend.js";
import { OUR_MSS, RECEIVE_WINDOW_BYTES } from "./tcp-config.js";
import type { SegmentLimits, TcpEnvironment, TcpPeer } from "./tcp-environment.js";
import { segmentLimits } from "./tcp-environment.js";
import type { TcpReceiver } from "./tcp-receiver.js";
import type { TcpFrameSpec } from "./tcp-segment.js";
import { buildReset, buildTcpFrame, finishTcpChecksum, seqDiff, TCP_ACK, TCP_FIN, TCP_PSH, TCP_SYN } from "./tcp-segment.js";
import type { TcpSender } from "./tcp-sender.js";

/** The per-segment fields; the rest comes from the connection's addresses. */
type SegmentHeader = Pick<TcpFrameSpec, "seq" | "ack" | "flags" | "window" | "mss" | "wscale">;

export class TcpOutput {
  /** The window field of every segment but the SYN-ACK (the receive window never shrinks). */
  private readonly advertisedWindow: number;

  constructor(
    private readonly env: TcpEnvironment,
    private readonly peer: TcpPeer,
    private readonly localPort: number,
    private readonly tx: TcpSender,
    private readonly rx: TcpReceiver,
    private readonly ourShift: number,
    /** Bookkeeping after every segment (it carried the latest ACK; timers restart). */
    private readonly onSent: () => void,
  ) {
    this.advertisedWindow = Math.min(0xffff, RECEIVE_WINDOW_BYTES >>> ourShift);
  }

  limits(): SegmentLimits {
    return segmentLimits(this.env.capabilities(), this.tx.peerMss);
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
    const plan = tx.planSegment(seq, oneSegment ? limits.mss : limits.maxPayload, limits.mss, oneSegment);
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

  /** Queues a RST outside the connection's flow (the connection is going away). */
  reset(seq: number, ack: number, flags: number): void {
    this.env.counters.tcp.resetsSent++;
    this.env.sendControl(buildReset({ ...this.route(), seq, ack, flags }));
  }

  /** A segment; `copyPayload` fills the `payloadLength` bytes at the offset it is given. */
  private segment(header: SegmentHeader, limits: SegmentLimits, payloadLength = 0, copyPayload?: (frame: Uint8Array, offset: number) => void): NetFrame {
    const { frame, payloadOffset } = buildTcpFrame({ ...this.route(), ...header, payloadLength });
    copyPayload?.(frame, payloadOffset);
    const counters = this.env.counters.tcp;
    counters.segmentsOut++;
    this.onSent();
    if (!limits.checksumOffload) {
      finishTcpChecksum(frame, this.env.addresses.routerIp, this.peer.ip);
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
    return { srcMac: a.routerMac, dstMac: this.peer.mac, src: a.routerIp, dst: this.peer.ip, srcPort: this.localPort, dstPort: this.peer.port };
  }
}
