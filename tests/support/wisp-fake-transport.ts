// A WispTransport the test drives by hand: it plays the wisp server, records what the client
// sent (decoded), and can be made pausable or backed up.
import { decodePacket, encodePacket, type Decoded, type WispPacket } from "../../src/backends/net/wisp/packet.js";
import type { WispLimits } from "../../src/backends/net/wisp/limits.js";
import { createWispOutbound } from "../../src/backends/net/wisp/outbound.js";
import type { WispTransport } from "../../src/backends/net/wisp/transport.js";
import { FakeStream } from "./fake-stream.js";

export class FakeWispTransport implements WispTransport {
  onOpen: (() => void) | null = null;
  onMessage: ((bytes: Uint8Array) => void) | null = null;
  onClose: ((reason: string) => void) | null = null;
  readonly sent: Decoded[] = [];
  bufferedAmount = 0;
  closeCalls = 0;
  paused = false;
  pauseCalls = 0;
  pause?: () => void;
  resume?: () => void;

  constructor(readonly url: string, options: { pausable?: boolean } = {}) {
    if (options.pausable) {
      this.pause = () => ((this.paused = true), this.pauseCalls++);
      this.resume = () => void (this.paused = false);
    }
  }

  send(bytes: Uint8Array): void {
    const copy = bytes.slice();
    this.sent.push(decodePacket(copy));
  }

  close(): void {
    this.closeCalls++;
  }

  // ---- the server's side ----

  open(): void {
    this.onOpen?.();
  }

  /** A v1 server's greeting: CONTINUE on stream 0. */
  openV1(credits = 16): void {
    this.open();
    this.packet({ kind: "continue", streamId: 0, bufferRemaining: credits });
  }

  packet(p: WispPacket): void {
    this.onMessage?.(encodePacket(p));
  }

  raw(bytes: Uint8Array): void {
    this.onMessage?.(bytes);
  }

  drop(reason = "gone"): void {
    this.onClose?.(reason);
  }

  /** Packets of one kind the client sent, taken off the record. */
  take<K extends WispPacket["kind"]>(kind: K): Extract<WispPacket, { kind: K }>[] {
    const out: Extract<WispPacket, { kind: K }>[] = [];
    for (let i = 0; i < this.sent.length; ) {
      const p = this.sent[i]!;
      if (p.kind === kind) {
        out.push(p as Extract<WispPacket, { kind: K }>);
        this.sent.splice(i, 1);
      } else i++;
    }
    return out;
  }
}

/**
 * A wisp dialer on fake transports (one per connection attempt), with hand-run timers;
 * connect() opens a guest connection (a FakeStream) through it.
 */
export function fakeWispDialer(options: { pausable?: boolean; limits?: Partial<WispLimits> } = {}) {
  const transports: FakeWispTransport[] = [];
  const logs: string[] = [];
  const timers: { run: () => void; live: boolean }[] = [];
  const outbound = createWispOutbound({
    url: "ws://wisp.test:8080/",
    openTransport: (url) => {
      const t = new FakeWispTransport(url, options);
      transports.push(t);
      return t;
    },
    log: (m) => logs.push(m),
    ...(options.limits ? { limits: options.limits } : {}),
    schedule: (run) => {
      const timer = { run, live: true };
      timers.push(timer);
      return () => void (timer.live = false);
    },
  });
  const connect = (port = 80, name: string | null = "files.test", record = true): FakeStream => {
    const stream = new FakeStream({ record });
    stream.handler = outbound.tcp({ ip: "198.18.0.5", port, ...(name ? { name } : {}) }, stream);
    return stream;
  };
  const runTimers = () => {
    for (const t of timers.splice(0)) if (t.live) t.run();
  };
  const last = () => transports[transports.length - 1]!;
  return { outbound, transports, logs, connect, runTimers, last };
}
