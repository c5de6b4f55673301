// Counters for the inspector. The stack mutates one Counters object in place (cheap on
// the hot path); stats() hands out a copy as plain data.

/** Why a frame from the guest was dropped (or a frame for the guest was not queued). */
export const DROP_REASONS = [
  "truncated", // shorter than the header it claims to carry
  "bad-length", // a length field disagrees with the frame
  "bad-header", // wrong version, header length, hardware type...
  "bad-checksum",
  "not-for-us", // another MAC or IP address
  "unsupported-ethertype",
  "unsupported-protocol",
  "fragment", // IPv4 fragments are not reassembled
  "arp-ignored", // a valid ARP packet we do not answer
  "icmp-ignored", // ICMP other than echo request
  "udp-closed-port",
  "dhcp-ignored",
  "dns-malformed",
  "tcp-no-connection", // answered with RST when it was not one itself
  "tcp-out-of-order", // data past the expected sequence number (re-ACKed)
  "tcp-unacceptable", // outside the receive window, or a bad ACK
  "tcp-connection-limit", // a SYN found the table full, with no connection idle long enough to evict
  "tcp-receive-paused", // data while the service had paused reading (the guest sends it again)
  "queue-full", // the bounded queue for replies other than TCP was full
  "internal-error", // a bug: an exception was caught at the stack's edge
] as const;

export type DropReason = (typeof DROP_REASONS)[number];

export interface TcpCounters {
  segmentsIn: number;
  segmentsOut: number;
  /** Payload bytes received from the guest, in order, delivered to services. */
  bytesIn: number;
  /** Payload bytes sent to the guest, retransmissions included. */
  bytesOut: number;
  /** Segments sent as TSO frames (payload larger than the MSS). */
  tsoFrames: number;
  /** Retransmission timer expiries (each starts a go-back-N resend). */
  timeouts: number;
  fastRetransmits: number;
  /** Data segments sent again (after a timeout or a fast retransmit). */
  retransmittedSegments: number;
  connectionsAccepted: number;
  connectionsClosed: number;
  resetsSent: number;
  resetsReceived: number;
  /** Tail loss probes sent (probe timeouts: ACKs stopped with data in flight). */
  tailLossProbes: number;
  /** Go-back-N resends started because a tail loss probe revealed a loss. */
  tailLossRecoveries: number;
  /** Resends undone because the guest's ACK showed the originals had arrived. */
  spuriousRetransmits: number;
  /** Zero-window probes sent (persist timer expiries). */
  windowProbes: number;
  /** Exceptions thrown by service callbacks (each aborts its connection). */
  serviceErrors: number;
  /** Half-open connections dropped (silently) to make room for a newer SYN. */
  halfOpenShed: number;
  /** Idle connections reset to make room in a full table. */
  connectionsEvicted: number;
  /** Connections reset because the guest had been silent for the idle timeout. */
  idleTimeouts: number;
  /** Challenge ACKs sent (RFC 5961), and those the rate limit held back. */
  challengeAcks: number;
  challengeAcksLimited: number;
}

export interface Counters {
  framesFromGuest: number;
  bytesFromGuest: number;
  framesToGuest: number;
  bytesToGuest: number;
  dropped: Record<DropReason, number>;
  arpReplies: number;
  icmpEchoReplies: number;
  udpEchoReplies: number;
  dnsQueries: number;
  dhcpOffers: number;
  dhcpAcks: number;
  dhcpNaks: number;
  /** guestReset() calls: the guest's device was reset and everything of its side dropped. */
  guestResets: number;
  tcp: TcpCounters;
}

export function createCounters(): Counters {
  const dropped = {} as Record<DropReason, number>;
  for (const reason of DROP_REASONS) dropped[reason] = 0;
  return {
    framesFromGuest: 0,
    bytesFromGuest: 0,
    framesToGuest: 0,
    bytesToGuest: 0,
    dropped,
    arpReplies: 0,
    icmpEchoReplies: 0,
    udpEchoReplies: 0,
    dnsQueries: 0,
    dhcpOffers: 0,
    dhcpAcks: 0,
    dhcpNaks: 0,
    guestResets: 0,
    tcp: {
      segmentsIn: 0,
      segmentsOut: 0,
      bytesIn: 0,
      bytesOut: 0,
      tsoFrames: 0,
      timeouts: 0,
      fastRetransmits: 0,
      retransmittedSegments: 0,
      connectionsAccepted: 0,
      connectionsClosed: 0,
      resetsSent: 0,
      resetsReceived: 0,
      tailLossProbes: 0,
      tailLossRecoveries: 0,
      spuriousRetransmits: 0,
      windowProbes: 0,
      serviceErrors: 0,
      halfOpenShed: 0,
      connectionsEvicted: 0,
      idleTimeouts: 0,
      challengeAcks: 0,
      challengeAcksLimited: 0,
    },
  };
}

export function copyCounters(c: Counters): Counters {
  return { ...c, dropped: { ...c.dropped }, tcp: { ...c.tcp } };
}
