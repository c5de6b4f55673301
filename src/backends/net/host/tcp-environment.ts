// What a TCP connection needs from the stack around it, and the segment sizes the guest's
// negotiated capabilities allow.
import type { GuestNetCapabilities } from "../net-backend.js";
import type { MacAddress, SegmentAddresses } from "./addresses.js";
import { ETH_HEADER_BYTES, STANDARD_FRAME_BYTES } from "./ethernet.js";
import { IPV4_HEADER_BYTES } from "./ipv4.js";
import type { SendBudget } from "./send-budget.js";
import type { Counters } from "./stats.js";
import { MIN_MSS, OUR_MSS } from "./tcp-config.js";
import { MAX_TCP_PAYLOAD, TCP_HEADER_BYTES } from "./tcp-segment.js";

/** The guest end of a connection. */
export interface TcpPeer {
  mac: MacAddress;
  ip: number;
  port: number;
}

/** What the stack shares with every connection and the parts that work for it. */
export interface TcpContext {
  readonly addresses: SegmentAddresses;
  readonly counters: Counters;
  /** The memory every connection's send buffer draws on. */
  readonly budget: SendBudget;
  /** How long the guest may stay silent on an established connection (tcp-config.ts IDLE_TIMEOUT_MS). */
  readonly idleTimeoutMs: number;
  /** The time of the last tick(), in ms. */
  now(): number;
  capabilities(): GuestNetCapabilities | undefined;
  /** Queues a frame outside any connection's flow (RSTs). */
  sendControl(frame: Uint8Array): void;
  /** Whether a challenge ACK may go out now (rate-limited over all connections); counts it. */
  challengeAckAllowed(): boolean;
  /**
   * Where TSO data frames are built instead of in a new 64 KiB array each: a frame for the
   * guest is valid only until the next nextForGuest() (NetBackend), and frames are built
   * only when pulled, so one buffer serves the whole stack.
   */
  readonly frameScratch?: Uint8Array;
}

/**
 * The context plus the stack's callbacks about one connection. Generic so that this file
 * needs no import of the connection class (which imports this file).
 */
export interface TcpEnvironment<Connection> extends TcpContext {
  /** The connection may have segments to send: the stack will pull them with nextFrame(). */
  ready(connection: Connection): void;
  /** The connection is finished: forget it. */
  removed(connection: Connection): void;
}

export interface SegmentLimits {
  /** Payload bytes per wire segment: the guest's MSS within our MTU and its frame limit. */
  mss: number;
  /** Payload bytes per frame: the MSS, or up to 64 KiB with TSO. */
  maxPayload: number;
  /** The largest payload an untagged frame of the guest's size limit carries. */
  frameMss: number;
  /** Frames may carry checksumValid instead of checksums. */
  checksumOffload: boolean;
}

const HEADERS = ETH_HEADER_BYTES + IPV4_HEADER_BYTES + TCP_HEADER_BYTES;

export function segmentLimits(caps: GuestNetCapabilities | undefined, peerMss: number): SegmentLimits {
  const frameLimit = caps?.maxFrameBytes ?? STANDARD_FRAME_BYTES;
  const frameMss = Math.max(MIN_MSS, Math.min(MAX_TCP_PAYLOAD, frameLimit - HEADERS));
  const mss = Math.max(MIN_MSS, Math.min(peerMss, OUR_MSS, frameMss));
  const checksumOffload = caps?.checksumOffload === true;
  // GSO needs the checksum offload too (virtio: GUEST_TSO4 requires GUEST_CSUM).
  const tso = checksumOffload && caps?.tso4 === true;
  return { mss, maxPayload: tso ? Math.max(mss, frameMss) : mss, frameMss, checksumOffload };
}

export type TcpState =
  | "SYN_RECEIVED" | "ESTABLISHED" | "CLOSE_WAIT" | "LAST_ACK"
  | "FIN_WAIT_1" | "FIN_WAIT_2" | "CLOSING" | "TIME_WAIT" | "CLOSED";

/** One connection for the inspector. */
export interface TcpConnectionInfo {
  peer: string;
  /** The address the guest dialed (the router's, or one outside). */
  localIp: string;
  localPort: number;
  state: TcpState;
  bytesReceived: number;
  bytesSent: number;
  bufferedAmount: number;
  sendWindow: number;
  congestionWindow: number;
  inFlight: number;
  rtoMs: number;
  smoothedRttMs: number | undefined;
  /** How long the guest has been silent (counts towards the idle timeout; 0 while anything is in flight). */
  idleMs: number;
  /** The service paused reading: the guest sees a zero window. */
  readingPaused: boolean;
}
