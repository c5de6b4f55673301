// The TCP demultiplexer: listening ports, the connection table, RSTs for closed ports,
// and round-robin over the connections that have segments to send.
//
// The table is bounded and recovers from floods: at most MAX_HALF_OPEN connections wait in
// their handshake (a new SYN sheds the oldest), and a SYN that finds the whole table full
// evicts the connection the guest has been silent on longest, if it has been silent for
// EVICT_MIN_IDLE_MS. The memory all connections buffer is one SendBudget; challenge ACKs
// share one rate limit.
import type { NetFrame } from "../net-backend.js";
import type { StreamService } from "../stream-service.js";
import { MAX_IPV4_FRAME_BYTES, type Ipv4Packet } from "./ipv4.js";
import type { Plain, StateReader } from "../../../snapshot/state-reader.js";
import * as cfg from "./tcp-config.js";
import { PerSecondLimit } from "./rate-limit.js";
import { SendBudget } from "./send-budget.js";
import type { TcpConnectionInfo } from "./tcp-environment.js";
import { TcpConnection } from "./tcp-connection.js";
import { partsFromSyn } from "./tcp-connection-parts.js";
import { restoreTcpConnection } from "./tcp-connection-state.js";
import type { TcpEnvironment } from "./tcp-environment.js";
import type { TcpConnectionState } from "./tcp-saved-state.js";
import type { TcpSegment } from "./tcp-segment.js";
import { ActiveOpens, type ActiveOpen, type Completed } from "./tcp-active-open.js";
import { formatIpv4, type MacAddress } from "./addresses.js";
import { buildReset, parseTcp, seqAdd, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from "./tcp-segment.js";

/** Every connection, and which may have segments to send, in round-robin order (indices). */
export type TcpStackState = Plain<{ connections: TcpConnectionState[]; ready: number[] }>;

/** What the stack needs from its owner; the connections' environment is built from it. */
export type TcpStackEnvironment = Omit<TcpEnvironment<TcpConnection>, "ready" | "removed" | "budget" | "challengeAckAllowed"> & {
  /** Some connection has segments for the guest. */
  framesAvailable(): void;
  /** A new initial sequence number. */
  initialSequence(): number;
  /**
   * The service for a connection to `ip`:`port` that no listener on the router takes: an
   * outbound dialer's (outbound.ts), or undefined (refused with a RST).
   */
  dial?(ip: number, port: number): StreamService | undefined;
  /** The guest's MAC as learned from its frames (for connections the host opens). */
  guestMac(): MacAddress | undefined;
};

export class TcpStack {
  private readonly listeners = new Map<number, StreamService>();
  private readonly connections = new Map<string, TcpConnection>();
  /** Connections that may have a segment to send, in round-robin order. */
  private readonly ready = new Set<TcpConnection>();
  /** Connections still in their handshake, oldest first (a Set keeps insertion order). */
  private readonly halfOpen = new Set<TcpConnection>();
  private readonly budget = new SendBudget();
  private readonly challengeAcks = new PerSecondLimit(cfg.CHALLENGE_ACKS_PER_SECOND);
  private readonly connectionEnv: TcpEnvironment<TcpConnection>;
  private readonly active: ActiveOpens;
  /** Connections the host opened to the guest (they end in this process: never saved). */
  private readonly hostOpened = new WeakSet<TcpConnection>();

  constructor(private readonly env: TcpStackEnvironment) {
    this.connectionEnv = {
      addresses: env.addresses,
      counters: env.counters,
      budget: this.budget,
      idleTimeoutMs: env.idleTimeoutMs,
      now: () => env.now(),
      capabilities: () => env.capabilities(),
      sendControl: (frame) => env.sendControl(frame),
      challengeAckAllowed: () => this.challengeAcks.take(env.now()),
      frameScratch: new Uint8Array(MAX_IPV4_FRAME_BYTES),
      ready: (connection) => {
        this.ready.add(connection);
        env.framesAvailable();
      },
      removed: (connection) => {
        this.connections.delete(key(connection.peer.ip, connection.peer.port, connection.localIp, connection.localPort));
        this.ready.delete(connection);
        this.halfOpen.delete(connection);
      },
    };
    const a = env.addresses;
    this.active = new ActiveOpens({
      routerIp: a.routerIp, routerMac: a.routerMac, guestIp: a.guestIp, guestMac: () => env.guestMac(),
      now: () => env.now(), initialSequence: () => env.initialSequence(), sendControl: (frame) => env.sendControl(frame),
    });
  }

  /** Opens a connection from the router to the guest's `guestPort` (user mode's hostfwd). */
  connectToGuest(open: ActiveOpen): void {
    const routerIp = this.env.addresses.routerIp;
    this.active.start(open, (localPort, guestPort) => this.connections.has(key(this.env.addresses.guestIp, guestPort, routerIp, localPort)));
  }

  /** Bytes all connections hold for the guest (written by services, not yet acknowledged). */
  get bufferedBytes(): number {
    return this.budget.bufferedBytes;
  }

  get halfOpenCount(): number {
    return this.halfOpen.size;
  }

  listen(port: number, service: StreamService): void {
    this.listeners.set(port, service);
  }

  /** Stops accepting on `port`; established connections continue. */
  unlisten(port: number): void {
    this.listeners.delete(port);
  }

  /** A TCP packet from the guest: to the router, or (with a dialer) anywhere. */
  handle(packet: Ipv4Packet): void {
    const counters = this.env.counters;
    const seg = parseTcp(packet);
    if (typeof seg === "string") {
      counters.dropped[seg]++;
      return;
    }
    counters.tcp.segmentsIn++;
    const id = key(packet.src, seg.srcPort, packet.dst, seg.dstPort);
    let connection = this.connections.get(id);
    const isSyn = (seg.flags & (TCP_SYN | TCP_ACK | TCP_RST)) === TCP_SYN;
    if (connection !== undefined && connection.state === "TIME_WAIT" && isSyn) {
      connection.abort(); // a new incarnation of the same 4-tuple: the old one is done
      connection = undefined;
    }
    if (connection === undefined && packet.dst === this.env.addresses.routerIp) {
      const opened = this.active.handle(seg);
      if (opened === "taken") return;
      if (opened !== undefined) return this.establish(packet, opened);
    }
    if (connection !== undefined) {
      connection.handleSegment(seg);
      if (connection.state !== "SYN_RECEIVED") this.halfOpen.delete(connection);
      return;
    }
    const service = isSyn ? this.serviceFor(packet.dst, seg.dstPort) : undefined;
    if (isSyn && service !== undefined && this.makeRoom()) {
      const peer = { mac: packet.srcMac, ip: packet.src, port: seg.srcPort };
      const parts = partsFromSyn(seg, this.env.initialSequence());
      connection = new TcpConnection(this.connectionEnv, peer, seg.dstPort, service, parts, undefined, packet.dst);
      this.install(id, connection);
      this.halfOpen.add(connection);
      this.connectionEnv.ready(connection);
      return;
    }
    counters.dropped[isSyn && service !== undefined ? "tcp-connection-limit" : "tcp-no-connection"]++;
    this.refuse(packet, seg);
  }

  private serviceFor(ip: number, port: number): StreamService | undefined {
    const listening = ip === this.env.addresses.routerIp ? this.listeners.get(port) : undefined;
    return listening ?? this.env.dial?.(ip, port);
  }

  /** The guest answered the host's SYN: the connection is made from its SYN-ACK, established. */
  private establish(packet: Ipv4Packet, opened: Completed): void {
    const peer = { mac: packet.srcMac, ip: packet.src, port: opened.open.guestPort };
    const resumed = { state: "ESTABLISHED" as const, closeNotified: false, handler: undefined, lastHeard: this.env.now() };
    const connection = new TcpConnection(this.connectionEnv, peer, opened.localPort, opened.open.service, opened.parts, resumed);
    this.hostOpened.add(connection);
    this.install(key(packet.src, peer.port, packet.dst, opened.localPort), connection);
    connection.openedByHost();
  }

  /**
   * Whether a new connection fits, after shedding the oldest half-open one if the backlog
   * is full and evicting the idlest established one if the table is. Costs at most one
   * pass over the table (MAX_CONNECTIONS), only when it is full.
   */
  private makeRoom(): boolean {
    const counters = this.env.counters.tcp;
    const oldest = this.halfOpen.values().next();
    if (this.halfOpen.size >= cfg.MAX_HALF_OPEN && oldest.done !== true) {
      counters.halfOpenShed++;
      oldest.value.forget(); // silently: it may be forged, and a real client retries
    }
    if (this.connections.size < cfg.MAX_CONNECTIONS) return true;
    // TIME_WAIT first (it only guards against old duplicates), then the longest silence.
    const now = this.env.now();
    const evictable = (c: TcpConnection): number => (c.state === "TIME_WAIT" ? Number.POSITIVE_INFINITY : c.idleFor(now));
    let victim: TcpConnection | undefined;
    let best = -1;
    for (const c of this.connections.values()) {
      const score = evictable(c);
      if (score > best) [victim, best] = [c, score];
    }
    if (victim === undefined || best < cfg.EVICT_MIN_IDLE_MS) return false;
    counters.connectionsEvicted++;
    victim.abort(); // with a RST (none in TIME_WAIT), so the guest's socket learns it is gone
    return true;
  }

  /** Answers a segment no connection takes with a RST (RFC 9293 3.10.7.1). */
  private refuse(packet: Ipv4Packet, seg: TcpSegment): void {
    const counters = this.env.counters;
    if ((seg.flags & TCP_RST) !== 0) return; // never answer a RST
    // RFC 9293 3.10.7.1: take the ACK's number if there is one, else acknowledge the segment.
    const hasAck = (seg.flags & TCP_ACK) !== 0;
    const length = seg.payload.length + ((seg.flags & TCP_SYN) !== 0 ? 1 : 0) + ((seg.flags & TCP_FIN) !== 0 ? 1 : 0);
    counters.tcp.resetsSent++;
    this.env.sendControl(
      buildReset({
        srcMac: this.env.addresses.routerMac,
        dstMac: packet.srcMac,
        src: packet.dst,
        dst: packet.src,
        srcPort: seg.dstPort,
        dstPort: seg.srcPort,
        seq: hasAck ? seg.ack : 0,
        ack: hasAck ? 0 : seqAdd(seg.seq, length),
        flags: hasAck ? TCP_RST : TCP_RST | TCP_ACK,
      }),
    );
  }

  /** The next TCP segment for the guest, taking connections in turn. */
  nextFrame(): NetFrame | undefined {
    // Bounded: a connection that claims output but yields none is tried once per call.
    for (let attempts = this.ready.size; attempts > 0; attempts--) {
      const next = this.ready.values().next();
      if (next.done === true) return undefined;
      const connection = next.value;
      this.ready.delete(connection);
      const frame = connection.nextFrame();
      if (connection.hasOutput()) this.ready.add(connection);
      if (frame !== undefined) return frame;
    }
    return undefined;
  }

  hasFrames(): boolean {
    return this.ready.size > 0;
  }

  tick(now: number): void {
    for (const connection of [...this.connections.values()]) connection.tick(now);
    this.active.tick(now);
  }

  /**
   * The guest's side is gone (its device was reset): every connection ends without a
   * segment to the guest. Services hear onClose and stop their work.
   */
  forgetAll(): void {
    for (const connection of [...this.connections.values()]) connection.forget();
    this.active.forgetAll("the guest's network card was reset");
  }

  connectionInfo(): TcpConnectionInfo[] {
    return [...this.connections.values()].map((c) => c.info());
  }

  saveState(now: number): TcpStackState {
    const connections = [...this.connections.values()];
    const index = new Map(connections.map((c, i) => [c, i]));
    for (const c of connections) {
      // Its other end is a socket, a wisp stream or a fetch() in this process: nothing to carry.
      if (c.localIp === this.env.addresses.routerIp && !this.hostOpened.has(c)) continue;
      const [from, to] = [`${formatIpv4(c.peer.ip)}:${c.peer.port}`, `${formatIpv4(c.localIp)}:${c.localPort}`];
      throw new Error(`host network: cannot save the connection from ${from} to ${to}: connections that leave the machine cannot be saved`);
    }
    return { connections: connections.map((c) => c.saveState(now)), ready: [...this.ready].map((c) => index.get(c) ?? -1) };
  }

  /**
   * Reads every connection in `state` (throwing, naming the field, before changing anything),
   * then installs them. The stack must have no connections. Returns them, to be resumed once
   * the whole network is back.
   */
  restoreState(state: StateReader, now: number): TcpConnection[] {
    if (this.connections.size > 0) throw new Error("host network: restoreState needs a network with no TCP connections");
    const restored = new Map<string, TcpConnection>();
    for (const item of state.field("connections").items(cfg.MAX_CONNECTIONS)) {
      const connection = restoreTcpConnection(this.connectionEnv, item, this.listeners, now);
      const id = key(connection.peer.ip, connection.peer.port, connection.localIp, connection.localPort);
      if (restored.has(id)) item.field("peer").fail("a guest address and port no other connection to the same port has");
      restored.set(id, connection);
    }
    const all = [...restored.values()];
    const ready = state.field("ready").items(all.length).map((r) => all[r.integer(0, all.length - 1)]!);
    if (new Set(ready).size !== ready.length) state.field("ready").fail("indices without repeats");
    for (const [id, connection] of restored) {
      this.install(id, connection);
      if (connection.state === "SYN_RECEIVED") this.halfOpen.add(connection); // saved oldest first
    }
    for (const connection of ready) this.ready.add(connection);
    return all;
  }

  private install(id: string, connection: TcpConnection): void {
    this.connections.set(id, connection);
    connection.attach();
  }
}

function key(ip: number, port: number, localIp: number, localPort: number): string {
  return `${ip}:${port}:${localIp}:${localPort}`;
}
