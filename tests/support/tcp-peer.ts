// A test-side guest for the host network stack: builds the frames a Linux guest would send
// and parses what the stack sends back. It computes and checks checksums with its own
// plain byte loop, independent of the stack's fast one, so the two check each other.
import type { NetBackend, NetFrame } from "../../src/backends/net/net-backend.js";

export const GUEST_MAC = new Uint8Array([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
export const ROUTER_MAC = new Uint8Array([0x52, 0x55, 0x0a, 0x00, 0x02, 0x02]);
export const BROADCAST_MAC = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
export const GUEST_IP = ip("10.0.2.15");
export const ROUTER_IP = ip("10.0.2.2");

export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;

export function ip(text: string): number {
  return text.split(".").reduce((value, part) => value * 256 + Number(part), 0) >>> 0;
}

/** Ones-complement sum, the slow obvious way. */
export function slowSum(bytes: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  for (let i = start; i < end; i += 2) sum += ((bytes[i] ?? 0) << 8) | (i + 1 < end ? (bytes[i + 1] ?? 0) : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

function pseudo(src: number, dst: number, protocol: number, length: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length;
}

const u16 = (b: Uint8Array, o: number): number => ((b[o] ?? 0) << 8) | (b[o + 1] ?? 0);
const u32 = (b: Uint8Array, o: number): number => ((u16(b, o) << 16) | u16(b, o + 2)) >>> 0;
function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 8;
  b[o + 1] = v;
}
function put32(b: Uint8Array, o: number, v: number): void {
  put16(b, o, v >>> 16);
  put16(b, o + 2, v & 0xffff);
}

export interface Ipv4Spec {
  protocol: number;
  payload: Uint8Array;
  src?: number;
  dst?: number;
  srcMac?: Uint8Array;
  dstMac?: Uint8Array;
}

/** An Ethernet frame with an IPv4 packet (valid header checksum) around `payload`. */
export function ipv4Frame(spec: Ipv4Spec): Uint8Array {
  const frame = new Uint8Array(34 + spec.payload.length);
  frame.set(spec.dstMac ?? ROUTER_MAC, 0);
  frame.set(spec.srcMac ?? GUEST_MAC, 6);
  put16(frame, 12, 0x0800);
  frame[14] = 0x45;
  put16(frame, 16, 20 + spec.payload.length);
  frame[22] = 64;
  frame[23] = spec.protocol;
  put32(frame, 26, spec.src ?? GUEST_IP);
  put32(frame, 30, spec.dst ?? ROUTER_IP);
  put16(frame, 24, ~slowSum(frame, 14, 34) & 0xffff);
  frame.set(spec.payload, 34);
  return frame;
}

export interface ParsedIpv4 {
  dstMac: Uint8Array;
  srcMac: Uint8Array;
  src: number;
  dst: number;
  protocol: number;
  headerChecksumOk: boolean;
  /** The L4 bytes (Ethernet padding removed). */
  payload: Uint8Array;
}

export function parseIpv4Frame(bytes: Uint8Array): ParsedIpv4 {
  if (u16(bytes, 12) !== 0x0800) throw new Error("not an IPv4 frame");
  const headerBytes = ((bytes[14] ?? 0) & 15) * 4;
  const total = u16(bytes, 16);
  return {
    dstMac: bytes.slice(0, 6),
    srcMac: bytes.slice(6, 12),
    src: u32(bytes, 26),
    dst: u32(bytes, 30),
    protocol: bytes[23] ?? 0,
    headerChecksumOk: slowSum(bytes, 14, 14 + headerBytes) === 0xffff,
    payload: bytes.subarray(14 + headerBytes, 14 + total),
  };
}

export function udpFrame(spec: { srcPort: number; dstPort: number; payload: Uint8Array; src?: number; dst?: number; dstMac?: Uint8Array; noChecksum?: boolean }): Uint8Array {
  const udp = new Uint8Array(8 + spec.payload.length);
  put16(udp, 0, spec.srcPort);
  put16(udp, 2, spec.dstPort);
  put16(udp, 4, udp.length);
  udp.set(spec.payload, 8);
  const src = spec.src ?? GUEST_IP;
  const dst = spec.dst ?? ROUTER_IP;
  if (spec.noChecksum !== true) put16(udp, 6, ~slowSum(udp, 0, udp.length, pseudo(src, dst, 17, udp.length)) & 0xffff || 0xffff);
  return ipv4Frame({ protocol: 17, payload: udp, src, dst, dstMac: spec.dstMac });
}

export interface ParsedUdp extends ParsedIpv4 {
  srcPort: number;
  dstPort: number;
  checksumOk: boolean;
  data: Uint8Array;
}

export function parseUdpFrame(bytes: Uint8Array): ParsedUdp {
  const packet = parseIpv4Frame(bytes);
  const udp = packet.payload;
  const checksumOk = u16(udp, 6) !== 0 && slowSum(udp, 0, udp.length, pseudo(packet.src, packet.dst, 17, udp.length)) === 0xffff;
  return { ...packet, srcPort: u16(udp, 0), dstPort: u16(udp, 2), checksumOk, data: udp.subarray(8, u16(udp, 4)) };
}

export interface TcpSpec {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  payload?: Uint8Array;
  mss?: number;
  wscale?: number;
  /** Leave the checksum as the pseudo-header sum only, as a guest with checksum offload does. */
  partialChecksum?: boolean;
  corruptChecksum?: boolean;
  /** The address dialed (default the router's). */
  dst?: number;
}

export function tcpFrame(spec: TcpSpec): NetFrame {
  const options: number[] = [];
  if (spec.mss !== undefined) options.push(2, 4, spec.mss >>> 8, spec.mss & 255);
  if (spec.wscale !== undefined) options.push(1, 3, 3, spec.wscale);
  while (options.length % 4 !== 0) options.push(0);
  const payload = spec.payload ?? new Uint8Array(0);
  const headerBytes = 20 + options.length;
  const tcp = new Uint8Array(headerBytes + payload.length);
  put16(tcp, 0, spec.srcPort);
  put16(tcp, 2, spec.dstPort);
  put32(tcp, 4, spec.seq);
  put32(tcp, 8, spec.ack);
  tcp[12] = (headerBytes / 4) << 4;
  tcp[13] = spec.flags;
  put16(tcp, 14, spec.window);
  tcp.set(options, 20);
  tcp.set(payload, headerBytes);
  const pseudoSum = pseudo(GUEST_IP, spec.dst ?? ROUTER_IP, 6, tcp.length);
  if (spec.partialChecksum === true) put16(tcp, 16, slowSum(new Uint8Array(0), 0, 0, pseudoSum));
  else put16(tcp, 16, (~slowSum(tcp, 0, tcp.length, pseudoSum) & 0xffff) ^ (spec.corruptChecksum === true ? 0x5a5a : 0));
  const bytes = ipv4Frame({ protocol: 6, payload: tcp, dst: spec.dst ?? ROUTER_IP });
  return spec.partialChecksum === true ? { bytes, offload: { partialChecksum: { start: 34, offset: 16 } } } : { bytes };
}

export interface TcpView {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  mss?: number;
  wscale?: number;
  payload: Uint8Array;
  /** Both checksums verified (only meaningful when the frame does not claim checksumValid). */
  checksumsOk: boolean;
  offload: NetFrame["offload"];
  frameBytes: number;
}

export function parseTcpFrame(frame: NetFrame): TcpView {
  const packet = parseIpv4Frame(frame.bytes);
  if (packet.protocol !== 6) throw new Error(`not TCP: protocol ${packet.protocol}`);
  const tcp = packet.payload;
  const headerBytes = ((tcp[12] ?? 0) >>> 4) * 4;
  const view: TcpView = {
    srcPort: u16(tcp, 0),
    dstPort: u16(tcp, 2),
    seq: u32(tcp, 4),
    ack: u32(tcp, 8),
    flags: tcp[13] ?? 0,
    window: u16(tcp, 14),
    payload: tcp.subarray(headerBytes),
    checksumsOk: packet.headerChecksumOk && slowSum(tcp, 0, tcp.length, pseudo(packet.src, packet.dst, 6, tcp.length)) === 0xffff,
    offload: frame.offload,
    frameBytes: frame.bytes.length,
  };
  for (let i = 20; i < headerBytes; ) {
    const kind = tcp[i] ?? 0;
    if (kind === 0) break;
    if (kind === 1) {
      i++;
      continue;
    }
    const length = tcp[i + 1] ?? 2;
    if (kind === 2) view.mss = u16(tcp, i + 2);
    if (kind === 3) view.wscale = tcp[i + 2];
    i += Math.max(2, length);
  }
  return view;
}

/** All frames the backend has for the guest right now (copies: a frame is valid only until the next pull). */
export function drain(net: NetBackend): NetFrame[] {
  const frames: NetFrame[] = [];
  for (let frame = net.nextForGuest(); frame !== undefined; frame = net.nextForGuest()) frames.push({ ...frame, bytes: frame.bytes.slice() });
  return frames;
}

export interface TcpPeerOptions {
  port: number;
  localPort?: number;
  iss?: number;
  mss?: number;
  /** Our window scale option; undefined sends none. */
  wscale?: number;
  /** Receive window in bytes. */
  window?: number;
  partialChecksums?: boolean;
  /** The address dialed (default the router's). */
  dst?: number;
}

const add = (seq: number, n: number): number => (seq + n) >>> 0;
/** a - b in sequence space, as a signed number. */
const diff = (a: number, b: number): number => (a - b) | 0;

/**
 * One guest-side TCP connection: sends segments with its own sequence state and takes in
 * what the stack sends, accepting only in-order data (like a receiver without SACK).
 */
export class TcpPeer {
  readonly port: number;
  readonly localPort: number;
  sndNxt: number;
  rcvNxt = 0;
  window: number;
  readonly wscale: number | undefined;
  /** In-order data received, as chunks. */
  readonly chunks: Uint8Array[] = [];
  finReceived = false;
  resetReceived = false;
  /** Every segment seen for this connection, in order. */
  readonly seen: TcpView[] = [];
  /** The host's latest acknowledgement number, and its window in bytes (scaled as negotiated). */
  hostAck: number | undefined;
  hostWindow = 0;
  private hostShift = 0;
  /** Payload sent and not yet acknowledged by the host, oldest first (for resend()). */
  private readonly outbox: { seq: number; bytes: Uint8Array }[] = [];

  constructor(readonly net: NetBackend, private readonly options: TcpPeerOptions) {
    this.port = options.port;
    this.localPort = options.localPort ?? 40000;
    this.sndNxt = options.iss ?? 1000;
    this.window = options.window ?? 64 * 1024;
    this.wscale = options.wscale;
  }

  get receivedBytes(): number {
    return this.chunks.reduce((n, c) => n + c.length, 0);
  }

  received(): Uint8Array {
    const out = new Uint8Array(this.receivedBytes);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }

  /** The window field we advertise. */
  windowField(): number {
    return Math.min(0xffff, Math.floor(this.window / 2 ** (this.wscale ?? 0)));
  }

  send(flags: number, payload: Uint8Array = new Uint8Array(0), overrides: Partial<TcpSpec> = {}): void {
    const spec: TcpSpec = {
      srcPort: this.localPort,
      dstPort: this.port,
      seq: this.sndNxt,
      ack: this.rcvNxt,
      flags,
      window: this.windowField(),
      payload,
      partialChecksum: this.options.partialChecksums,
      ...(this.options.dst === undefined ? {} : { dst: this.options.dst }),
      ...overrides,
    };
    this.net.receiveFromGuest(tcpFrame(spec));
    if (overrides.seq !== undefined) return;
    if (payload.length > 0) this.outbox.push({ seq: add(this.sndNxt, flags & SYN ? 1 : 0), bytes: payload.slice() });
    this.sndNxt = add(this.sndNxt, payload.length + (flags & SYN ? 1 : 0) + (flags & FIN ? 1 : 0));
  }

  /** Payload bytes sent that the host has not acknowledged. */
  get unacknowledgedBytes(): number {
    return this.outbox.reduce((n, e) => n + e.bytes.length, 0);
  }

  /**
   * Sends again what the host has not acknowledged, from its ACK on, in segments of
   * `segmentBytes` and no more than its window allows: a guest's retransmission (the host
   * drops data it cannot take, e.g. while a service has paused reading). Returns the bytes sent.
   */
  resend(segmentBytes = 1460): number {
    const from = this.hostAck;
    if (from === undefined) return 0;
    let budget = this.hostWindow;
    let sent = 0;
    for (const entry of this.outbox) {
      let offset = Math.max(0, diff(from, entry.seq));
      while (offset < entry.bytes.length && budget > 0) {
        const n = Math.min(segmentBytes, entry.bytes.length - offset, budget);
        this.send(ACK, entry.bytes.subarray(offset, offset + n), { seq: add(entry.seq, offset) });
        offset += n;
        budget -= n;
        sent += n;
      }
    }
    return sent;
  }

  /** Three-way handshake; returns the SYN-ACK. */
  connect(): TcpView {
    this.send(SYN, undefined, { mss: this.options.mss ?? 1460, wscale: this.wscale, window: Math.min(0xffff, this.window) });
    const synAck = this.receive().find((s) => (s.flags & SYN) !== 0);
    if (synAck === undefined) throw new Error("no SYN-ACK");
    this.send(ACK);
    return synAck;
  }

  /**
   * Pulls every frame for the guest and takes in the segments of this connection.
   * `drop` simulates a lossy NIC: dropped segments are never seen by the receiver.
   */
  receive(drop: (segment: TcpView) => boolean = () => false): TcpView[] {
    const segments: TcpView[] = [];
    for (const frame of drain(this.net)) {
      const segment = parseTcpFrame(frame);
      if (segment.dstPort !== this.localPort || segment.srcPort !== this.port) continue;
      if (drop(segment)) continue;
      segments.push(segment);
      this.take(segment);
    }
    return segments;
  }

  /** Takes in one segment for this connection (for tests that pull frames themselves). */
  take(s: TcpView): void {
    this.seen.push(s);
    if ((s.flags & RST) !== 0) {
      this.resetReceived = true;
      return;
    }
    if ((s.flags & SYN) !== 0) {
      this.rcvNxt = add(s.seq, 1);
      this.hostShift = this.wscale !== undefined && s.wscale !== undefined ? s.wscale : 0;
      this.hostAck = s.ack;
      this.hostWindow = s.window; // never scaled in a SYN
      return;
    }
    if ((s.flags & ACK) !== 0 && (this.hostAck === undefined || diff(s.ack, this.hostAck) >= 0)) {
      this.hostAck = s.ack;
      this.hostWindow = s.window * 2 ** this.hostShift;
      const acked = s.ack;
      while (this.outbox.length > 0 && diff(add(this.outbox[0]!.seq, this.outbox[0]!.bytes.length), acked) <= 0) this.outbox.shift();
    }
    if (s.seq === this.rcvNxt && s.payload.length > 0) {
      this.chunks.push(s.payload.slice());
      this.rcvNxt = add(this.rcvNxt, s.payload.length);
    }
    if ((s.flags & FIN) !== 0 && add(s.seq, s.payload.length) === this.rcvNxt) {
      this.rcvNxt = add(this.rcvNxt, 1);
      this.finReceived = true;
    }
  }

  ack(): void {
    this.send(ACK);
  }
}
