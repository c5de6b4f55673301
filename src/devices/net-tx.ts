// Transmit side of virtio-net: takes frames the guest posted on the transmit queue, checks
// the header and size, applies the offload it asked for, and hands them to the backend.
import type { NetBackend } from "../backends/net/net-backend.js";
import type { VirtQueue } from "../virtio/queue-types.js";
import { decodeNetHeader, LogBudget, NET_HDR_BYTES, NET_MAX_FRAME_BYTES, NetProtocolError, txOffload, type NetFormat, type TxDropReason } from "./net-header.js";
import { errorMessage } from "../util/error-message.js";

export type TxStats = {
  frames: number;
  bytes: number;
  dropped: Record<TxDropReason, number>;
};

export class TxDrainer {
  readonly stats: TxStats = {
    frames: 0, bytes: 0,
    dropped: { runt: 0, oversize: 0, notNegotiated: 0, gsoUnsupported: 0, badGso: 0, badChecksumOffsets: 0, backendError: 0 },
  };
  private readonly logBudget = new LogBudget();

  constructor(private readonly backend: NetBackend, private readonly log: (message: string) => void) {}

  /**
   * Hands every available tx frame to the backend; returns the number of chains completed.
   * Throws NetProtocolError for a chain that cannot be a frame (the device then fails).
   */
  drain(txq: VirtQueue, format: NetFormat): number {
    let done = 0;
    for (let chain = txq.pop(); chain; chain = txq.pop()) {
      if (chain.readableLength < NET_HDR_BYTES) {
        throw new NetProtocolError(`tx buffer ${chain.head}: ${chain.readableLength} readable bytes, shorter than the ${NET_HDR_BYTES}-byte header`);
      }
      const frameLength = chain.readableLength - NET_HDR_BYTES;
      if (frameLength > NET_MAX_FRAME_BYTES) {
        throw new NetProtocolError(`tx buffer ${chain.head}: ${frameLength}-byte frame is larger than ${NET_MAX_FRAME_BYTES} bytes`);
      }
      // One reader: the header may sit in its own descriptor or share one with the frame.
      const reader = chain.reader();
      const header = decodeNetHeader(reader.read(NET_HDR_BYTES));
      const bytes = reader.read(frameLength);
      txq.pushUsed(chain, 0);
      done++;
      const verdict = txOffload(header, frameLength, format);
      if ("drop" in verdict) {
        this.drop(verdict.drop, verdict.why);
        continue;
      }
      try {
        this.backend.receiveFromGuest(verdict.offload ? { bytes, offload: verdict.offload } : { bytes });
        this.stats.frames++;
        this.stats.bytes += frameLength;
      } catch (e) {
        this.drop("backendError", `backend refused it: ${errorMessage(e)}`);
      }
    }
    return done;
  }

  private drop(reason: TxDropReason, why: string): void {
    this.stats.dropped[reason]++;
    this.logBudget.log(this.log, `tx frame dropped: ${why}`);
  }
}
