// UDP (RFC 768): parsing datagrams to the router and building replies. The router's UDP
// services (DHCP, DNS, echo) are functions from a datagram to an optional reply.
import type { MacAddress } from "./addresses.js";
import { readU16, writeU16 } from "./bytes.js";
import { checksumVerifies, finishChecksum, onesComplementSum, pseudoHeaderSum } from "../checksum.js";
import type { Ipv4Packet } from "./ipv4.js";
import { buildIpv4Frame, IPV4_PAYLOAD_OFFSET, PROTOCOL_UDP } from "./ipv4.js";
import type { DropReason } from "./stats.js";

export const UDP_HEADER_BYTES = 8;

export interface UdpDatagram {
  packet: Ipv4Packet;
  srcPort: number;
  dstPort: number;
  /** A view into the received frame, valid only during the call. */
  payload: Uint8Array;
}

export interface UdpReply {
  payload: Uint8Array;
  /** Defaults to the sender's address and MAC (DHCP may answer by broadcast instead). */
  dstIp?: number;
  dstMac?: MacAddress;
}

/** A reply, nothing (not counted), or a reason to count a drop. */
export type UdpService = (datagram: UdpDatagram) => UdpReply | DropReason | undefined;

export function parseUdp(packet: Ipv4Packet): UdpDatagram | DropReason {
  const { bytes, payloadStart, payloadEnd } = packet;
  if (payloadEnd - payloadStart < UDP_HEADER_BYTES) return "truncated";
  const length = readU16(bytes, payloadStart + 4);
  if (length < UDP_HEADER_BYTES || payloadStart + length > payloadEnd) return "bad-length";
  const checksum = readU16(bytes, payloadStart + 6);
  // A zero checksum means the sender did not compute one (allowed for UDP over IPv4).
  if (checksum !== 0 && !packet.checksumsUnverifiable) {
    const pseudo = pseudoHeaderSum(packet.src, packet.dst, PROTOCOL_UDP, length);
    if (!checksumVerifies(bytes, payloadStart, payloadStart + length, pseudo)) return "bad-checksum";
  }
  return {
    packet,
    srcPort: readU16(bytes, payloadStart),
    dstPort: readU16(bytes, payloadStart + 2),
    payload: bytes.subarray(payloadStart + UDP_HEADER_BYTES, payloadStart + length),
  };
}

export interface UdpFrameSpec {
  srcMac: MacAddress;
  dstMac: MacAddress;
  src: number;
  dst: number;
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

/** A complete frame with a real UDP checksum (replies are small; DHCP clients check it). */
export function buildUdpFrame(spec: UdpFrameSpec): Uint8Array {
  const length = UDP_HEADER_BYTES + spec.payload.length;
  const frame = buildIpv4Frame({
    dstMac: spec.dstMac,
    srcMac: spec.srcMac,
    src: spec.src,
    dst: spec.dst,
    protocol: PROTOCOL_UDP,
    payloadLength: length,
  });
  const udp = IPV4_PAYLOAD_OFFSET;
  writeU16(frame, udp, spec.srcPort);
  writeU16(frame, udp + 2, spec.dstPort);
  writeU16(frame, udp + 4, length);
  frame.set(spec.payload, udp + UDP_HEADER_BYTES);
  const sum = onesComplementSum(frame, udp, udp + length, pseudoHeaderSum(spec.src, spec.dst, PROTOCOL_UDP, length));
  // A computed checksum of zero is sent as all ones (zero means "none").
  writeU16(frame, udp + 6, finishChecksum(sum) || 0xffff);
  return frame;
}

/** The echo service (RFC 862): the payload comes back unchanged. */
export const udpEcho: UdpService = (datagram) => ({ payload: datagram.payload.slice() });
