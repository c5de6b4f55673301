// The wisp wire format (MercuryWorkshop/wisp-protocol, v1 and the v2 draft): every packet
// is `u8 type, u32 little-endian stream id, payload`, one packet per WebSocket message.
// Decoding never throws: the server is not trusted, so a malformed packet comes back as an
// error string for the session to count, log or fail the connection on.

export const PACKET_CONNECT = 0x01;
export const PACKET_DATA = 0x02;
export const PACKET_CONTINUE = 0x03;
export const PACKET_CLOSE = 0x04;
export const PACKET_INFO = 0x05;

export const STREAM_TCP = 0x01;
export const STREAM_UDP = 0x02;

/** Stream id 0 is the connection itself (the handshake's CONTINUE, INFO and CLOSE). */
export const CONNECTION_STREAM_ID = 0;

const HEADER_BYTES = 5;

/** Close reasons from the spec; other values are legal on the wire and shown as numbers. */
export const CLOSE_REASONS = {
  0x01: "unspecified",
  0x02: "voluntary",
  0x03: "network error",
  0x04: "incompatible extensions",
  0x41: "invalid destination",
  0x42: "destination unreachable",
  0x43: "connection timed out",
  0x44: "connection refused",
  0x47: "transfer timed out",
  0x48: "destination blocked by the server",
  0x49: "throttled by the server",
  0x81: "client cannot receive more data",
  0xc0: "authentication failed (password)",
  0xc1: "authentication failed (signature)",
  0xc2: "authentication required",
} as const satisfies Record<number, string>;

export const CLOSE_UNSPECIFIED = 0x01;
export const CLOSE_VOLUNTARY = 0x02;
export const CLOSE_NETWORK_ERROR = 0x03;
export const CLOSE_INCOMPATIBLE = 0x04;
export const CLOSE_CLIENT_OVERRUN = 0x81;

export function closeReasonName(reason: number): string {
  const name = (CLOSE_REASONS as Record<number, string | undefined>)[reason];
  return `${name ?? "unknown reason"} (0x${reason.toString(16).padStart(2, "0")})`;
}

export type WispPacket =
  | { kind: "connect"; streamId: number; streamType: number; port: number; hostname: string }
  | { kind: "data"; streamId: number; data: Uint8Array }
  | { kind: "continue"; streamId: number; bufferRemaining: number }
  | { kind: "close"; streamId: number; reason: number }
  | { kind: "info"; streamId: number; major: number; minor: number; extensions: Uint8Array };

export type Decoded = WispPacket | { kind: "malformed"; error: string };

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

function packet(type: number, streamId: number, payloadBytes: number): { bytes: Uint8Array; view: DataView } {
  const bytes = new Uint8Array(HEADER_BYTES + payloadBytes);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, type);
  view.setUint32(1, streamId >>> 0, true);
  return { bytes, view };
}

/** One packet as a WebSocket message. DATA copies its payload (one allocation per packet). */
export function encodePacket(p: WispPacket): Uint8Array {
  switch (p.kind) {
    case "connect": {
      const name = encoder.encode(p.hostname);
      const { bytes, view } = packet(PACKET_CONNECT, p.streamId, 3 + name.length);
      view.setUint8(5, p.streamType);
      view.setUint16(6, p.port, true);
      bytes.set(name, 8);
      return bytes;
    }
    case "data": {
      const { bytes } = packet(PACKET_DATA, p.streamId, p.data.length);
      bytes.set(p.data, HEADER_BYTES);
      return bytes;
    }
    case "continue": {
      const { bytes, view } = packet(PACKET_CONTINUE, p.streamId, 4);
      view.setUint32(5, p.bufferRemaining >>> 0, true);
      return bytes;
    }
    case "close": {
      const { bytes, view } = packet(PACKET_CLOSE, p.streamId, 1);
      view.setUint8(5, p.reason);
      return bytes;
    }
    case "info": {
      const { bytes, view } = packet(PACKET_INFO, p.streamId, 2 + p.extensions.length);
      view.setUint8(5, p.major);
      view.setUint8(6, p.minor);
      bytes.set(p.extensions, 7);
      return bytes;
    }
  }
}

/**
 * One received message. DATA and INFO payloads are views into `bytes`, not copies: the
 * caller owns the message and must not reuse it while they are alive.
 */
export function decodePacket(bytes: Uint8Array): Decoded {
  if (bytes.length < HEADER_BYTES) return { kind: "malformed", error: `a ${bytes.length}-byte message is shorter than a packet header` };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = view.getUint8(0);
  const streamId = view.getUint32(1, true);
  const length = bytes.length - HEADER_BYTES;
  const exact = (want: number, name: string): string | undefined =>
    length === want ? undefined : `${name} with a ${length}-byte payload (want ${want})`;
  switch (type) {
    case PACKET_DATA:
      return { kind: "data", streamId, data: bytes.subarray(HEADER_BYTES) };
    case PACKET_CONTINUE: {
      const error = exact(4, "CONTINUE");
      return error ? { kind: "malformed", error } : { kind: "continue", streamId, bufferRemaining: view.getUint32(5, true) };
    }
    case PACKET_CLOSE: {
      const error = exact(1, "CLOSE");
      return error ? { kind: "malformed", error } : { kind: "close", streamId, reason: view.getUint8(5) };
    }
    case PACKET_INFO:
      if (length < 2) return { kind: "malformed", error: `INFO with a ${length}-byte payload (want at least 2)` };
      return { kind: "info", streamId, major: view.getUint8(5), minor: view.getUint8(6), extensions: bytes.subarray(7) };
    case PACKET_CONNECT: {
      if (length < 3) return { kind: "malformed", error: `CONNECT with a ${length}-byte payload (want at least 3)` };
      let hostname: string;
      try {
        hostname = decoder.decode(bytes.subarray(8));
      } catch {
        return { kind: "malformed", error: "CONNECT with a hostname that is not UTF-8" };
      }
      return { kind: "connect", streamId, streamType: view.getUint8(5), port: view.getUint16(6, true), hostname };
    }
    default:
      return { kind: "malformed", error: `unknown packet type 0x${type.toString(16).padStart(2, "0")}` };
  }
}

/** One entry of an INFO packet's extension list (v2). */
export interface WispExtension {
  readonly id: number;
  readonly payload: Uint8Array;
}

export const EXTENSION_UDP = 0x01;
export const EXTENSION_PASSWORD = 0x02;
export const EXTENSION_KEY_AUTH = 0x03;
export const EXTENSION_MOTD = 0x04;
export const EXTENSION_OPEN_CONFIRMATION = 0x05;

/** More entries than this is not a real server (the spec defines five extensions). */
const MAX_EXTENSIONS = 64;

/** Parses `u8 id, u32 LE length, payload` entries; a length past the end is an error. */
export function parseExtensions(bytes: Uint8Array): WispExtension[] | { error: string } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: WispExtension[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (out.length >= MAX_EXTENSIONS) return { error: `more than ${MAX_EXTENSIONS} extensions` };
    if (bytes.length - at < 5) return { error: `an extension header cut short at byte ${at}` };
    const id = view.getUint8(at);
    const length = view.getUint32(at + 1, true);
    if (length > bytes.length - at - 5) return { error: `extension 0x${id.toString(16)} claims ${length} bytes, ${bytes.length - at - 5} left` };
    out.push({ id, payload: bytes.subarray(at + 5, at + 5 + length) });
    at += 5 + length;
  }
  return out;
}

/** Extension entries for a client INFO. */
export function encodeExtensions(extensions: readonly WispExtension[]): Uint8Array {
  const total = extensions.reduce((n, e) => n + 5 + e.payload.length, 0);
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  let at = 0;
  for (const e of extensions) {
    view.setUint8(at, e.id);
    view.setUint32(at + 1, e.payload.length, true);
    bytes.set(e.payload, at + 5);
    at += 5 + e.payload.length;
  }
  return bytes;
}
