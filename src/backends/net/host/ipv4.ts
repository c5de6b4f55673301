// IPv4: validating headers from the guest and writing headers for frames we build.
import type { NetFrame } from "../net-backend.js";
import type { MacAddress } from "./addresses.js";
import { readIpv4, writeIpv4 } from "./addresses.js";
import { readU16, writeU16 } from "./bytes.js";
import { checksumVerifies, finishChecksum, onesComplementSum } from "../checksum.js";
import { allocFrame, ETH_HEADER_BYTES, ETHERTYPE_IPV4, MIN_FRAME_BYTES, sourceMac, writeEthernetHeader } from "./ethernet.js";
import type { DropReason } from "./stats.js";

export const IPV4_HEADER_BYTES = 20;
export const PROTOCOL_ICMP = 1;
export const PROTOCOL_TCP = 6;
export const PROTOCOL_UDP = 17;
/** The largest IPv4 packet (the total-length field is 16 bits). */
export const MAX_IPV4_PACKET_BYTES = 65535;
/** The largest Ethernet frame carrying one. */
export const MAX_IPV4_FRAME_BYTES = ETH_HEADER_BYTES + MAX_IPV4_PACKET_BYTES;

/** A received IPv4 packet: offsets into the frame, nothing copied but the sender's MAC. */
export interface Ipv4Packet {
  bytes: Uint8Array;
  srcMac: MacAddress;
  src: number;
  dst: number;
  protocol: number;
  /** Where the L4 header starts and where the packet ends (Ethernet padding excluded). */
  payloadStart: number;
  payloadEnd: number;
  /**
   * The guest offloaded checksums (partial L4 checksum): nothing may be verified. Otherwise
   * the IPv4 header has been verified and L4 checksums must be.
   */
  checksumsUnverifiable: boolean;
}

/** Parses and validates the IPv4 packet in an Ethernet frame whose type is IPv4. */
export function parseIpv4(frame: NetFrame): Ipv4Packet | DropReason {
  const bytes = frame.bytes;
  const start = ETH_HEADER_BYTES;
  if (bytes.length < start + IPV4_HEADER_BYTES) return "truncated";
  const versionIhl = bytes[start] ?? 0;
  const headerBytes = (versionIhl & 0x0f) * 4;
  if (versionIhl >>> 4 !== 4 || headerBytes < IPV4_HEADER_BYTES) return "bad-header";
  const totalLength = readU16(bytes, start + 2);
  // Ethernet may pad a short packet, never cut one: the total length must fit in the frame.
  if (totalLength < headerBytes || start + totalLength > bytes.length) return "bad-length";
  const unverifiable = frame.offload?.partialChecksum !== undefined;
  if (!unverifiable && !checksumVerifies(bytes, start, start + headerBytes)) return "bad-checksum";
  const flagsFragment = readU16(bytes, start + 6);
  // More-fragments set or a non-zero offset: we do not reassemble.
  if ((flagsFragment & 0x3fff) !== 0) return "fragment";
  return {
    bytes,
    srcMac: sourceMac(bytes),
    src: readIpv4(bytes, start + 12),
    dst: readIpv4(bytes, start + 16),
    protocol: bytes[start + 9] ?? 0,
    payloadStart: start + headerBytes,
    payloadEnd: start + totalLength,
    checksumsUnverifiable: unverifiable,
  };
}

export interface Ipv4FrameSpec {
  dstMac: MacAddress;
  srcMac: MacAddress;
  src: number;
  dst: number;
  protocol: number;
  /** Bytes after the IPv4 header. */
  payloadLength: number;
  /**
   * A buffer to build the frame in instead of a new one, if it is large enough (the frame
   * is a view of its start; the caller must write every byte past the headers).
   */
  into?: Uint8Array;
}

let nextIdentification = 1;

/**
 * Allocates a frame and writes its Ethernet and IPv4 headers (with the header checksum,
 * which receivers check even when L4 checksums are offloaded). The payload starts at
 * ETH_HEADER_BYTES + IPV4_HEADER_BYTES.
 */
export function buildIpv4Frame(spec: Ipv4FrameSpec): Uint8Array {
  const totalLength = IPV4_HEADER_BYTES + spec.payloadLength;
  const frameLength = ETH_HEADER_BYTES + totalLength;
  const reuse = spec.into !== undefined && frameLength >= MIN_FRAME_BYTES && spec.into.length >= frameLength;
  const frame = reuse ? spec.into!.subarray(0, frameLength) : allocFrame(frameLength);
  if (reuse) frame.fill(0, 0, ETH_HEADER_BYTES + IPV4_HEADER_BYTES);
  writeEthernetHeader(frame, spec.dstMac, spec.srcMac, ETHERTYPE_IPV4);
  const ip = ETH_HEADER_BYTES;
  frame[ip] = 0x45;
  writeU16(frame, ip + 2, totalLength);
  writeU16(frame, ip + 4, nextIdentification);
  nextIdentification = (nextIdentification + 1) & 0xffff;
  frame[ip + 6] = 0x40; // don't fragment: we never send anything that would need it
  frame[ip + 8] = 64;
  frame[ip + 9] = spec.protocol;
  writeIpv4(frame, ip + 12, spec.src);
  writeIpv4(frame, ip + 16, spec.dst);
  writeU16(frame, ip + 10, finishChecksum(onesComplementSum(frame, ip, ip + IPV4_HEADER_BYTES)));
  return frame;
}

export const IPV4_PAYLOAD_OFFSET = ETH_HEADER_BYTES + IPV4_HEADER_BYTES;
