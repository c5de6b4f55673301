// The in-worker host network: a virtual router at 10.0.2.2 on the guest's Ethernet segment.
// It answers ARP, ping, DHCP, DNS and UDP echo, and terminates TCP for the services
// registered with listen(). It implements NetBackend, so a virtio-net device (or any NIC
// adapter) plugs straight in.
//
// Frames for the guest come from two places: a bounded queue of small replies (ARP, ICMP,
// UDP, RSTs) and the TCP connections, which build segments only when the device pulls.
// Time comes only from tick(): the stack has no timers of its own. saveState/restoreState
// carry the whole network to another process (host-network-state.ts). guestReset() forgets
// everything of the guest's side when its device is reset or the machine reboots.
import type { GuestNetCapabilities, NetBackend, NetFrame } from "../net-backend.js";
import type { StreamService } from "../stream-service.js";
import type { MacAddress, SegmentAddresses } from "./addresses.js";
import { formatMac } from "../../../util/mac-address.js";
import { BROADCAST_MAC, formatIpv4, macEquals, resolveAddresses } from "./addresses.js";
import { handleArp } from "./arp.js";
import { readU16 } from "./bytes.js";
import { ETH_HEADER_BYTES, ETHERTYPE_ARP, ETHERTYPE_IPV4 } from "./ethernet.js";
import { DEFAULT_LEASE_SECONDS, DEFAULT_MAX_QUEUED_FRAMES, type HostNetworkOptions, type HostNetworkStats } from "./host-network-options.js";
import type { HostNetworkState } from "./host-network-state.js";
import { checkOrigin, HOST_NETWORK_STATE_VERSION, readRouterState, saveAddresses, saveCounters, setCounters } from "./host-network-state.js";
import { handleIcmp } from "./icmp.js";
import { parseIpv4 as parseIpv4Packet, PROTOCOL_ICMP, PROTOCOL_TCP, PROTOCOL_UDP } from "./ipv4.js";
import type { DropReason } from "./stats.js";
import { copyCounters, createCounters } from "./stats.js";
import { StateReader } from "../../../snapshot/state-reader.js";
import { IDLE_TIMEOUT_MS } from "./tcp-config.js";
import { TcpStack } from "./tcp-stack.js";
import type { ActiveOpen } from "./tcp-active-open.js";
import { createUdpRouter, type UdpRouter } from "./udp-router.js";
import { NamePool } from "./name-pool.js";
import { outboundDialer } from "./outbound-dialer.js";

export { DEFAULT_DNS_NAMES, UDP_ECHO_PORT } from "./udp-router.js";
export { DEFAULT_LEASE_SECONDS, DEFAULT_MAX_QUEUED_FRAMES, type HostNetworkOptions, type HostNetworkStats } from "./host-network-options.js";

export class HostNetwork implements NetBackend {
  readonly addresses: SegmentAddresses;
  private readonly counters = createCounters();
  private readonly queue: NetFrame[] = [];
  private readonly maxQueuedFrames: number;
  private readonly udp: UdpRouter;
  private readonly tcp: TcpStack;
  /** Names DNS handed pool addresses for (with an outbound dialer that resolves names). */
  readonly namePool: NamePool | undefined;
  private readonly outbound: HostNetworkOptions["outbound"];
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
    this.outbound = options.outbound;
    this.namePool = options.outbound?.namePool === true ? new NamePool() : undefined;
    const udp = options.outbound?.udp;
    this.udp = createUdpRouter(this.addresses, this.counters, {
      leaseSeconds: options.leaseSeconds ?? DEFAULT_LEASE_SECONDS,
      dnsNames: options.dnsNames ?? {},
      ...(this.namePool === undefined ? {} : { namePool: this.namePool }),
      ...(udp === undefined ? {} : { outbound: { udp, routerIsHost: options.outbound?.routerIsHost === true, deliver: (frame: Uint8Array) => this.enter(() => this.enqueue(frame)) } }),
    });
    const initialSequence = options.initialSequence ?? (() => Math.floor(Math.random() * 0x100000000) >>> 0);
    const idleTimeoutMs = options.idleTimeoutMs ?? IDLE_TIMEOUT_MS;
    if (!(idleTimeoutMs > 0)) throw new RangeError(`idleTimeoutMs must be a positive number of milliseconds, not ${idleTimeoutMs}`);
    this.tcp = new TcpStack({
      addresses: this.addresses,
      counters: this.counters,
      idleTimeoutMs,
      now: () => this.nowMs,
      capabilities: () => this.capabilities,
      sendControl: (frame) => this.enqueue(frame),
      framesAvailable: () => this.notify(),
      initialSequence,
      dial: outboundDialer(this.addresses, options.outbound, this.namePool),
      guestMac: () => this.guestMac,
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

  /**
   * Opens a TCP connection from the router to the guest's `guestPort` (user mode's hostfwd);
   * `open.service` gets it once the guest answers, `open.failed` hears why it did not.
   */
  connectToGuest(open: ActiveOpen): void {
    this.enter(() => this.tcp.connectToGuest(open));
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
    // Segments are sized when pulled, so they follow the new capabilities.
    this.capabilities = caps === undefined ? undefined : { ...caps };
    if (caps !== undefined && this.hasFramesForGuest()) this.notify();
  }

  /**
   * The guest's device was reset or the machine rebooted: whatever belonged to the guest's
   * side goes. Every TCP connection ends without a word (the driver that would read a RST
   * is gone, and the kernel that knew the connections may be too), the frames queued for
   * the guest go, and so does the guest MAC learned from its frames, so a fresh driver
   * starts from nothing. DHCP keeps no lease table (dhcp-server.ts), so there is no lease to
   * drop. Listening services and the counters stay.
   */
  guestReset(): void {
    this.enter(() => this.tcp.forgetAll());
    this.outbound?.udp?.reset();
    this.queue.length = 0;
    this.notifyPending = false;
    this.guestMac = this.addresses.guestMac;
    this.capabilities = undefined;
    this.counters.guestResets++;
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

  // ---- Snapshots (host-network-state.ts) ----

  /**
   * The whole network as plain data, times relative to now. Throws if a connection's
   * service cannot save its handler. Call between events, never from a listener or service.
   */
  saveState(): HostNetworkState {
    return {
      version: HOST_NETWORK_STATE_VERSION,
      addresses: saveAddresses(this.addresses),
      guestMac: this.guestMac === undefined ? null : formatMac(this.guestMac),
      capabilities: this.capabilities === undefined ? null : { ...this.capabilities },
      replies: this.queue.map((frame) => frame.bytes.slice()),
      counters: saveCounters(this.counters),
      tcp: this.tcp.saveState(this.nowMs),
    };
  }

  /**
   * Puts this network where `state` was, its clock at `nowMs`. The network must be freshly
   * made with the same options and services (listen() included) and have no connections.
   * A bad state throws an Error naming the field, with nothing changed.
   */
  restoreState(state: HostNetworkState, nowMs: number): void {
    const reader = new StateReader(state, "");
    checkOrigin(reader, this.addresses);
    const router = readRouterState(reader, this.addresses, this.maxQueuedFrames);
    const connections = this.tcp.restoreState(reader.field("tcp"), nowMs); // the last step that may throw
    this.nowMs = nowMs;
    this.guestMac = router.guestMac;
    this.capabilities = router.capabilities;
    this.queue.splice(0, this.queue.length, ...router.replies.map((bytes) => ({ bytes })));
    setCounters(this.counters, router.counters);
    this.enter(() => connections.forEach((c) => c.resume()));
    if (this.hasFramesForGuest()) this.notify();
  }

  stats(): HostNetworkStats {
    return {
      ...copyCounters(this.counters),
      queuedFrames: this.queue.length,
      guestIp: formatIpv4(this.addresses.guestIp),
      guestMac: this.guestMac === undefined ? undefined : formatMac(this.guestMac),
      capabilities: this.capabilities === undefined ? undefined : { ...this.capabilities },
      connections: this.tcp.connectionInfo(),
      sendBufferedBytes: this.tcp.bufferedBytes,
      halfOpenConnections: this.tcp.halfOpenCount,
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
    if (packet.protocol === PROTOCOL_UDP) {
      const reply = this.udp(packet);
      if (typeof reply === "string") return this.drop(reply);
      if (reply !== undefined) this.enqueue(reply);
      return;
    }
    if (packet.protocol === PROTOCOL_TCP && this.outbound?.tcp !== undefined) return this.tcp.handle(packet);
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
