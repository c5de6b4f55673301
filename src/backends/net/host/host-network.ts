// The in-worker host network: a virtual router at 10.0.2.2 on the guest's Ethernet segment.
// It answers ARP, ping, DHCP, DNS and UDP echo, and terminates TCP for the services
// registered with listen(). It implements NetBackend, so a virtio-net device (or any NIC
// adapter) plugs straight in.
//
// Frames for the guest come from two places: a bounded queue of small replies (ARP, ICMP,
// UDP, RSTs) and the TCP connections, which build segments only when the device pulls.
// Time comes only from tick(): the stack has no timers of its own.
import type { GuestNetCapabilities, NetBackend, NetFrame } from "../net-backend.js";
import type { StreamService } from "../stream-service.js";
import type { AddressOptions, MacAddress, SegmentAddresses } from "./addresses.js";
import { BROADCAST_IP, BROADCAST_MAC, formatIpv4, formatMac, macEquals, parseIpv4, resolveAddresses } from "./addresses.js";
import { handleArp } from "./arp.js";
import { readU16 } from "./bytes.js";
import { createDhcpServer, DHCP_SERVER_PORT } from "./dhcp-server.js";
import { createDnsServer, DNS_PORT, normaliseDnsName } from "./dns-server.js";
import { ETH_HEADER_BYTES, ETHERTYPE_ARP, ETHERTYPE_IPV4 } from "./ethernet.js";
import { handleIcmp } from "./icmp.js";
import type { Ipv4Packet } from "./ipv4.js";
import { parseIpv4 as parseIpv4Packet, PROTOCOL_ICMP, PROTOCOL_TCP, PROTOCOL_UDP } from "./ipv4.js";
import type { Counters, DropReason } from "./stats.js";
import { copyCounters, createCounters } from "./stats.js";
import type { TcpConnectionInfo } from "./tcp-environment.js";
import { TcpStack } from "./tcp-stack.js";
import type { UdpService } from "./udp.js";
import { buildUdpFrame, parseUdp, udpEcho } from "./udp.js";

export const UDP_ECHO_PORT = 7;
export const DEFAULT_LEASE_SECONDS = 24 * 60 * 60;
export const DEFAULT_MAX_QUEUED_FRAMES = 256;
/** Names the DNS server knows by default; all point at the router. */
export const DEFAULT_DNS_NAMES = ["host", "ringside.host", "router"] as const;

export interface HostNetworkOptions extends AddressOptions {
  /** TCP services by port (more can be added with listen()). */
  services?: Map<number, StreamService>;
  leaseSeconds?: number;
  /** Extra DNS A records, name -> dotted address. */
  dnsNames?: Record<string, string>;
  /** Bound of the queue for replies other than TCP segments. */
  maxQueuedFrames?: number;
  /** Initial sequence numbers for new connections (tests pin them); random by default. */
  initialSequence?: () => number;
}

export interface HostNetworkStats extends Counters {
  /** Frames waiting in the reply queue (TCP segments are built on demand, never queued). */
  queuedFrames: number;
  guestIp: string;
  /** The guest's MAC as learned from its frames (or configured). */
  guestMac: string | undefined;
  capabilities: GuestNetCapabilities | undefined;
  connections: TcpConnectionInfo[];
}

export class HostNetwork implements NetBackend {
  readonly addresses: SegmentAddresses;
  private readonly counters = createCounters();
  private readonly queue: NetFrame[] = [];
  private readonly maxQueuedFrames: number;
  private readonly udpServices = new Map<number, UdpService>();
  private readonly tcp: TcpStack;
  private capabilities: GuestNetCapabilities | undefined;
  private nowMs = 0;
  private listener: (() => void) | undefined;
  /** Nesting of entry points: listener calls wait until the outermost one returns. */
  private depth = 0;
  private notifyPending = false;
  private guestMac: MacAddress | undefined;

  constructor(options: HostNetworkOptions = {}) {
    this.addresses = resolveAddresses(options);
    this.guestMac = this.addresses.guestMac;
    this.maxQueuedFrames = options.maxQueuedFrames ?? DEFAULT_MAX_QUEUED_FRAMES;
    const dnsRecords = new Map<string, number>();
    for (const name of DEFAULT_DNS_NAMES) dnsRecords.set(name, this.addresses.routerIp);
    for (const [name, ip] of Object.entries(options.dnsNames ?? {})) dnsRecords.set(normaliseDnsName(name), parseIpv4(ip));
    this.udpServices.set(DHCP_SERVER_PORT, createDhcpServer(this.addresses, this.counters, options.leaseSeconds ?? DEFAULT_LEASE_SECONDS));
    this.udpServices.set(DNS_PORT, createDnsServer(dnsRecords, this.counters));
    this.udpServices.set(UDP_ECHO_PORT, (datagram) => {
      this.counters.udpEchoReplies++;
      return udpEcho(datagram);
    });
    const initialSequence = options.initialSequence ?? (() => Math.floor(Math.random() * 0x100000000) >>> 0);
    this.tcp = new TcpStack({
      addresses: this.addresses,
      counters: this.counters,
      now: () => this.nowMs,
      capabilities: () => this.capabilities,
      sendControl: (frame) => this.enqueue(frame),
      framesAvailable: () => this.notify(),
      initialSequence,
    });
    for (const [port, service] of options.services ?? []) this.tcp.listen(port, service);
  }

  /** Accepts TCP connections on `port`, each handed to `service`. */
  listen(port: number, service: StreamService): void {
    this.tcp.listen(port, service);
  }

  unlisten(port: number): void {
    this.tcp.unlisten(port);
  }

  // ---- NetBackend ----

  receiveFromGuest(frame: NetFrame): void {
    this.enter(() => this.handleFrame(frame));
  }

  nextForGuest(): NetFrame | undefined {
    let frame: NetFrame | undefined;
    try {
      frame = this.queue.shift() ?? this.tcp.nextFrame();
    } catch {
      this.counters.dropped["internal-error"]++;
      return undefined;
    }
    if (frame !== undefined) {
      this.counters.framesToGuest++;
      this.counters.bytesToGuest += frame.bytes.length;
    }
    return frame;
  }

  onGuestFramesReady(listener: () => void): void {
    this.listener = listener;
  }

  setGuestCapabilities(caps: GuestNetCapabilities | undefined): void {
    // Connections survive a device reset: the guest's TCP state lives in its kernel, and
    // segments are sized when pulled, so they follow the new capabilities.
    this.capabilities = caps === undefined ? undefined : { ...caps };
    if (caps !== undefined && this.hasFramesForGuest()) this.notify();
  }

  // ---- Time and inspection ----

  /** Advances the stack's clock (ms, monotonic) and runs its timers. */
  tick(nowMs: number): void {
    if (nowMs > this.nowMs) this.nowMs = nowMs;
    this.enter(() => this.tcp.tick(this.nowMs));
  }

  hasFramesForGuest(): boolean {
    return this.queue.length > 0 || this.tcp.hasFrames();
  }

  stats(): HostNetworkStats {
    return {
      ...copyCounters(this.counters),
      queuedFrames: this.queue.length,
      guestIp: formatIpv4(this.addresses.guestIp),
      guestMac: this.guestMac === undefined ? undefined : formatMac(this.guestMac),
      capabilities: this.capabilities === undefined ? undefined : { ...this.capabilities },
      connections: this.tcp.connectionInfo(),
    };
  }

  // ---- Frames from the guest ----

  private handleFrame(frame: NetFrame): void {
    const bytes = frame.bytes;
    this.counters.framesFromGuest++;
    this.counters.bytesFromGuest += bytes.length;
    if (bytes.length < ETH_HEADER_BYTES) return this.drop("truncated");
    if (!macEquals(bytes, 0, this.addresses.routerMac) && !macEquals(bytes, 0, BROADCAST_MAC)) return this.drop("not-for-us");
    const etherType = readU16(bytes, 12);
    if (etherType === ETHERTYPE_ARP) {
      const outcome = handleArp(bytes, this.addresses);
      if (typeof outcome === "string") return this.drop(outcome);
      this.learn(outcome.senderIp, outcome.senderMac);
      if (outcome.reply === undefined) return this.drop("arp-ignored");
      this.counters.arpReplies++;
      return this.enqueue(outcome.reply);
    }
    if (etherType !== ETHERTYPE_IPV4) return this.drop("unsupported-ethertype");
    const packet = parseIpv4Packet(frame);
    if (typeof packet === "string") return this.drop(packet);
    this.learn(packet.src, packet.srcMac);
    if (packet.protocol === PROTOCOL_UDP) return this.handleUdp(packet);
    if (packet.dst !== this.addresses.routerIp) return this.drop("not-for-us");
    if (packet.protocol === PROTOCOL_TCP) return this.tcp.handle(packet);
    if (packet.protocol === PROTOCOL_ICMP) {
      const reply = handleIcmp(packet, this.addresses);
      if (typeof reply === "string") return this.drop(reply);
      this.counters.icmpEchoReplies++;
      return this.enqueue(reply);
    }
    this.drop("unsupported-protocol");
  }

  private handleUdp(packet: Ipv4Packet): void {
    const a = this.addresses;
    const subnetBroadcast = (a.routerIp | ~a.netmask) >>> 0;
    const broadcast = packet.dst === BROADCAST_IP || packet.dst === subnetBroadcast;
    if (packet.dst !== a.routerIp && !broadcast) return this.drop("not-for-us");
    const datagram = parseUdp(packet);
    if (typeof datagram === "string") return this.drop(datagram);
    // Broadcasts are for DHCP only (a client without an address has no other way to ask).
    if (broadcast && datagram.dstPort !== DHCP_SERVER_PORT) return this.drop("not-for-us");
    const service = this.udpServices.get(datagram.dstPort);
    if (service === undefined) return this.drop("udp-closed-port");
    const reply = service(datagram);
    if (reply === undefined) return;
    if (typeof reply === "string") return this.drop(reply);
    this.enqueue(
      buildUdpFrame({
        srcMac: a.routerMac,
        dstMac: reply.dstMac ?? packet.srcMac,
        src: a.routerIp,
        dst: reply.dstIp ?? packet.src,
        srcPort: datagram.dstPort,
        dstPort: datagram.srcPort,
        payload: reply.payload,
      }),
    );
  }

  /** The guest's MAC, from any frame that carries the guest's address as its sender. */
  private learn(ip: number, mac: MacAddress): void {
    if (ip !== this.addresses.guestIp || this.addresses.guestMac !== undefined) return;
    if (this.guestMac === undefined || !macEquals(mac, 0, this.guestMac)) this.guestMac = mac.slice(0, 6);
  }

  // ---- Frames for the guest ----

  private enqueue(bytes: Uint8Array): void {
    if (this.queue.length >= this.maxQueuedFrames) return this.drop("queue-full");
    this.queue.push({ bytes });
    this.notify();
  }

  private drop(reason: DropReason): void {
    this.counters.dropped[reason]++;
  }

  private notify(): void {
    if (this.depth > 0) this.notifyPending = true;
    else this.listener?.();
  }

  /**
   * Runs one entry point: exceptions (bugs) are counted instead of escaping into the
   * device, and the listener hears about new frames once, when the work is done.
   */
  private enter(work: () => void): void {
    this.depth++;
    try {
      work();
    } catch {
      this.counters.dropped["internal-error"]++;
    } finally {
      this.depth--;
    }
    if (this.depth === 0 && this.notifyPending) {
      this.notifyPending = false;
      this.listener?.();
    }
  }
}

export function createHostNetwork(options: HostNetworkOptions = {}): HostNetwork {
  return new HostNetwork(options);
}
