// ARP (RFC 826) for Ethernet/IPv4: the router answers requests for its own address only.
// It never asks: it only ever replies to a sender, whose MAC it takes from the frame.
import type { MacAddress, SegmentAddresses } from "./addresses.js";
import { readIpv4, writeIpv4 } from "./addresses.js";
import { readU16, writeU16 } from "./bytes.js";
import { allocFrame, ETH_HEADER_BYTES, ETHERTYPE_ARP, writeEthernetHeader } from "./ethernet.js";
import type { DropReason } from "./stats.js";

const ARP_BYTES = 28;
const OP_REQUEST = 1;
const OP_REPLY = 2;

export interface ArpOutcome {
  /** Who sent it (requests and replies both announce the sender). */
  senderIp: number;
  senderMac: MacAddress;
  /** Our reply, when the packet asked for the router's address. */
  reply?: Uint8Array;
}

export function handleArp(bytes: Uint8Array, addresses: SegmentAddresses): ArpOutcome | DropReason {
  const a = ETH_HEADER_BYTES;
  if (bytes.length < a + ARP_BYTES) return "truncated";
  if (readU16(bytes, a) !== 1 || readU16(bytes, a + 2) !== 0x0800 || bytes[a + 4] !== 6 || bytes[a + 5] !== 4) {
    return "bad-header";
  }
  const op = readU16(bytes, a + 6);
  const senderMac = bytes.slice(a + 8, a + 14);
  const senderIp = readIpv4(bytes, a + 14);
  const targetIp = readIpv4(bytes, a + 24);
  if (op !== OP_REQUEST || targetIp !== addresses.routerIp) return { senderIp, senderMac };
  const reply = allocFrame(ETH_HEADER_BYTES + ARP_BYTES);
  writeEthernetHeader(reply, senderMac, addresses.routerMac, ETHERTYPE_ARP);
  writeU16(reply, a, 1);
  writeU16(reply, a + 2, 0x0800);
  reply[a + 4] = 6;
  reply[a + 5] = 4;
  writeU16(reply, a + 6, OP_REPLY);
  reply.set(addresses.routerMac, a + 8);
  writeIpv4(reply, a + 14, addresses.routerIp);
  reply.set(senderMac, a + 18);
  writeIpv4(reply, a + 24, senderIp);
  return { senderIp, senderMac, reply };
}
