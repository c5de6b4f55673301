// A WispTransport the test drives by hand: it plays the wisp server, records what the client
// sent (decoded), and can be made pausable or backed up.
import { decodePacket, encodePacket, type Decoded, type WispPacket } from "../../src/backends/net/wisp/packet.js";
import type { WispTransport } from "../../src/backends/net/wisp/transport.js";

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
