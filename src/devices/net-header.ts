// virtio_net_hdr_v1 (spec 5.1.6), the 12 bytes in front of every frame on the rx and tx
// queues, translated to and from the backend's FrameOffload. VERSION_1 is always
// negotiated, so the header always has num_buffers (12 bytes) whatever MRG_RXBUF says.
// Also the small things the net device files share: their protocol error and log budget.
import type { FrameOffload, NetFrame } from "../backends/net/net-backend.js";
import { QueueProtocolError } from "../virtio/queue-types.js";

export const NET_HDR_BYTES = 12;
export const VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
export const VIRTIO_NET_HDR_F_DATA_VALID = 2;
export const VIRTIO_NET_HDR_GSO_NONE = 0;
export const VIRTIO_NET_HDR_GSO_TCPV4 = 1;
export const VIRTIO_NET_HDR_GSO_UDP = 3;
export const VIRTIO_NET_HDR_GSO_TCPV6 = 4;
export const VIRTIO_NET_HDR_GSO_UDP_L4 = 5;
export const VIRTIO_NET_HDR_GSO_ECN = 0x80;

export const ETH_HEADER_BYTES = 14;
const VLAN_TAG_BYTES = 4;
/** Largest frame either way: a 64 KiB IPv4 packet with its Ethernet header fits. */
export const NET_MAX_FRAME_BYTES = 65550;
/** The TCP checksum field's offset inside the TCP header. */
const TCP_CHECKSUM_OFFSET = 16;

/**
 * A driver mistake that leaves the device no sane way on (a header that is not there, a
 * frame larger than any network carries, a control chain without an ack byte). It is a
 * QueueProtocolError so the device model's guard turns it into DEVICE_NEEDS_RESET with
 * this message, however deep in a service pass it was thrown.
 */
export class NetProtocolError extends QueueProtocolError {
  override name = "NetProtocolError";
}

/** Log lines for per-frame problems are capped: a broken driver can send millions. */
export class LogBudget {
  private used = 0;
  constructor(private readonly limit = 32) {}

  log(sink: ((message: string) => void) | undefined, message: string): void {
    if (!sink || this.used >= this.limit) return;
    this.used++;
    sink(this.used === this.limit ? `${message} (further ones not logged)` : message);
  }
}

/** What was negotiated that changes how frames are framed and checked. */
export interface NetFormat {
  /** MRG_RXBUF: a received frame may span several rx buffers. */
  mergeable: boolean;
  /** CSUM: the driver may send partial checksums (NEEDS_CSUM). */
  hostCsum: boolean;
  /** HOST_TSO4: the driver may send TCPv4 GSO frames. */
  hostTso4: boolean;
  /** GUEST_CSUM: the device may say DATA_VALID / NEEDS_CSUM. */
  guestCsum: boolean;
  /** GUEST_TSO4 (with GUEST_CSUM, which it requires): the device may send TCPv4 GSO frames. */
  guestTso4: boolean;
  /** Largest non-GSO frame the driver may send (MTU plus Ethernet and VLAN headers). */
  txPlainMax: number;
  /** Largest non-GSO frame the device gives the driver (MTU plus Ethernet header). */
  rxPlainMax: number;
}

export interface NetHeader {
  flags: number;
  gsoType: number;
  hdrLen: number;
  gsoSize: number;
  csumStart: number;
  csumOffset: number;
  numBuffers: number;
}

export function decodeNetHeader(bytes: Uint8Array): NetHeader {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    flags: v.getUint8(0), gsoType: v.getUint8(1), hdrLen: v.getUint16(2, true), gsoSize: v.getUint16(4, true),
    csumStart: v.getUint16(6, true), csumOffset: v.getUint16(8, true), numBuffers: v.getUint16(10, true),
  };
}

export function encodeNetHeader(h: NetHeader): Uint8Array {
  const out = new Uint8Array(NET_HDR_BYTES);
  const v = new DataView(out.buffer);
  v.setUint8(0, h.flags);
  v.setUint8(1, h.gsoType);
  v.setUint16(2, h.hdrLen, true);
  v.setUint16(4, h.gsoSize, true);
  v.setUint16(6, h.csumStart, true);
  v.setUint16(8, h.csumOffset, true);
  v.setUint16(10, h.numBuffers, true);
  return out;
}

export type TxDropReason = "runt" | "oversize" | "notNegotiated" | "gsoUnsupported" | "badGso" | "badChecksumOffsets" | "backendError";
export type TxVerdict = { offload: FrameOffload | undefined } | { drop: TxDropReason; why: string };

const GSO_NAMES: Record<number, string> = {
  [VIRTIO_NET_HDR_GSO_UDP]: "UDP (UFO)", [VIRTIO_NET_HDR_GSO_TCPV6]: "TCPV6", [VIRTIO_NET_HDR_GSO_UDP_L4]: "UDP_L4 (USO)",
};

/**
 * Checks a transmitted frame's header against what was negotiated. A frame the device
 * cannot hand on faithfully is dropped (counted, logged by the caller) rather than failing
 * the device: one bad frame should cost one frame, as on a real NIC.
 */
export function txOffload(h: NetHeader, frameLength: number, f: NetFormat): TxVerdict {
  if (frameLength < ETH_HEADER_BYTES) return { drop: "runt", why: `${frameLength}-byte frame is shorter than an Ethernet header` };
  const offload: FrameOffload = {};
  if (h.gsoType !== VIRTIO_NET_HDR_GSO_NONE) {
    if (h.gsoType & VIRTIO_NET_HDR_GSO_ECN) return { drop: "gsoUnsupported", why: "GSO with ECN, but HOST_ECN is not offered" };
    if (h.gsoType !== VIRTIO_NET_HDR_GSO_TCPV4) {
      return { drop: "gsoUnsupported", why: `GSO type ${GSO_NAMES[h.gsoType] ?? h.gsoType} is not offered` };
    }
    if (!f.hostTso4) return { drop: "notNegotiated", why: "TCPV4 GSO without HOST_TSO4 negotiated" };
    // Spec 5.1.6.2.1: a GSO frame MUST carry NEEDS_CSUM and a gso_size.
    if (!(h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)) return { drop: "badGso", why: "GSO frame without NEEDS_CSUM" };
    if (h.gsoSize === 0) return { drop: "badGso", why: "GSO frame with gso_size 0" };
    offload.tcpSegmentSize = h.gsoSize;
  } else if (frameLength > f.txPlainMax) {
    return { drop: "oversize", why: `${frameLength}-byte frame without GSO exceeds ${f.txPlainMax} bytes` };
  }
  if (h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
    if (!f.hostCsum) return { drop: "notNegotiated", why: "NEEDS_CSUM without CSUM negotiated" };
    if (h.csumStart + h.csumOffset + 2 > frameLength) {
      return { drop: "badChecksumOffsets", why: `checksum at ${h.csumStart}+${h.csumOffset} lies outside the ${frameLength}-byte frame` };
    }
    offload.partialChecksum = { start: h.csumStart, offset: h.csumOffset };
  }
  return { offload: offload.partialChecksum || offload.tcpSegmentSize ? offload : undefined };
}

export type RxDropReason = "runt" | "oversize" | "badGso" | "noRoom" | "reset";

/** A frame ready to go into rx buffers: header (num_buffers filled in at placement), then pieces. */
export interface RxPlan {
  header: Uint8Array;
  pieces: Uint8Array[];
  /** Header plus frame bytes. */
  total: number;
  frameBytes: number;
}

/** Builds the rx header for a backend frame, or says why the driver cannot be given it. */
export function rxPlan(frame: NetFrame, f: NetFormat): RxPlan | { drop: RxDropReason; why: string } {
  const bytes = frame.bytes;
  const len = bytes.length;
  const o = frame.offload;
  if (len < ETH_HEADER_BYTES) return { drop: "runt", why: `${len}-byte frame is shorter than an Ethernet header` };
  const header: NetHeader = { flags: 0, gsoType: 0, hdrLen: 0, gsoSize: 0, csumStart: 0, csumOffset: 0, numBuffers: 1 };
  let pieces = [bytes];
  if (o?.tcpSegmentSize && f.guestTso4) {
    if (len > NET_MAX_FRAME_BYTES) return { drop: "oversize", why: `${len}-byte GSO frame exceeds ${NET_MAX_FRAME_BYTES} bytes` };
    const tcp = tcpIpv4Headers(bytes);
    if (!tcp || o.tcpSegmentSize > 0xffff) return { drop: "badGso", why: `TSO frame of ${len} bytes is not a well-formed TCP/IPv4 packet` };
    // Spec 5.1.6.4.1: a GSO frame MUST carry NEEDS_CSUM, and with NEEDS_CSUM the checksum
    // field holds the pseudo-header sum (the backend may have left it zero or complete).
    const prefix = bytes.slice(0, tcp.headerEnd);
    const sum = pseudoHeaderSum(bytes, tcp.l3, tcp.tcpLength);
    prefix[tcp.l4 + TCP_CHECKSUM_OFFSET] = sum >> 8;
    prefix[tcp.l4 + TCP_CHECKSUM_OFFSET + 1] = sum & 0xff;
    pieces = [prefix, bytes.subarray(tcp.headerEnd)];
    Object.assign(header, {
      flags: VIRTIO_NET_HDR_F_NEEDS_CSUM, gsoType: VIRTIO_NET_HDR_GSO_TCPV4, hdrLen: tcp.headerEnd, gsoSize: o.tcpSegmentSize,
      csumStart: tcp.l4, csumOffset: TCP_CHECKSUM_OFFSET,
    });
  } else {
    if (len > f.rxPlainMax) return { drop: "oversize", why: `${len}-byte frame exceeds the guest's ${f.rxPlainMax} bytes` };
    if (o?.checksumValid && f.guestCsum) header.flags = VIRTIO_NET_HDR_F_DATA_VALID;
  }
  return { header: encodeNetHeader(header), pieces, total: NET_HDR_BYTES + len, frameBytes: len };
}

export interface TcpIpv4Headers {
  /** Offset of the IPv4 header. */
  l3: number;
  /** Offset of the TCP header. */
  l4: number;
  /** Offset of the TCP payload: Ethernet + IP + TCP header bytes (hdr_len). */
  headerEnd: number;
  /** TCP header plus payload, from the IPv4 total length. */
  tcpLength: number;
}

/** Finds the headers of an Ethernet (optionally VLAN-tagged) TCP/IPv4 frame, or undefined. */
export function tcpIpv4Headers(b: Uint8Array): TcpIpv4Headers | undefined {
  const be16 = (at: number) => (b[at]! << 8) | b[at + 1]!;
  if (b.length < ETH_HEADER_BYTES) return undefined;
  let l3 = ETH_HEADER_BYTES;
  let type = be16(12);
  if (type === 0x8100 && b.length >= ETH_HEADER_BYTES + VLAN_TAG_BYTES) {
    type = be16(16);
    l3 += VLAN_TAG_BYTES;
  }
  if (type !== 0x0800 || b.length < l3 + 20) return undefined;
  const ihl = (b[l3]! & 0x0f) * 4;
  const totalLength = be16(l3 + 2);
  if (b[l3]! >> 4 !== 4 || ihl < 20 || b[l3 + 9] !== 6) return undefined;
  if (totalLength < ihl + 20 || l3 + totalLength > b.length) return undefined;
  const l4 = l3 + ihl;
  const tcpHeader = (b[l4 + 12]! >> 4) * 4;
  if (tcpHeader < 20 || ihl + tcpHeader > totalLength) return undefined;
  return { l3, l4, headerEnd: l4 + tcpHeader, tcpLength: totalLength - ihl };
}

/** The folded (not inverted) ones'-complement sum of the TCP/IPv4 pseudo-header. */
export function pseudoHeaderSum(b: Uint8Array, l3: number, tcpLength: number): number {
  let sum = 6 + tcpLength; // protocol (TCP) and TCP length
  for (let at = l3 + 12; at < l3 + 20; at += 2) sum += (b[at]! << 8) | b[at + 1]!; // source, destination
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}
