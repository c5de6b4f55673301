// A one-lease DHCP server (RFC 2131/2132), enough for busybox udhcpc and dhclient: every
// client is offered the configured guest address. It keeps no lease table: the segment has
// one guest (or a fixed guest MAC when several machines share it).
import type { SegmentAddresses } from "./addresses.js";
import { BROADCAST_IP, BROADCAST_MAC, macEquals, readIpv4, writeIpv4 } from "./addresses.js";
import { readU32, writeU32 } from "./bytes.js";
import type { Counters } from "./stats.js";
import type { UdpService } from "./udp.js";

export const DHCP_SERVER_PORT = 67;
export const DHCP_CLIENT_PORT = 68;

const BOOTP_FIXED_BYTES = 236;
const MAGIC_COOKIE = 0x63825363;
/** Old BOOTP relays and some clients drop replies shorter than this. */
const MIN_REPLY_BYTES = 300;

const DISCOVER = 1;
const OFFER = 2;
const REQUEST = 3;
const ACK = 5;
const NAK = 6;
const INFORM = 8;

const OPT_SUBNET_MASK = 1;
const OPT_ROUTER = 3;
const OPT_DNS = 6;
const OPT_BROADCAST = 28;
const OPT_REQUESTED_IP = 50;
const OPT_LEASE_TIME = 51;
const OPT_MESSAGE_TYPE = 53;
const OPT_SERVER_ID = 54;
const OPT_END = 255;
const OPT_PAD = 0;

/** Options of a client message: code -> value bytes (views into the frame). */
export function parseDhcpOptions(message: Uint8Array): Map<number, Uint8Array> | undefined {
  if (message.length < BOOTP_FIXED_BYTES + 4 || readU32(message, BOOTP_FIXED_BYTES) !== MAGIC_COOKIE) return undefined;
  const options = new Map<number, Uint8Array>();
  let i = BOOTP_FIXED_BYTES + 4;
  while (i < message.length) {
    const code = message[i] ?? OPT_END;
    if (code === OPT_END) break;
    if (code === OPT_PAD) {
      i++;
      continue;
    }
    const length = message[i + 1];
    if (length === undefined || i + 2 + length > message.length) return undefined;
    if (!options.has(code)) options.set(code, message.subarray(i + 2, i + 2 + length));
    i += 2 + length;
  }
  return options;
}

function optionIp(options: Map<number, Uint8Array>, code: number): number | undefined {
  const value = options.get(code);
  return value !== undefined && value.length === 4 ? readIpv4(value, 0) : undefined;
}

export function createDhcpServer(addresses: SegmentAddresses, counters: Counters, leaseSeconds: number): UdpService {
  return (datagram) => {
    const message = datagram.payload;
    if (message.length < BOOTP_FIXED_BYTES || message[0] !== 1 || message[1] !== 1 || message[2] !== 6) return "dhcp-ignored";
    const options = parseDhcpOptions(message);
    const type = options?.get(OPT_MESSAGE_TYPE)?.[0];
    if (options === undefined || type === undefined) return "dhcp-ignored";
    const chaddr = message.slice(28, 34);
    if (addresses.guestMac !== undefined && !macEquals(chaddr, 0, addresses.guestMac)) return "dhcp-ignored";
    const ciaddr = readIpv4(message, 12);

    let replyType: number;
    if (type === DISCOVER) {
      replyType = OFFER;
    } else if (type === REQUEST) {
      const serverId = optionIp(options, OPT_SERVER_ID);
      // The client chose another server's offer: not for us.
      if (serverId !== undefined && serverId !== addresses.routerIp) return "dhcp-ignored";
      const requested = optionIp(options, OPT_REQUESTED_IP) ?? ciaddr;
      replyType = requested === addresses.guestIp ? ACK : NAK;
    } else if (type === INFORM) {
      replyType = ACK;
    } else {
      return "dhcp-ignored"; // RELEASE, DECLINE: no lease table to update
    }

    const reply = new Uint8Array(MIN_REPLY_BYTES);
    reply[0] = 2; // BOOTREPLY
    reply[1] = 1;
    reply[2] = 6;
    reply.set(message.subarray(4, 8), 4); // xid
    reply.set(message.subarray(10, 12), 10); // flags
    writeIpv4(reply, 12, ciaddr);
    if (replyType !== NAK && type !== INFORM) writeIpv4(reply, 16, addresses.guestIp);
    writeIpv4(reply, 20, addresses.routerIp);
    reply.set(message.subarray(24, 44), 24); // giaddr, chaddr
    writeU32(reply, BOOTP_FIXED_BYTES, MAGIC_COOKIE);
    let o = BOOTP_FIXED_BYTES + 4;
    const put = (code: number, value: number[]): void => {
      reply[o] = code;
      reply[o + 1] = value.length;
      reply.set(value, o + 2);
      o += 2 + value.length;
    };
    const ipBytes = (ip: number): number[] => [ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255];
    put(OPT_MESSAGE_TYPE, [replyType]);
    put(OPT_SERVER_ID, ipBytes(addresses.routerIp));
    if (replyType !== NAK) {
      if (type !== INFORM) put(OPT_LEASE_TIME, ipBytes(leaseSeconds >>> 0));
      put(OPT_SUBNET_MASK, ipBytes(addresses.netmask));
      put(OPT_ROUTER, ipBytes(addresses.routerIp));
      put(OPT_DNS, ipBytes(addresses.routerIp));
      put(OPT_BROADCAST, ipBytes((addresses.guestIp | ~addresses.netmask) >>> 0));
    }
    reply[o] = OPT_END;

    if (replyType === OFFER) counters.dhcpOffers++;
    else if (replyType === ACK) counters.dhcpAcks++;
    else counters.dhcpNaks++;

    // Where to send it (RFC 2131 4.1): a configured client (renewing, INFORM) by unicast;
    // NAKs and clients that ask for it by broadcast; otherwise unicast to the new address
    // at the client's hardware address (udhcpc reads replies from a raw socket, so it
    // receives them before it has an address).
    const broadcastFlag = (message[10] ?? 0) & 0x80;
    if (ciaddr !== 0 && replyType !== NAK) return { payload: reply, dstIp: ciaddr };
    if (replyType === NAK || broadcastFlag !== 0) return { payload: reply, dstIp: BROADCAST_IP, dstMac: BROADCAST_MAC };
    return { payload: reply, dstIp: addresses.guestIp, dstMac: chaddr };
  };
}
