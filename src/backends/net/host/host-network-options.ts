// How a host network is configured (HostNetworkOptions) and what it reports (stats()).
import type { GuestNetCapabilities } from "../net-backend.js";
import type { OutboundOptions } from "../outbound.js";
import type { StreamService } from "../stream-service.js";
import type { AddressOptions } from "./addresses.js";
import type { Counters } from "./stats.js";
import type { TcpConnectionInfo } from "./tcp-environment.js";

export const DEFAULT_LEASE_SECONDS = 24 * 60 * 60;
export const DEFAULT_MAX_QUEUED_FRAMES = 256;

export interface HostNetworkOptions extends AddressOptions {
  /** TCP services by port (more can be added with listen()). */
  services?: Map<number, StreamService>;
  leaseSeconds?: number;
  /** Extra DNS A records, name -> dotted address. */
  dnsNames?: Record<string, string>;
  /** Bound of the queue for replies other than TCP segments. */
  maxQueuedFrames?: number;
  /** Initial sequence numbers for new connections (tests pin them); random by default. */
  initialSequence?: () => number;
  /**
   * How long (ms of the stack's clock) the guest may stay silent on an established TCP
   * connection before it is reset and forgotten (default IDLE_TIMEOUT_MS, 5 minutes).
   */
  idleTimeoutMs?: number;
  /** Where traffic that is not for the router's services goes (none: it is dropped or refused). */
  outbound?: OutboundOptions;
}

export interface HostNetworkStats extends Counters {
  /** Frames waiting in the reply queue (TCP segments are built on demand, never queued). */
  queuedFrames: number;
  guestIp: string;
  /** The guest's MAC as learned from its frames (or configured). */
  guestMac: string | undefined;
  capabilities: GuestNetCapabilities | undefined;
  connections: TcpConnectionInfo[];
  /** Bytes the TCP connections hold for the guest: written by services, not yet acknowledged. */
  sendBufferedBytes: number;
  /** Connections still in their handshake (at most MAX_HALF_OPEN). */
  halfOpenConnections: number;
}
