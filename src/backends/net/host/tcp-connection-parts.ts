// What a connection is made of (its receive and send halves, its clocks, our window scale):
// made here from a guest's SYN, or read back from a snapshot (tcp-connection-state.ts).
import * as cfg from "./tcp-config.js";
import { TcpReceiver } from "./tcp-receiver.js";
import type { TcpSegment } from "./tcp-segment.js";
import { TcpSender } from "./tcp-sender.js";
import { TcpTimers } from "./tcp-timers.js";

export interface TcpConnectionParts {
  rx: TcpReceiver;
  tx: TcpSender;
  timers: TcpTimers;
  /** Our window scale: 0 when the guest offered none. */
  ourShift: number;
}

/** The parts of a new connection, as the guest's SYN asks for them. */
export function partsFromSyn(syn: TcpSegment, iss: number): TcpConnectionParts {
  // Window scaling only if the guest offered it (RFC 7323); then both sides scale.
  const scaled = syn.wscale !== undefined;
  const peerShift = scaled ? Math.min(syn.wscale ?? 0, cfg.MAX_WINDOW_SCALE) : 0;
  const peerMss = Math.max(cfg.MIN_MSS, syn.mss ?? cfg.DEFAULT_PEER_MSS);
  return {
    rx: new TcpReceiver(syn.seq),
    tx: new TcpSender(iss, peerMss, peerShift, syn.window, syn.seq),
    timers: new TcpTimers(),
    ourShift: scaled ? cfg.OUR_WINDOW_SCALE : 0,
  };
}
