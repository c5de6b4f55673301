// What the sender does when a connection's timer fires, or when the guest's answer to a tail
// loss probe shows a hole: the reactions of loss recovery, apart from the connection that
// runs them. (The bookkeeping itself is in tcp-sender.ts, the clocks in tcp-timers.ts.)
import { MAX_RETRIES, MAX_SYNACK_RETRIES } from "./tcp-config.js";
import type { TcpSender } from "./tcp-sender.js";
import type { TcpTimers } from "./tcp-timers.js";
import type { TcpCounters } from "./stats.js";

/**
 * The retransmission timer (a timeout, or the persist timer when the guest's window is
 * zero) or the probe timer fired. "give-up" when the guest has not answered for too long:
 * the connection is then aborted.
 */
export function onTimer(event: "retransmit" | "probe", tx: TcpSender, timers: TcpTimers, counters: TcpCounters, mss: number, handshaking: boolean): "give-up" | undefined {
  if (event === "probe") {
    // ACKs stopped with data in flight: a probe's answer shows whether a tail was lost.
    if (tx.sndWnd === 0) return undefined; // the persist timer's business
    counters.tailLossProbes++;
    tx.startTailProbe();
    return undefined;
  }
  // A half-open connection gives up sooner: a real client answers a SYN-ACK within a round trip.
  if (timers.rto.backoffs > (handshaking ? MAX_SYNACK_RETRIES : MAX_RETRIES)) return "give-up";
  if (!handshaking && tx.sndWnd === 0) {
    tx.windowProbePending = true; // persist: a probe makes the guest tell us its window
    counters.windowProbes++;
    return undefined;
  }
  counters.timeouts++;
  tx.goBackN(mss, true);
  return undefined;
}

/** The guest's answer to a probe left a hole: resend from it, halving the window. */
export function onTailLossRevealed(tx: TcpSender, counters: TcpCounters, mss: number): void {
  counters.tailLossRecoveries++;
  tx.goBackN(mss, false);
}
