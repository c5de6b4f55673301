// What one wisp connection may cost the host, whatever the server or the guest does.
//
// Guest -> server, the spec's own flow control: the server grants each stream a number of
// DATA packets (CONTINUE); with none left the stream holds the one chunk the guest's stack
// already delivered and pauses reading, so the guest's TCP window closes. Nothing else waits
// on our side, except what the WebSocket itself has not sent yet (sendHighWaterBytes).
//
// Server -> guest, the spec has no flow control at all (v1 and the v2 draft alike: CONTINUE
// goes one way only). What the server sends before the guest reads it waits here, in a
// per-stream backlog. When a stream's backlog, or the sum over streams, passes its pause
// mark, the session pauses the transport if it can (Node's `ws`: the socket stops reading,
// TCP pushes back to the server, whose own send buffer then stops it reading its sockets).
// A transport that cannot pause (the browser's WebSocket) keeps delivering; then, and for a
// server that ignores TCP backpressure, the hard limits decide: a DATA packet that would take
// a stream past streamLimitBytes, or all streams past totalLimitBytes, is not kept: that
// stream is closed (reason 0x81, "client cannot receive more data") and the guest's
// connection reset. So memory stays bounded; the price in a browser is that a download the
// network delivers more than streamLimitBytes faster than the guest reads it is reset.
//
// Pausing the transport pauses every stream on it: a guest connection that stops reading
// holds up the others until it reads or closes; if it takes nothing for
// stallCheckMs * stallChecks while the transport waits for it, it is reset (receive-pause.ts).

export interface WispLimits {
  /** A stream's backlog at which the transport is paused (resumed at half). */
  streamPauseBytes: number;
  /** All streams' backlog at which the transport is paused (resumed at half). */
  totalPauseBytes: number;
  /** A stream's backlog never exceeds this: more data resets the stream. */
  streamLimitBytes: number;
  /** All streams' backlog never exceeds this: more data resets the stream it was for. */
  totalLimitBytes: number;
  /** CONTINUE values above this are taken as this (a hostile 2^32 must not mean "unbounded"). */
  maxCredits: number;
  /** Guest bytes are sent in DATA packets of at most this many bytes. */
  maxDataBytes: number;
  /** While the transport has this much unsent, streams hold their data and pause reading. */
  sendHighWaterBytes: number;
  /** How often a stream held back by sendHighWaterBytes looks again. */
  sendPollMs: number;
  /** The server must finish the handshake within this, or the transport is closed. */
  handshakeTimeoutMs: number;
  /** While paused, streams over their pause mark are checked this often for progress... */
  stallCheckMs: number;
  /** ...and one that took nothing this many checks in a row is reset. */
  stallChecks: number;
  /** Streams open at once on one transport; the guest's next connection is reset. */
  maxStreams: number;
}

export const DEFAULT_WISP_LIMITS: Readonly<WispLimits> = {
  streamPauseBytes: 1024 * 1024,
  totalPauseBytes: 8 * 1024 * 1024,
  streamLimitBytes: 16 * 1024 * 1024,
  totalLimitBytes: 64 * 1024 * 1024,
  maxCredits: 1024,
  maxDataBytes: 64 * 1024,
  sendHighWaterBytes: 4 * 1024 * 1024,
  sendPollMs: 10,
  handshakeTimeoutMs: 10_000,
  stallCheckMs: 5_000,
  stallChecks: 6,
  maxStreams: 4096,
};

/** The largest WebSocket message a Node transport should accept (ws's maxPayload). */
export const WISP_MAX_MESSAGE_BYTES = 1024 * 1024;
