// The router's UDP side: which datagrams reach it (its own address, and broadcasts for
// DHCP only), and its services by port: DHCP, DNS and echo. Replies come back as frames.
import type { SegmentAddresses } from "./addresses.js";
import { BROADCAST_IP, parseIpv4 } from "./addresses.js";
import { createDhcpServer, DHCP_SERVER_PORT } from "./dhcp-server.js";
import { createDnsServer, DNS_PORT, normaliseDnsName } from "./dns-server.js";
import type { Ipv4Packet } from "./ipv4.js";
import type { Counters, DropReason } from "./stats.js";
import type { UdpService } from "./udp.js";
import { buildUdpFrame, parseUdp, udpEcho } from "./udp.js";

export const UDP_ECHO_PORT = 7;
/** Names the DNS server knows by default; all point at the router. */
export const DEFAULT_DNS_NAMES = ["host", "ringside.host", "router"] as const;

export interface UdpRouterOptions {
  leaseSeconds: number;
  /** Extra DNS A records, name -> dotted address. */
  dnsNames: Record<string, string>;
}

/** A UDP packet from the guest: the reply frame, nothing, or why it was dropped. */
export type UdpRouter = (packet: Ipv4Packet) => Uint8Array | DropReason | undefined;

export function createUdpRouter(addresses: SegmentAddresses, counters: Counters, options: UdpRouterOptions): UdpRouter {
  const dnsRecords = new Map<string, number>();
  for (const name of DEFAULT_DNS_NAMES) dnsRecords.set(name, addresses.routerIp);
  for (const [name, ip] of Object.entries(options.dnsNames)) dnsRecords.set(normaliseDnsName(name), parseIpv4(ip));
  const services = new Map<number, UdpService>([
    [DHCP_SERVER_PORT, createDhcpServer(addresses, counters, options.leaseSeconds)],
    [DNS_PORT, createDnsServer(dnsRecords, counters)],
    [
      UDP_ECHO_PORT,
      (datagram) => {
        counters.udpEchoReplies++;
        return udpEcho(datagram);
      },
    ],
  ]);
  const subnetBroadcast = (addresses.routerIp | ~addresses.netmask) >>> 0;

  return (packet) => {
    const broadcast = packet.dst === BROADCAST_IP || packet.dst === subnetBroadcast;
    if (packet.dst !== addresses.routerIp && !broadcast) return "not-for-us";
    const datagram = parseUdp(packet);
    if (typeof datagram === "string") return datagram;
    // Broadcasts are for DHCP only (a client without an address has no other way to ask).
    if (broadcast && datagram.dstPort !== DHCP_SERVER_PORT) return "not-for-us";
    const service = services.get(datagram.dstPort);
    if (service === undefined) return "udp-closed-port";
    const reply = service(datagram);
    if (reply === undefined || typeof reply === "string") return reply;
    return buildUdpFrame({
      srcMac: addresses.routerMac,
      dstMac: reply.dstMac ?? packet.srcMac,
      src: addresses.routerIp,
      dst: reply.dstIp ?? packet.src,
      srcPort: datagram.dstPort,
      dstPort: datagram.srcPort,
      payload: reply.payload,
    });
  };
}
