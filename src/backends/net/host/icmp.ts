// ICMP echo (ping) for the router's address. Other ICMP messages are counted and dropped.
import type { SegmentAddresses } from "./addresses.js";
import { writeU16 } from "./bytes.js";
import { checksumVerifies, finishChecksum, onesComplementSum } from "../checksum.js";
import type { Ipv4Packet } from "./ipv4.js";
import { buildIpv4Frame, IPV4_PAYLOAD_OFFSET, PROTOCOL_ICMP } from "./ipv4.js";
import type { DropReason } from "./stats.js";

const ICMP_ECHO_REPLY = 0;
const ICMP_ECHO_REQUEST = 8;
const ICMP_HEADER_BYTES = 8;

/** The echo reply to an ICMP packet addressed to the router, or why there is none. */
export function handleIcmp(packet: Ipv4Packet, addresses: SegmentAddresses): Uint8Array | DropReason {
  const { bytes, payloadStart, payloadEnd } = packet;
  if (payloadEnd - payloadStart < ICMP_HEADER_BYTES) return "truncated";
  // Linux never offloads ICMP checksums, so a partial-checksum frame carrying ICMP is odd;
  // we still skip verification for it as the offload contract says.
  if (!packet.checksumsUnverifiable && !checksumVerifies(bytes, payloadStart, payloadEnd)) return "bad-checksum";
  if (bytes[payloadStart] !== ICMP_ECHO_REQUEST || bytes[payloadStart + 1] !== 0) return "icmp-ignored";
  const length = payloadEnd - payloadStart;
  const reply = buildIpv4Frame({
    dstMac: packet.srcMac,
    srcMac: addresses.routerMac,
    src: addresses.routerIp,
    dst: packet.src,
    protocol: PROTOCOL_ICMP,
    payloadLength: length,
  });
  const icmp = IPV4_PAYLOAD_OFFSET;
  // Same identifier, sequence number and data; only the type and the checksum change.
  reply.set(bytes.subarray(payloadStart, payloadEnd), icmp);
  reply[icmp] = ICMP_ECHO_REPLY;
  writeU16(reply, icmp + 2, 0);
  writeU16(reply, icmp + 2, finishChecksum(onesComplementSum(reply, icmp, icmp + length)));
  return reply;
}
