import { describe, expect, it } from "vitest";
import type { GuestNetCapabilities, NetFrame } from "../../src/backends/net/net-backend.js";
import { internetChecksum, onesComplementSum } from "../../src/backends/net/software-offload.js";
import {
  WebSocketRelayBackend, type RelaySocket, type RelayState, type WebSocketRelayOptions,
} from "../../src/backends/net/websocket-relay.js";

class FakeSocket implements RelaySocket {
  binaryType: BinaryType = "blob";
  bufferedAmount = 0;
  onopen: ((event: Event) => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onclose: ((event: CloseEvent) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  readonly sent: Uint8Array[] = [];
  closeCalls = 0;
  constructor(readonly url: string) {}
  send(data: Uint8Array): void { this.sent.push(data.slice()); }
  close(): void { this.closeCalls++; }
  open(): void { this.onopen?.(new Event("open")); }
  message(data: unknown): void { this.onmessage?.(new MessageEvent("message", { data })); }
  fail(code = 1006): void {
    this.onerror?.(new Event("error"));
    this.onclose?.(Object.assign(new Event("close"), { code, reason: "", wasClean: false }));
  }
}

/** Timers run only when the test advances time. */
class FakeClock {
  time = 0;
  private timers: { at: number; run: () => void; live: boolean }[] = [];
  now = () => this.time;
  schedule = (run: () => void, ms: number) => {
    const timer = { at: this.time + ms, run, live: true };
    this.timers.push(timer);
    return () => { timer.live = false; };
  };
  /** Moves to the next pending timer, runs it, and returns its time. */
  next(): number | undefined {
    const live = this.timers.filter((t) => t.live).sort((a, b) => a.at - b.at);
    const t = live[0];
    if (!t) return undefined;
    t.live = false;
    this.time = t.at;
    t.run();
    return t.at;
  }
}

function setup(opts: WebSocketRelayOptions = {}) {
  const sockets: FakeSocket[] = [];
  const clock = new FakeClock();
  const logs: string[] = [];
  const states: RelayState[] = [];
  const relay = new WebSocketRelayBackend("wss://relay.example/", {
    socketFactory: (url) => { const s = new FakeSocket(url); sockets.push(s); return s; },
    schedule: clock.schedule, now: clock.now, log: (m) => logs.push(m), ...opts,
  });
  relay.onStatusChange((s) => states.push(s.state));
  let ready = 0;
  relay.onGuestFramesReady(() => ready++);
  const socket = () => sockets[sockets.length - 1]!;
  const drain = () => { const out: NetFrame[] = []; for (let f = relay.nextForGuest(); f; f = relay.nextForGuest()) out.push(f); return out; };
  return { relay, sockets, socket, clock, logs, states, drain, ready: () => ready };
}

const CAPS: GuestNetCapabilities = { checksumOffload: true, tso4: true, maxFrameBytes: 1514 };
const frame = (n: number, length = 60) => new Uint8Array(length).fill(n);

/** A TCP/IPv4 frame as a checksum-offloading guest sends it: the TCP field holds the pseudo-header sum. */
function partialTcpFrame(payloadBytes: number): { bytes: Uint8Array; pseudoOf: (seg: Uint8Array) => number } {
  const total = 40 + payloadBytes;
  const f = new Uint8Array(14 + total);
  f.set([0x08, 0x00], 12);
  f.set([0x45, 0, total >> 8, total & 0xff, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 2, 15, 10, 0, 2, 99], 14);
  f.set([0x30, 0x39, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 1, 0x50, 0x18, 0xff, 0xff], 34);
  for (let i = 54; i < f.length; i++) f[i] = i & 0xff;
  const ipSum = internetChecksum(f, 14, 34);
  f.set([ipSum >> 8, ipSum & 0xff], 24);
  // Pseudo-header of a segment: addresses, protocol 6, TCP length from its IP total length.
  const pseudoOf = (seg: Uint8Array) => onesComplementSum(seg, 26, 34, 6 + ((seg[16]! << 8) | seg[17]!) - 20);
  const pseudo = pseudoOf(f);
  f.set([pseudo >> 8, pseudo & 0xff], 50);
  return { bytes: f, pseudoOf };
}

describe("WebSocketRelayBackend", () => {
  it("opens a binary socket at once and sends frames queued while connecting, in order, on open", () => {
    const t = setup();
    expect(t.sockets).toHaveLength(1);
    expect(t.socket().url).toBe("wss://relay.example/");
    expect(t.socket().binaryType).toBe("arraybuffer");
    t.relay.receiveFromGuest({ bytes: frame(1) });
    t.relay.receiveFromGuest({ bytes: frame(2) });
    expect(t.socket().sent).toHaveLength(0);
    t.socket().open();
    t.relay.receiveFromGuest({ bytes: frame(3) });
    expect(t.socket().sent.map((f) => f[0])).toEqual([1, 2, 3]);
    expect(t.states).toEqual(["open"]);
    expect(t.relay.status).toMatchObject({ connected: true, counters: { framesToRelay: 3, bytesToRelay: 180 } });
  });

  it("keeps only the newest frames while disconnected", () => {
    const t = setup({ sendQueueFrames: 3 });
    for (let i = 1; i <= 5; i++) t.relay.receiveFromGuest({ bytes: frame(i) });
    t.socket().open();
    expect(t.socket().sent.map((f) => f[0])).toEqual([3, 4, 5]);
    expect(t.relay.status.counters.droppedToRelay).toBe(2);
  });

  it("drops frames rather than buffer without limit when the socket backs up", () => {
    const t = setup({ maxBufferedBytes: 1000 });
    t.socket().open();
    t.socket().bufferedAmount = 1001;
    t.relay.receiveFromGuest({ bytes: frame(1) });
    t.socket().bufferedAmount = 1000;
    t.relay.receiveFromGuest({ bytes: frame(2) });
    expect(t.socket().sent.map((f) => f[0])).toEqual([2]);
    expect(t.relay.status.counters.droppedToRelay).toBe(1);
  });

  it("delivers each binary message as one plain frame and rejects what is not a frame", () => {
    const t = setup();
    t.socket().open();
    t.socket().message(frame(7).buffer);
    const backing = new Uint8Array(100).fill(9);
    t.socket().message(backing.subarray(10, 80));
    t.socket().message("hello");
    t.socket().message(new ArrayBuffer(13));
    backing.fill(0); // the view was copied
    const got = t.drain();
    expect(got.map((f) => [f.bytes.length, f.bytes[0]])).toEqual([[60, 7], [70, 9]]);
    expect(got.every((f) => f.offload === undefined)).toBe(true);
    expect(t.ready()).toBe(2);
    expect(t.relay.status.counters).toMatchObject({ framesFromRelay: 2, bytesFromRelay: 130, malformed: 2 });
  });

  it("bounds the guest queue by dropping the oldest, and drops frames too big for the guest", () => {
    const t = setup({ guestQueueFrames: 4 });
    t.relay.setGuestCapabilities(CAPS);
    t.socket().open();
    for (let i = 1; i <= 6; i++) t.socket().message(frame(i).buffer);
    t.socket().message(frame(8, 1515).buffer);
    expect(t.drain().map((f) => f.bytes[0])).toEqual([3, 4, 5, 6]);
    expect(t.relay.status.counters.droppedToGuest).toBe(3);
  });

  it("forgets frames queued for a driver that was reset", () => {
    const t = setup();
    t.socket().open();
    t.socket().message(frame(1).buffer);
    t.relay.setGuestCapabilities(undefined);
    expect(t.relay.nextForGuest()).toBeUndefined();
  });

  it("drops the guest's queued frames on guestReset, and keeps its socket for the next driver", () => {
    const t = setup();
    t.socket().open();
    t.socket().message(frame(1).buffer);
    t.socket().message(frame(2).buffer);
    t.relay.guestReset();
    expect(t.relay.nextForGuest()).toBeUndefined();
    expect(t.relay.status.state).toBe("open");
    t.socket().message(frame(3).buffer);
    expect(t.drain().map((f) => f.bytes[0])).toEqual([3]);
  });

  it("finishes partial checksums and segments TSO frames before they reach the relay", () => {
    const t = setup();
    t.socket().open();
    const small = partialTcpFrame(100);
    t.relay.receiveFromGuest({ bytes: small.bytes, offload: { partialChecksum: { start: 34, offset: 16 } } });
    const big = partialTcpFrame(4000);
    t.relay.receiveFromGuest({ bytes: big.bytes, offload: { tcpSegmentSize: 1448, partialChecksum: { start: 34, offset: 16 } } });
    const sent = t.socket().sent;
    expect(sent.map((f) => f.length)).toEqual([154, 1502, 1502, 1158]);
    for (const seg of sent) expect(internetChecksum(seg, 34, seg.length, small.pseudoOf(seg))).toBe(0);
    // An offload that does not fit the frame: dropped and counted, not sent half-done.
    const udp = partialTcpFrame(10).bytes;
    udp[23] = 17;
    t.relay.receiveFromGuest({ bytes: udp, offload: { tcpSegmentSize: 1448 } });
    expect(sent).toHaveLength(4);
    expect(t.relay.status.counters.malformed).toBe(1);
  });

  it("reconnects with doubling delays, resets them after a success, and logs why", () => {
    const t = setup({ reconnectDelayMs: 1000, maxReconnectDelayMs: 4000, attemptsPerMinute: 100 });
    const at: number[] = [];
    for (let i = 0; i < 4; i++) {
      t.socket().fail();
      expect(t.relay.status.state).toBe("waiting");
      at.push(t.clock.next()!);
      expect(t.relay.status.state).toBe("connecting");
    }
    expect(at).toEqual([1000, 3000, 7000, 11000]);
    expect(t.logs.some((m) => m.includes("failed, closed (code 1006); reconnecting in 4.0 s"))).toBe(true);
    t.socket().open();
    t.socket().fail(1001);
    expect(t.clock.next()).toBe(12000);
    expect(t.relay.status.counters).toMatchObject({ connectAttempts: 6, reconnects: 5 });
    expect(t.states.slice(0, 3)).toEqual(["waiting", "connecting", "waiting"]);
  });

  it("makes at most attemptsPerMinute connection attempts in any minute", () => {
    const t = setup({ reconnectDelayMs: 100, maxReconnectDelayMs: 100, attemptsPerMinute: 3 });
    const at: number[] = [];
    for (let i = 0; i < 4; i++) {
      t.socket().fail();
      at.push(t.clock.next()!);
    }
    expect(at).toEqual([100, 200, 60_000, 60_100]);
  });

  it("ignores a replaced socket's late events", () => {
    const t = setup();
    const old = t.socket();
    old.fail();
    t.clock.next();
    old.message(frame(5).buffer);
    old.open();
    expect(t.relay.nextForGuest()).toBeUndefined();
    expect(t.relay.status.state).toBe("connecting");
  });

  it("stops for good on close()", () => {
    const t = setup();
    t.socket().open();
    t.relay.close();
    expect(t.socket().closeCalls).toBe(1);
    t.socket().fail();
    expect(t.clock.next()).toBeUndefined();
    expect(t.relay.status.state).toBe("closed");
    expect(t.states).toEqual(["open", "closed"]);
  });

  it("gives up on a URL the socket constructor refuses", () => {
    const t = setup({ socketFactory: () => { throw new SyntaxError("bad URL"); } });
    expect(t.relay.status).toMatchObject({ state: "closed", lastError: "bad URL" });
    expect(t.clock.next()).toBeUndefined();
  });
});
