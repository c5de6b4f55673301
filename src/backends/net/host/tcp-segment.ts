// TCP segments (RFC 9293): parsing what the guest sends, building what we send, and
// 32-bit sequence-number arithmetic.
import type { MacAddress } from "./addresses.js";
import { readU16, readU32, writeU16, writeU32 } from "./bytes.js";
import { checksumVerifies, finishChecksum, onesComplementSum, pseudoHeaderSum } from "../checksum.js";
import type { Ipv4Packet } from "./ipv4.js";
import { buildIpv4Frame, IPV4_HEADER_BYTES, IPV4_PAYLOAD_OFFSET, MAX_IPV4_PACKET_BYTES, PROTOCOL_TCP } from "./ipv4.js";
import type { DropReason } from "./stats.js";

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

export const TCP_HEADER_BYTES = 20;
/** The most payload one IPv4 packet can carry after a 20-byte TCP header. */
export const MAX_TCP_PAYLOAD = MAX_IPV4_PACKET_BYTES - IPV4_HEADER_BYTES - TCP_HEADER_BYTES;

const OPT_END = 0;
const OPT_NOP = 1;
const OPT_MSS = 2;
const OPT_WSCALE = 3;

export interface TcpSegment {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  /** The raw 16-bit window field (not yet scaled). */
  window: number;
  /** Options, read from SYN segments only (the only place they mean anything to us). */
  mss?: number;
  wscale?: number;
  /** A view into the received frame, valid only during the call. */
  payload: Uint8Array;
}

export function parseTcp(packet: Ipv4Packet): TcpSegment | DropReason {
  const { bytes, payloadStart: start, payloadEnd: end } = packet;
  if (end - start < TCP_HEADER_BYTES) return "truncated";
  const headerBytes = ((bytes[start + 12] ?? 0) >>> 4) * 4;
  if (headerBytes < TCP_HEADER_BYTES || start + headerBytes > end) return "bad-length";
  // A partial checksum (guest checksum offload) holds only the pseudo-header sum: skip it.
  if (!packet.checksumsUnverifiable) {
    const pseudo = pseudoHeaderSum(packet.src, packet.dst, PROTOCOL_TCP, end - start);
    if (!checksumVerifies(bytes, start, end, pseudo)) return "bad-checksum";
  }
  const segment: TcpSegment = {
    srcPort: readU16(bytes, start),
    dstPort: readU16(bytes, start + 2),
    seq: readU32(bytes, start + 4),
    ack: readU32(bytes, start + 8),
    flags: (bytes[start + 13] ?? 0) & 0x3f,
    window: readU16(bytes, start + 14),
    payload: bytes.subarray(start + headerBytes, end),
  };
  if ((segment.flags & TCP_SYN) !== 0) readSynOptions(bytes, start + TCP_HEADER_BYTES, start + headerBytes, segment);
  return segment;
}

/** Reads MSS and window scale; a malformed option list ends the reading, not the segment. */
function readSynOptions(bytes: Uint8Array, start: number, end: number, into: TcpSegment): void {
  let i = start;
  while (i < end) {
    const kind = bytes[i] ?? OPT_END;
    if (kind === OPT_END) return;
    if (kind === OPT_NOP) {
      i++;
      continue;
    }
    const length = bytes[i + 1] ?? 0;
    if (length < 2 || i + length > end) return;
    if (kind === OPT_MSS && length === 4) into.mss = readU16(bytes, i + 2);
    else if (kind === OPT_WSCALE && length === 3) into.wscale = bytes[i + 2] ?? 0;
    i += length;
  }
}

export interface TcpFrameSpec {
  srcMac: MacAddress;
  dstMac: MacAddress;
  src: number;
  dst: number;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  /** SYN-ACK options. */
  mss?: number;
  wscale?: number;
  payloadLength: number;
  /** Build in this buffer if it is large enough (buildIpv4Frame); the caller writes the payload. */
  into?: Uint8Array;
}

/**
 * Builds a frame with the headers written and `payloadLength` zero bytes of payload at the
 * returned offset; the caller copies the payload in and then calls finishTcpChecksum (or
 * skips it when the guest accepts checksum offload).
 */
export function buildTcpFrame(spec: TcpFrameSpec): { frame: Uint8Array; payloadOffset: number } {
  const optionBytes = (spec.mss !== undefined ? 4 : 0) + (spec.wscale !== undefined ? 4 : 0);
  const headerBytes = TCP_HEADER_BYTES + optionBytes;
  const frame = buildIpv4Frame({
    dstMac: spec.dstMac,
    srcMac: spec.srcMac,
    src: spec.src,
    dst: spec.dst,
    protocol: PROTOCOL_TCP,
    payloadLength: headerBytes + spec.payloadLength,
    ...(spec.into === undefined ? {} : { into: spec.into }),
  });
  const t = IPV4_PAYLOAD_OFFSET;
  if (spec.into !== undefined) frame.fill(0, t, t + headerBytes); // a reused buffer's old header
  writeU16(frame, t, spec.srcPort);
  writeU16(frame, t + 2, spec.dstPort);
  writeU32(frame, t + 4, spec.seq);
  writeU32(frame, t + 8, spec.ack);
  frame[t + 12] = (headerBytes / 4) << 4;
  frame[t + 13] = spec.flags;
  writeU16(frame, t + 14, spec.window);
  let o = t + TCP_HEADER_BYTES;
  if (spec.mss !== undefined) {
    frame[o] = OPT_MSS;
    frame[o + 1] = 4;
    writeU16(frame, o + 2, spec.mss);
    o += 4;
  }
  if (spec.wscale !== undefined) {
    frame[o] = OPT_NOP;
    frame[o + 1] = OPT_WSCALE;
    frame[o + 2] = 3;
    frame[o + 3] = spec.wscale;
  }
  return { frame, payloadOffset: t + headerBytes };
}

/** Fills in the TCP checksum of a frame from buildTcpFrame. */
export function finishTcpChecksum(frame: Uint8Array, src: number, dst: number): void {
  const t = IPV4_PAYLOAD_OFFSET;
  const tcpLength = readU16(frame, t - IPV4_HEADER_BYTES + 2) - IPV4_HEADER_BYTES;
  const sum = onesComplementSum(frame, t, t + tcpLength, pseudoHeaderSum(src, dst, PROTOCOL_TCP, tcpLength));
  writeU16(frame, t + 16, finishChecksum(sum));
}

// Sequence numbers live modulo 2^32; comparisons look at the signed 32-bit difference.

export function seqAdd(seq: number, n: number): number {
  return (seq + n) >>> 0;
}

/** a - b as a signed 32-bit number. */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

export function seqLt(a: number, b: number): boolean {
  return seqDiff(a, b) < 0;
}

export function seqLe(a: number, b: number): boolean {
  return seqDiff(a, b) <= 0;
}

export function seqGt(a: number, b: number): boolean {
  return seqDiff(a, b) > 0;
}

export function seqGe(a: number, b: number): boolean {
  return seqDiff(a, b) >= 0;
}

/** A complete RST (or RST+ACK) frame with its checksum, for ports and connections that are gone. */
export function buildReset(spec: Omit<TcpFrameSpec, "window" | "payloadLength" | "mss" | "wscale">): Uint8Array {
  const { frame } = buildTcpFrame({ ...spec, window: 0, payloadLength: 0 });
  finishTcpChecksum(frame, spec.src, spec.dst);
  return frame;
}
