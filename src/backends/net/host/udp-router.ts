// The router's UDP side: which datagrams reach it (its own address, and broadcasts for
// DHCP only), and its services by port: DHCP, DNS and echo. Replies come back as frames.
// With an outbound carrier (outbound.ts), datagrams to anywhere else, and to the router's
// ports that no service takes, leave the machine; their replies come back later as frames
// from the address the guest sent to.
import type { SegmentAddresses } from "./addresses.js";
import { BROADCAST_IP, formatIpv4, parseIpv4 } from "./addresses.js";
import { createDhcpServer, DHCP_SERVER_PORT } from "./dhcp-server.js";
import { createDnsServer, DNS_PORT, normaliseDnsName } from "./dns-server.js";
import type { Ipv4Packet } from "./ipv4.js";
import type { NamePool } from "./name-pool.js";
import type { Counters, DropReason } from "./stats.js";
import type { UdpDatagram, UdpService } from "./udp.js";
import { buildUdpFrame, parseUdp, udpEcho } from "./udp.js";
import type { OutboundUdp } from "../outbound.js";

export const UDP_ECHO_PORT = 7;
/** Names the DNS server knows by default; all point at the router. */
export const DEFAULT_DNS_NAMES = ["host", "ringside.host", "router"] as const;

export interface UdpRouterOptions {
  leaseSeconds: number;
  /** Extra DNS A records, name -> dotted address. */
  dnsNames: Record<string, string>;
  /** Unknown names get pool addresses (name-pool.ts). */
  namePool?: NamePool;
  /** Carries datagrams that leave the machine; `deliver` queues its replies for the guest. */
  outbound?: { udp: OutboundUdp; routerIsHost: boolean; deliver(frame: Uint8Array): void };
}

/** A UDP packet from the guest: the reply frame, nothing, or why it was dropped. */
export type UdpRouter = (packet: Ipv4Packet) => Uint8Array | DropReason | undefined;

export function createUdpRouter(addresses: SegmentAddresses, counters: Counters, options: UdpRouterOptions): UdpRouter {
  const dnsRecords = new Map<string, number>();
  for (const name of DEFAULT_DNS_NAMES) dnsRecords.set(name, addresses.routerIp);
  for (const [name, ip] of Object.entries(options.dnsNames)) dnsRecords.set(normaliseDnsName(name), parseIpv4(ip));
  const services = new Map<number, UdpService>([
    [DHCP_SERVER_PORT, createDhcpServer(addresses, counters, options.leaseSeconds)],
    [DNS_PORT, createDnsServer(dnsRecords, counters, options.namePool)],
    [
      UDP_ECHO_PORT,
      (datagram) => {
        counters.udpEchoReplies++;
        return udpEcho(datagram);
      },
    ],
  ]);
  const subnetBroadcast = (addresses.routerIp | ~addresses.netmask) >>> 0;
  const outbound = options.outbound;

  const leave = (datagram: UdpDatagram): undefined => {
    if (outbound === undefined) return undefined;
    const { packet, srcPort, dstPort } = datagram;
    const name = options.namePool?.nameFor(packet.dst);
    const target = { ip: formatIpv4(packet.dst), port: dstPort, ...(name === undefined ? {} : { name }) };
    const guest = { mac: packet.srcMac.slice(0, 6), ip: packet.src };
    // The payload is a view into the guest's frame: the carrier gets its own copy.
    outbound.udp.send({ guestPort: srcPort, target }, datagram.payload.slice(), (payload) =>
      outbound.deliver(buildUdpFrame({ srcMac: addresses.routerMac, dstMac: guest.mac, src: packet.dst, dst: guest.ip, srcPort: dstPort, dstPort: srcPort, payload })),
    );
    return undefined;
  };

  return (packet) => {
    const broadcast = packet.dst === BROADCAST_IP || packet.dst === subnetBroadcast;
    const toRouter = packet.dst === addresses.routerIp;
    if (!toRouter && !broadcast && outbound === undefined) return "not-for-us";
    const datagram = parseUdp(packet);
    if (typeof datagram === "string") return datagram;
    // Broadcasts are for DHCP only (a client without an address has no other way to ask).
    if (broadcast && datagram.dstPort !== DHCP_SERVER_PORT) return "not-for-us";
    if (!toRouter && !broadcast) return leave(datagram);
    const service = services.get(datagram.dstPort);
    if (service === undefined) return outbound?.routerIsHost === true ? leave(datagram) : "udp-closed-port";
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
