// One TCP connection as saved state, and how it is read back: every field checked (types,
// ranges, and the sequence numbers against the unacknowledged bytes, so a damaged state can
// never send the guest wrong data at a plausible sequence number), then the connection
// rebuilt with its service's handler. Times are stored relative to the moment of saving
// ("...InMs": positive is later, negative earlier) and re-based on the restoring clock.
import type { StreamService } from "../stream-service.js";
import { parseMac } from "../../../util/mac-address.js";
import type { StateReader } from "../../../snapshot/state-reader.js";
import { MAX_WINDOW_SCALE, MIN_MSS, RTO_MAX_MS, RTO_MIN_MS } from "./tcp-config.js";
import { TcpConnection } from "./tcp-connection.js";
import type { TcpConnectionParts } from "./tcp-connection-parts.js";
import type { TcpEnvironment, TcpPeer } from "./tcp-environment.js";
import type { TcpReceiverState, TcpSenderState, TcpTimersState } from "./tcp-saved-state.js";
import { TcpReceiver } from "./tcp-receiver.js";
import { seqAdd, seqDiff, seqLe } from "./tcp-segment.js";
import { TcpSender } from "./tcp-sender.js";
import { TcpTimers } from "./tcp-timers.js";

const OPEN_STATES = ["SYN_RECEIVED", "ESTABLISHED", "CLOSE_WAIT", "LAST_ACK", "FIN_WAIT_1", "FIN_WAIT_2", "CLOSING", "TIME_WAIT"] as const;
/** Far beyond any timer here (the longest is a minute), small enough to stay exact. */
const MAX_OFFSET_MS = 1e12;
const MAX_COUNT = Number.MAX_SAFE_INTEGER;
/** Producers keep a quarter of a MiB unacknowledged (stream-service.ts); anything near this is damage. */
export const MAX_SAVED_SEND_BYTES = 64 * 1024 * 1024;

/**
 * The connection saved in `state`, with its handler re-created by the service listening on
 * its port. Throws (naming the field) before anything outside the new connection is touched.
 */
export function restoreTcpConnection(env: TcpEnvironment<TcpConnection>, state: StateReader, listeners: ReadonlyMap<number, StreamService>, now: number): TcpConnection {
  const peer = readPeer(state.field("peer"));
  const localPort = state.field("localPort").integer(1, 0xffff);
  const tcpState = state.field("state").oneOf(OPEN_STATES);
  const closeNotified = state.field("closeNotified").boolean();
  const ourShift = state.field("ourShift").integer(0, MAX_WINDOW_SCALE);
  const parts: TcpConnectionParts = {
    rx: TcpReceiver.fromState(readReceiver(state.field("receiver")), now),
    tx: TcpSender.fromState(readSender(state.field("sender")), now),
    timers: TcpTimers.fromState(readTimers(state.field("timers")), now),
    ourShift,
  };
  const service = listeners.get(localPort);
  if (service === undefined) return state.field("localPort").fail("a port a service listens on in this network");
  const saved = state.field("service");
  const hasHandler = tcpState !== "SYN_RECEIVED" && !closeNotified;
  if (saved.isNull() === hasHandler) saved.fail(hasHandler ? "the service's saved state" : `null in ${tcpState}${closeNotified ? " once closed" : ""}`);
  const restore = service.restore;
  if (hasHandler && restore === undefined) saved.fail(`null: port ${localPort}'s service cannot restore connections`);
  const handler = hasHandler && restore ? (c: TcpConnection) => restore(c, saved) : undefined;
  // Saved before the field existed: the guest counts as heard from just now.
  const lastHeard = now + (state.has("lastHeardInMs") ? offset(state.field("lastHeardInMs")) : 0);
  return new TcpConnection(env, peer, localPort, service, parts, { state: tcpState, closeNotified, handler, lastHeard });
}

function readPeer(r: StateReader): TcpPeer {
  const text = r.field("mac").string(17);
  let mac: Uint8Array;
  try {
    mac = parseMac(text);
  } catch {
    return r.field("mac").fail("a MAC address like 52:54:00:12:34:56");
  }
  return { mac, ip: r.field("ip").uint32(), port: r.field("port").integer(1, 0xffff) };
}

function readReceiver(r: StateReader): TcpReceiverState {
  return {
    irs: r.field("irs").uint32(),
    rcvNxt: r.field("rcvNxt").uint32(),
    ackNow: r.field("ackNow").boolean(),
    ackDueInMs: r.field("ackDueInMs").nullable(offset),
    sinceAck: r.field("sinceAck").integer(0, MAX_COUNT),
    bytesReceived: r.field("bytesReceived").integer(0, MAX_COUNT),
  };
}

function readSender(r: StateReader): TcpSenderState {
  const seq = (name: string): number => r.field(name).uint32();
  const optionalSeq = (name: string): number | null => r.field(name).nullable((x) => x.uint32());
  const count = (name: string): number => r.field(name).integer(0, MAX_COUNT);
  const s: TcpSenderState = {
    iss: seq("iss"),
    peerMss: r.field("peerMss").integer(MIN_MSS, 0xffff),
    peerShift: r.field("peerShift").integer(0, MAX_WINDOW_SCALE),
    sndUna: seq("sndUna"),
    sndNxt: seq("sndNxt"),
    sndMax: seq("sndMax"),
    sndWnd: r.field("sndWnd").integer(0, 0xffff * 2 ** MAX_WINDOW_SCALE),
    wl1: seq("wl1"),
    wl2: seq("wl2"),
    bufferSeq: seq("bufferSeq"),
    unacknowledged: r.field("unacknowledged").bytes(MAX_SAVED_SEND_BYTES),
    finQueued: r.field("finQueued").boolean(),
    cwnd: count("cwnd"),
    ssthresh: count("ssthresh"),
    recover: optionalSeq("recover"),
    goBackHigh: optionalSeq("goBackHigh"),
    dupAcks: count("dupAcks"),
    fastRetransmitPending: r.field("fastRetransmitPending").boolean(),
    windowProbePending: r.field("windowProbePending").boolean(),
    tailProbePending: r.field("tailProbePending").boolean(),
    tailProbeHigh: optionalSeq("tailProbeHigh"),
    timed: r.field("timed").nullable((t) => ({ seq: t.field("seq").uint32(), sentInMs: offset(t.field("sentInMs")) })),
    undo: r.field("undo").nullable((u) => ({ cwnd: u.field("cwnd").integer(0, MAX_COUNT), ssthresh: u.field("ssthresh").integer(0, MAX_COUNT), until: u.field("until").uint32() })),
    bytesSent: count("bytesSent"),
  };
  // The bytes must sit where the sequence numbers say: una <= nxt <= max <= end of data (+FIN),
  // and the first unacknowledged byte is at una, or one past it (SYN) or before it (FIN).
  if (!seqLe(s.sndUna, s.sndNxt)) r.field("sndNxt").fail(`at or after sndUna ${s.sndUna}`);
  if (!seqLe(s.sndNxt, s.sndMax)) r.field("sndMax").fail(`at or after sndNxt ${s.sndNxt}`);
  const end = seqAdd(s.bufferSeq, s.unacknowledged.length + (s.finQueued ? 1 : 0));
  if (!seqLe(s.sndMax, end)) r.field("sndMax").fail(`at most ${end}, the end of the data in unacknowledged`);
  if (Math.abs(seqDiff(s.sndUna, s.bufferSeq)) > 1) r.field("bufferSeq").fail(`within one of sndUna ${s.sndUna}`);
  return s;
}

function readTimers(r: StateReader): TcpTimersState {
  return {
    srttMs: r.field("srttMs").nullable((x) => x.number(0, MAX_OFFSET_MS)),
    rttvarMs: r.field("rttvarMs").number(0, MAX_OFFSET_MS),
    rtoBaseMs: r.field("rtoBaseMs").number(RTO_MIN_MS, RTO_MAX_MS),
    backoffs: r.field("backoffs").integer(0, 64),
    retransmitInMs: r.field("retransmitInMs").nullable(offset),
    probeInMs: r.field("probeInMs").nullable(offset),
    probeFired: r.field("probeFired").boolean(),
    closeInMs: r.field("closeInMs").nullable(offset),
  };
}

function offset(r: StateReader): number {
  return r.number(-MAX_OFFSET_MS, MAX_OFFSET_MS);
}
