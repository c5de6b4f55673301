// Tunables of the host TCP. The link is a memory copy into the guest, so the numbers are
// chosen for throughput under emulation rather than for the Internet.

/** The MSS we announce: a 1500-byte MTU less IPv4 and TCP headers. */
export const OUR_MSS = 1460;
/** Assumed when the guest's SYN has no MSS option (RFC 9293). */
export const DEFAULT_PEER_MSS = 536;
/** Lower bound for any MSS we accept, so a silly option cannot make segments tiny. */
export const MIN_MSS = 64;

/**
 * The receive window. Services take data synchronously in onData, so nothing waits in a
 * receive buffer: the window is always this much free space (out-of-order segments are
 * dropped, not buffered), or zero while a service has paused reading. Large enough for bulk
 * uploads from a guest with TSO.
 */
export const RECEIVE_WINDOW_BYTES = 1024 * 1024;
/** Our window scale: 65535 << 5 covers RECEIVE_WINDOW_BYTES. */
export const OUR_WINDOW_SCALE = 5;
/** RFC 7323 caps the shift at 14. */
export const MAX_WINDOW_SCALE = 14;

export const RTO_INITIAL_MS = 1000;
export const RTO_MIN_MS = 200;
export const RTO_MAX_MS = 60_000;
/**
 * Probe timeout (tail loss probe, RFC 8985 7): when ACKs stop for max(2 SRTT, PTO_MIN_MS)
 * with data in flight, send one segment (new data, or the last one again). A NIC that
 * drops what overflows its ring (v86's ne2k) loses the tail of a burst, which no duplicate
 * ACK reports; the guest's answer to the probe does, long before the 200 ms RTO.
 */
export const PTO_MIN_MS = 5;
/** Added to the probe timeout when under two segments are in flight: the guest may delay its ACK (Linux: 40 ms and up). */
export const DELAYED_ACK_ALLOWANCE_MS = 50;
/** Consecutive timer expiries without any acceptable segment from the guest before giving up. */
export const MAX_RETRIES = 10;

export const INITIAL_CWND_SEGMENTS = 10;
/** Keeps the congestion window a sane number on a loss-free link where it only grows. */
export const MAX_CWND_BYTES = 64 * 1024 * 1024;

/**
 * Delayed ACKs. At the start of a connection (the first QUICK_ACK_BYTES) acknowledge at
 * once after this many MSS of data, like Linux's quick-ack mode, so the guest's congestion
 * window opens fast.
 */
export const ACK_EVERY_SEGMENTS = 2;
export const QUICK_ACK_BYTES = 256 * 1024;
/**
 * After that, stretch ACKs: at once only after this much unacknowledged data, otherwise
 * DELAYED_ACK_MS after the first unacknowledged byte. Every ACK is an interrupt in the
 * guest: during an upload, ACKing every second segment cost about 75 interrupts per MiB.
 * The window (1 MiB) stays far larger than what waits to be acknowledged.
 */
export const STRETCH_ACK_BYTES = 64 * 1024;
export const DELAYED_ACK_MS = 4;

/** 2 MSL, short: a private link where old duplicates cannot linger. */
export const TIME_WAIT_MS = 2000;
/** How long to wait for the guest's FIN after ours was acknowledged (Linux's tcp_fin_timeout). */
export const FIN_WAIT_2_TIMEOUT_MS = 60_000;

/**
 * Connections (of all states) at once. When the table is full, a SYN evicts the connection
 * the guest has been silent on longest, if that silence is at least EVICT_MIN_IDLE_MS;
 * otherwise the SYN gets RST.
 */
export const MAX_CONNECTIONS = 1024;
/**
 * Half-open connections (SYN received, handshake not completed) at once. A SYN beyond it
 * sheds the oldest: under a SYN flood every new SYN still gets its SYN-ACK, and a real
 * client, which answers within a round trip, completes its handshake long before 128 newer
 * SYNs push it out.
 */
export const MAX_HALF_OPEN = 128;
/** SYN-ACK resends before a half-open connection is given up (Linux's tcp_synack_retries): about a minute. */
export const MAX_SYNACK_RETRIES = 5;
/**
 * A full table evicts a connection only if the guest has sent nothing on it for this long:
 * a busy connection is never reset to make room, and a flood of SYNs evicts at most the
 * connections that were idle already.
 */
export const EVICT_MIN_IDLE_MS = 1000;
/**
 * An established connection on which the guest has sent nothing for this long, with nothing
 * of ours in flight, is reset and forgotten (HostNetworkOptions.idleTimeoutMs changes it).
 * A guest that only answers zero-window probes counts as silent: it holds our memory
 * without reading.
 */
export const IDLE_TIMEOUT_MS = 5 * 60_000;
/**
 * Challenge ACKs (RFC 5961: for an in-window RST not at the expected sequence number, a SYN
 * on a live connection, an ACK for data never sent) per second of the stack's clock, over
 * all connections, so a flood of forged segments cannot make us flood the guest.
 */
export const CHALLENGE_ACKS_PER_SECOND = 100;
