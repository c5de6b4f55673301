// Connections the host opens to the guest (user mode's hostfwd: a program of the host
// connects to 127.0.0.1:HOSTPORT and the guest's server must see a connection from the
// router). The host sends a SYN with its options and waits for the guest's SYN-ACK; from
// that, the connection is made exactly as from a guest's SYN (a SYN-ACK carries the same
// sequence number, window and options), already ESTABLISHED, and the service's handler is
// made then. Bounded: MAX_PENDING_OPENS wait at once, each SYN is sent again after
// SYN_RESEND_MS, and after SYN_TRIES the open fails, as it does on the guest's RST.
import type { StreamService } from "../stream-service.js";
import type { MacAddress } from "./addresses.js";
import { OUR_MSS, OUR_WINDOW_SCALE, RECEIVE_WINDOW_BYTES } from "./tcp-config.js";
import { buildTcpFrame, finishTcpChecksum, seqAdd, TCP_ACK, TCP_RST, TCP_SYN, type TcpSegment } from "./tcp-segment.js";
import { partsFromSyn, type TcpConnectionParts } from "./tcp-connection-parts.js";

export const MAX_PENDING_OPENS = 64;
export const SYN_RESEND_MS = 1000;
export const SYN_TRIES = 5;

/** What the host asks for: a connection from the router's `localPort` to the guest's `guestPort`. */
export interface ActiveOpen {
  guestPort: number;
  service: StreamService;
  /** The guest refused (RST), never answered, or the open could not even start; with why. */
  failed(reason: string): void;
}

interface Pending extends ActiveOpen {
  localPort: number;
  iss: number;
  sentAt: number;
  tries: number;
}

export interface ActiveOpenEnvironment {
  routerIp: number;
  routerMac: MacAddress;
  guestIp: number;
  /** The guest's MAC as learned from its frames; none yet: nothing can be sent to it. */
  guestMac(): MacAddress | undefined;
  now(): number;
  initialSequence(): number;
  sendControl(frame: Uint8Array): void;
}

/** A SYN-ACK that completed an open: the parts to build the connection from. */
export interface Completed {
  open: ActiveOpen;
  localPort: number;
  parts: TcpConnectionParts;
}

export class ActiveOpens {
  private readonly pending = new Map<string, Pending>();
  private nextPort = 49152;

  constructor(private readonly env: ActiveOpenEnvironment) {}

  /** Starts an open; `inUse` says whether a local port already has a connection to that guest port. */
  start(open: ActiveOpen, inUse: (localPort: number, guestPort: number) => boolean): void {
    const mac = this.env.guestMac();
    if (mac === undefined) return open.failed("the guest has not used its network card yet (no address to send to)");
    if (this.pending.size >= MAX_PENDING_OPENS) return open.failed(`${MAX_PENDING_OPENS} connections to the guest are already waiting for its answer`);
    let localPort = this.takePort();
    for (let tries = 0; inUse(localPort, open.guestPort) || this.pending.has(key(localPort, open.guestPort)); tries++) {
      if (tries > 16_384) return open.failed("no free local port");
      localPort = this.takePort();
    }
    const entry: Pending = { ...open, localPort, iss: this.env.initialSequence(), sentAt: this.env.now(), tries: 1 };
    this.pending.set(key(localPort, open.guestPort), entry);
    this.sendSyn(entry, mac);
  }

  /** A segment from the guest's `srcPort` to the router's `dstPort`: a Completed, "taken" (a refusal), or undefined (not ours). */
  handle(seg: TcpSegment): Completed | "taken" | undefined {
    const k = key(seg.dstPort, seg.srcPort);
    const entry = this.pending.get(k);
    if (entry === undefined) return undefined;
    const answersSyn = (seg.flags & TCP_ACK) !== 0 && seg.ack === seqAdd(entry.iss, 1);
    if ((seg.flags & TCP_RST) !== 0) {
      if (!answersSyn) return "taken"; // RFC 9293: a RST in SYN-SENT counts only if it acknowledges our SYN
      this.pending.delete(k);
      entry.failed(`the guest refused the connection to its port ${entry.guestPort} (nothing listens there)`);
      return "taken";
    }
    if ((seg.flags & TCP_SYN) === 0 || !answersSyn) return "taken";
    this.pending.delete(k);
    // As a guest's SYN would make them, then moved past our SYN and its acknowledgement.
    const parts = partsFromSyn(seg, entry.iss);
    const synAcked = seqAdd(entry.iss, 1);
    parts.tx.recordSent(entry.iss, 1, entry.sentAt);
    const { rtt } = parts.tx.acknowledge(synAcked, this.env.now());
    if (rtt !== undefined) parts.timers.rto.sample(rtt);
    parts.tx.updateWindow(seg.seq, synAcked, seg.window);
    parts.rx.ackNow = true; // the handshake's third segment
    return { open: entry, localPort: entry.localPort, parts };
  }

  tick(now: number): void {
    for (const [k, entry] of [...this.pending]) {
      if (now - entry.sentAt < SYN_RESEND_MS) continue;
      const mac = this.env.guestMac();
      if (entry.tries >= SYN_TRIES || mac === undefined) {
        this.pending.delete(k);
        entry.failed(`the guest did not answer on its port ${entry.guestPort}`);
        continue;
      }
      entry.tries++;
      entry.sentAt = now;
      this.sendSyn(entry, mac);
    }
  }

  /** The guest's side is gone: every open fails. */
  forgetAll(reason: string): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const entry of all) entry.failed(reason);
  }

  private takePort(): number {
    const port = this.nextPort;
    this.nextPort = port >= 65535 ? 49152 : port + 1;
    return port;
  }

  private sendSyn(entry: Pending, guestMac: MacAddress): void {
    const { frame } = buildTcpFrame({
      srcMac: this.env.routerMac, dstMac: guestMac, src: this.env.routerIp, dst: this.env.guestIp,
      srcPort: entry.localPort, dstPort: entry.guestPort, seq: entry.iss, ack: 0, flags: TCP_SYN,
      window: Math.min(0xffff, RECEIVE_WINDOW_BYTES), mss: OUR_MSS, wscale: OUR_WINDOW_SCALE, payloadLength: 0,
    });
    finishTcpChecksum(frame, this.env.routerIp, this.env.guestIp);
    this.env.sendControl(frame);
  }
}

function key(localPort: number, guestPort: number): string {
  return `${localPort}>${guestPort}`;
}
