// Where the guest's connections to the world go. The host network ends every guest TCP
// connection itself (handshake, windows, retransmission); one addressed to anything but
// the router's own services is handed, as a byte stream, to an outbound dialer: a wisp
// stream (wisp/), the browser's fetch() (fetch/), or a socket of the host (Node's
// user-mode networking). Dialers see bytes and backpressure, never segments.
//
// Names: with a name pool (name-pool.ts) the host network's DNS answers any name with a
// private address and remembers which; a connection to that address arrives here with the
// name, so the dialer (the wisp server, the browser, the host's resolver) resolves it.
import type { StreamConnection, StreamHandler } from "./stream-service.js";

export interface OutboundTarget {
  /** The address the guest dialed, dotted ("198.18.0.5", "10.0.2.2"). */
  readonly ip: string;
  readonly port: number;
  /** The name the guest looked up, when `ip` came from the name pool: dial this, not `ip`. */
  readonly name?: string;
}

/**
 * Handles one guest TCP connection to `target`. The handshake with the guest is done and
 * `connection` is the guest's side: the handler writes what the far end sends (no more
 * than connection.writableBytes, then waits for onWritable) and pauses reading while the
 * far end cannot take more. Throwing, or connection.abort(), resets the guest's connection.
 */
export type OutboundTcp = (target: OutboundTarget, connection: StreamConnection) => StreamHandler;

/** The guest's side of one UDP flow (its address and port), for replies. */
export interface UdpFlow {
  readonly guestPort: number;
  readonly target: OutboundTarget;
}

/** Carries the guest's UDP datagrams to the world; replies come back through `reply`. */
export interface OutboundUdp {
  /** One datagram from the guest; `reply` queues a datagram for the guest from `target`. */
  send(flow: UdpFlow, payload: Uint8Array, reply: (payload: Uint8Array) => void): void;
  /** The guest's device was reset: close every flow. */
  reset(): void;
}

/** What a host network does with traffic that is not for its own services. */
export interface OutboundOptions {
  tcp?: OutboundTcp;
  udp?: OutboundUdp;
  /**
   * DNS answers names it does not know with addresses from a private pool (198.18.0.0/15)
   * and hands the name to the dialer (for dialers that resolve names themselves).
   */
  namePool?: boolean;
  /**
   * The router's address stands for the host itself (QEMU's user mode: 10.0.2.2 is the
   * host's loopback): its ports that no service of ours takes go to the dialer too.
   */
  routerIsHost?: boolean;
}
