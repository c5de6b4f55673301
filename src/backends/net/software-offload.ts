// What a NIC does in hardware for a guest that negotiated checksum and segmentation
// offload, done in software for the backends whose far side wants plain frames (a relay to
// a real network, a guest that did not negotiate the offload): finish a partial L4
// checksum, and cut a TSO frame into MSS-sized TCP/IPv4 segments (what Linux's
// tcp_gso_segment does). Inputs are never modified: one guest frame can go to several
// places (the switch sends a broadcast both ways), so every result is a fresh array.
import { finishChecksum, foldSum, onesComplementSum as unfoldedSum } from "./checksum.js";
import type { NetFrame } from "./net-backend.js";

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_VLAN = 0x8100;
const IP_PROTO_TCP = 6;
const TCP_FIN = 0x01;
const TCP_PSH = 0x08;
const TCP_CWR = 0x80;

/** A frame the offload metadata does not fit (not TCP/IPv4, truncated headers, bad MSS). */
export class OffloadError extends Error {
  override name = "OffloadError";
}

/**
 * The 16-bit ones' complement sum of bytes[start, end), folded, not complemented (an odd
 * last byte counts as its high byte), added to `initial` (an earlier folded sum).
 */
/** Folded ones-complement sum of bytes[start, end), plus an optional sum. */
export function onesComplementSum(bytes: Uint8Array, start: number, end: number, initial = 0): number {
  return foldSum(unfoldedSum(bytes, start, end, initial));
}

/** The Internet checksum (RFC 1071) of bytes[start, end), plus an optional sum. */
export function internetChecksum(bytes: Uint8Array, start: number, end: number, initial = 0): number {
  return finishChecksum(unfoldedSum(bytes, start, end, initial));
}

function be16(b: Uint8Array, at: number): number {
  return ((b[at] ?? 0) << 8) | (b[at + 1] ?? 0);
}

function put16(b: Uint8Array, at: number, value: number): void {
  b[at] = (value >>> 8) & 0xff;
  b[at + 1] = value & 0xff;
}

/**
 * Finishes a partial checksum (VIRTIO_NET_HDR_F_NEEDS_CSUM): the 16-bit field at
 * start + offset already holds the pseudo-header sum, so summing everything from `start`
 * to the end of the frame, field included, gives the whole sum. Returns a copy. A result
 * of 0 is written as 0xffff like Linux's skb_checksum_help (the same value in ones'
 * complement, and the only valid form for UDP, where 0 means "no checksum").
 */
export function completePartialChecksum(bytes: Uint8Array, start: number, offset: number): Uint8Array {
  const field = start + offset;
  if (!Number.isInteger(start) || !Number.isInteger(offset) || start < 0 || offset < 0 || field + 2 > bytes.length) {
    throw new OffloadError(`partial checksum at ${start}+${offset} outside a ${bytes.length}-byte frame`);
  }
  const out = bytes.slice();
  const checksum = internetChecksum(out, start, out.length);
  put16(out, field, checksum === 0 ? 0xffff : checksum);
  return out;
}

interface Tcp4Layout {
  ip: number; // offset of the IPv4 header
  ipHeaderBytes: number;
  tcp: number; // offset of the TCP header
  payload: number; // offset of the TCP payload
  end: number; // end of the IP datagram (Ethernet padding excluded)
}

function tcp4Layout(b: Uint8Array): Tcp4Layout {
  let ip = 14;
  let etherType = be16(b, 12);
  if (etherType === ETHERTYPE_VLAN) {
    ip = 18;
    etherType = be16(b, 16);
  }
  if (b.length < ip + 20 || etherType !== ETHERTYPE_IPV4) throw new OffloadError("TSO frame is not IPv4");
  const ipHeaderBytes = ((b[ip] ?? 0) & 0x0f) * 4;
  if ((b[ip] ?? 0) >> 4 !== 4 || ipHeaderBytes < 20) throw new OffloadError("TSO frame has a bad IPv4 header");
  if (b[ip + 9] !== IP_PROTO_TCP) throw new OffloadError("TSO frame is not TCP");
  // Total length 0 is how Linux marks a GSO datagram over 64 KiB: the frame's end counts.
  const total = be16(b, ip + 2);
  const end = total !== 0 && ip + total <= b.length ? ip + total : b.length;
  const tcp = ip + ipHeaderBytes;
  if (tcp + 20 > end) throw new OffloadError("TSO frame truncated in the TCP header");
  const payload = tcp + ((b[tcp + 12] ?? 0) >> 4) * 4;
  if (payload < tcp + 20 || payload > end) throw new OffloadError("TSO frame has a bad TCP data offset");
  return { ip, ipHeaderBytes, tcp, payload, end };
}

/**
 * Cuts a TCP/IPv4 frame into segments of at most `mss` payload bytes. Each segment has
 * the original Ethernet, IP and TCP headers (options included) with: IP total length and
 * checksum recomputed, IP id incremented per segment, sequence number advanced, FIN and
 * PSH kept only on the last segment and CWR only on the first (as Linux does), and a full
 * TCP checksum. The urgent pointer is copied unchanged (URG with TSO does not occur in
 * practice). A payload that fits one segment still gets fresh checksums.
 */
export function segmentTcp4(bytes: Uint8Array, mss: number): Uint8Array[] {
  if (!Number.isInteger(mss) || mss < 1) throw new OffloadError(`bad TCP segment size ${mss}`);
  const { ip, ipHeaderBytes, tcp, payload, end } = tcp4Layout(bytes);
  const payloadBytes = end - payload;
  const count = Math.max(1, Math.ceil(payloadBytes / mss));
  const id = be16(bytes, ip + 4);
  const seq = ((bytes[tcp + 4] ?? 0) * 0x1000000 + be16(bytes, tcp + 5) * 0x100 + (bytes[tcp + 7] ?? 0)) >>> 0;
  const flags = bytes[tcp + 13] ?? 0;
  const tcpHeaderBytes = payload - tcp;
  const segments: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const from = payload + i * mss;
    const length = Math.min(mss, end - from);
    const seg = new Uint8Array(payload + length);
    seg.set(bytes.subarray(0, payload));
    seg.set(bytes.subarray(from, from + length), payload);

    put16(seg, ip + 2, ipHeaderBytes + tcpHeaderBytes + length);
    put16(seg, ip + 4, (id + i) & 0xffff);
    put16(seg, ip + 10, 0);
    put16(seg, ip + 10, internetChecksum(seg, ip, tcp));

    const s = (seq + i * mss) >>> 0;
    seg[tcp + 4] = s >>> 24;
    seg[tcp + 5] = (s >>> 16) & 0xff;
    seg[tcp + 6] = (s >>> 8) & 0xff;
    seg[tcp + 7] = s & 0xff;
    let f = flags;
    if (i < count - 1) f &= ~(TCP_FIN | TCP_PSH);
    if (i > 0) f &= ~TCP_CWR;
    seg[tcp + 13] = f;

    // Pseudo-header: source and destination addresses, protocol, TCP length.
    const tcpLength = tcpHeaderBytes + length;
    const pseudo = onesComplementSum(seg, ip + 12, ip + 20, IP_PROTO_TCP + tcpLength);
    put16(seg, tcp + 16, 0);
    put16(seg, tcp + 16, internetChecksum(seg, tcp, seg.length, pseudo));
    segments.push(seg);
  }
  return segments;
}

/**
 * The plain frames (no offload metadata, real checksums) that `frame` stands for: TSO
 * frames segmented, partial checksums finished, anything else passed through as is.
 * Throws OffloadError when the metadata does not fit the frame; callers drop and count it.
 */
export function softwareOffload(frame: NetFrame): Uint8Array[] {
  const offload = frame.offload;
  if (offload?.tcpSegmentSize !== undefined) return segmentTcp4(frame.bytes, offload.tcpSegmentSize);
  if (offload?.partialChecksum) {
    return [completePartialChecksum(frame.bytes, offload.partialChecksum.start, offload.partialChecksum.offset)];
  }
  return [frame.bytes];
}

/** Whether `frame` needs softwareOffload before it may go to a plain-frame peer. */
export function hasTransmitOffload(frame: NetFrame): boolean {
  return frame.offload?.tcpSegmentSize !== undefined || frame.offload?.partialChecksum !== undefined;
}
