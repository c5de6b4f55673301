// A TCP connection's saved state as plain data: the types each part (receiver, sender,
// timers) saves itself as, and the whole connection's. Reading them back, with every field
// checked, is tcp-connection-state.ts; this file imports no part, so every part can name its
// own state type without an import cycle.
import type { Plain } from "../../../snapshot/state-reader.js";
import type { ServiceState } from "../stream-service.js";
import { formatMac } from "../../../util/mac-address.js";
import type { TcpPeer, TcpState } from "./tcp-environment.js";

export type TcpReceiverState = Plain<{
  irs: number;
  rcvNxt: number;
  ackNow: boolean;
  /** When the delayed ACK is due; null when none is pending. */
  ackDueInMs: number | null;
  sinceAck: number;
  bytesReceived: number;
}>;

export type TcpSenderState = Plain<{
  iss: number;
  peerMss: number;
  peerShift: number;
  sndUna: number;
  sndNxt: number;
  sndMax: number;
  sndWnd: number;
  wl1: number;
  wl2: number;
  /** The sequence number of unacknowledged[0]. */
  bufferSeq: number;
  /** Every byte written and not yet acknowledged (sent or not). */
  unacknowledged: Uint8Array;
  finQueued: boolean;
  cwnd: number;
  ssthresh: number;
  recover: number | null;
  goBackHigh: number | null;
  dupAcks: number;
  fastRetransmitPending: boolean;
  windowProbePending: boolean;
  tailProbePending: boolean;
  tailProbeHigh: number | null;
  /** The segment being timed for an RTT sample: the ACK that completes it, and when it left. */
  timed: { seq: number; sentInMs: number } | null;
  undo: { cwnd: number; ssthresh: number; until: number } | null;
  bytesSent: number;
}>;

export type TcpTimersState = Plain<{
  srttMs: number | null;
  rttvarMs: number;
  rtoBaseMs: number;
  backoffs: number;
  retransmitInMs: number | null;
  probeInMs: number | null;
  probeFired: boolean;
  closeInMs: number | null;
}>;

export type TcpConnectionState = Plain<{
  peer: { mac: string; ip: number; port: number };
  localPort: number;
  state: Exclude<TcpState, "CLOSED">;
  /** The service heard onClose (TIME_WAIT): it has no state left. */
  closeNotified: boolean;
  /** Our window scale (0 when the guest offered none). */
  ourShift: number;
  receiver: TcpReceiverState;
  sender: TcpSenderState;
  timers: TcpTimersState;
  /** The handler's saveState(); null before the handshake completed or once closeNotified. */
  service: ServiceState | null;
  /**
   * When the guest last sent something that counts against the idle timeout (usually
   * negative: before the save). A state saved before this field existed restores as "just now".
   */
  lastHeardInMs: number;
}>;

export function savePeer(peer: TcpPeer): TcpConnectionState["peer"] {
  return { mac: formatMac(peer.mac), ip: peer.ip, port: peer.port };
}
