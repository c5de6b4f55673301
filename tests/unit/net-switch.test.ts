import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BroadcastSwitch, DEFAULT_ROUTER_MAC, guestIpForMac, type BroadcastSwitchOptions, type SwitchMessage,
} from "../../src/backends/net/broadcast-switch.js";
import { parseMac } from "../../src/util/mac-address.js";
import type { GuestNetCapabilities, NetBackend, NetFrame } from "../../src/backends/net/net-backend.js";
import { internetChecksum, onesComplementSum } from "../../src/backends/net/software-offload.js";

import { FakeHub } from "../support/fake-switch-hub.js";

class FakeLocal implements NetBackend {
  readonly received: NetFrame[] = [];
  readonly queue: NetFrame[] = [];
  caps: GuestNetCapabilities | undefined;
  private listener = () => {};
  receiveFromGuest(frame: NetFrame): void { this.received.push(frame); }
  nextForGuest(): NetFrame | undefined { return this.queue.shift(); }
  onGuestFramesReady(listener: () => void): void { this.listener = listener; }
  setGuestCapabilities(caps: GuestNetCapabilities | undefined): void { this.caps = caps; }
  guestResets = 0;
  guestReset(): void { this.guestResets++; this.queue.length = 0; }
  give(frame: NetFrame): void { this.queue.push(frame); this.listener(); }
}

const MAC = { a: "02:00:00:00:00:0a", b: "02:00:00:00:00:0b", c: "02:00:00:00:00:0c" };
const BROADCAST = "ff:ff:ff:ff:ff:ff";
const FULL: GuestNetCapabilities = { checksumOffload: true, tso4: true, maxFrameBytes: 65550 };
const PLAIN: GuestNetCapabilities = { checksumOffload: false, tso4: false, maxFrameBytes: 1514 };

function eth(dst: string, src: string, tag: number, length = 60): Uint8Array {
  const f = new Uint8Array(length).fill(tag);
  f.set(parseMac(dst), 0);
  f.set(parseMac(src), 6);
  return f;
}

function node(hub: FakeHub, mac: string, opts: Partial<BroadcastSwitchOptions> = {}) {
  const local = new FakeLocal();
  const sw = new BroadcastSwitch({ guestMac: mac, local, channel: hub.join(), ...opts });
  let ready = 0;
  sw.onGuestFramesReady(() => ready++);
  sw.setGuestCapabilities(FULL);
  const drain = () => { const out: NetFrame[] = []; for (let f = sw.nextForGuest(); f; f = sw.nextForGuest()) out.push(f); return out; };
  return { sw, local, drain, ready: () => ready };
}

/** A TCP/IPv4 frame from `src` to `dst` as a checksum-offloading guest sends it (TCP field = pseudo-header sum). */
function partialTcp(dst: string, src: string, payloadBytes: number): Uint8Array {
  const total = 40 + payloadBytes;
  const f = eth(dst, src, 0x5a, 14 + total);
  f.set([0x08, 0x00], 12);
  f.set([0x45, 0, total >> 8, total & 0xff, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 2, 20, 10, 0, 2, 30], 14);
  f.set([0x30, 0x39, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 1, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0], 34);
  const ipSum = internetChecksum(f, 14, 34);
  f.set([ipSum >> 8, ipSum & 0xff], 24);
  const pseudo = pseudoSum(f);
  f.set([pseudo >> 8, pseudo & 0xff], 50);
  return f;
}
const pseudoSum = (seg: Uint8Array) => onesComplementSum(seg, 26, 34, 6 + ((seg[16]! << 8) | seg[17]!) - 20);
const tcpChecksumOk = (seg: Uint8Array) => internetChecksum(seg, 34, seg.length, pseudoSum(seg)) === 0;
const OFFLOAD = { partialChecksum: { start: 34, offset: 16 } };

describe("BroadcastSwitch", () => {
  it("sends unicast to another guest over the channel only, and only that guest takes it", () => {
    const hub = new FakeHub();
    const [a, b, c] = [node(hub, MAC.a), node(hub, MAC.b), node(hub, MAC.c)];
    a.sw.receiveFromGuest({ bytes: eth(MAC.b, MAC.a, 1) });
    expect(a.local.received).toHaveLength(0);
    expect(b.drain().map((f) => f.bytes[20])).toEqual([1]);
    expect(b.ready()).toBe(1);
    expect(c.drain()).toHaveLength(0);
    expect(c.sw.counters.notForUs).toBe(1);
    expect(b.local.received).toHaveLength(0);
  });

  it("sends broadcast and multicast to the local backend and every other guest", () => {
    const hub = new FakeHub();
    const [a, b] = [node(hub, MAC.a), node(hub, MAC.b)];
    a.sw.receiveFromGuest({ bytes: eth(BROADCAST, MAC.a, 2) });
    a.sw.receiveFromGuest({ bytes: eth("01:00:5e:00:00:fb", MAC.a, 3) });
    expect(a.local.received.map((f) => f.bytes[20])).toEqual([2, 3]);
    expect(b.drain().map((f) => f.bytes[20])).toEqual([2, 3]);
    // The other tab's host network answers only its own guest: it never sees our frames.
    expect(b.local.received).toHaveLength(0);
    expect(a.drain()).toHaveLength(0);
  });

  it("keeps router-bound frames in their own tab", () => {
    const hub = new FakeHub();
    const [a, b] = [node(hub, MAC.a), node(hub, MAC.b)];
    a.sw.receiveFromGuest({ bytes: eth(DEFAULT_ROUTER_MAC, MAC.a, 4) });
    expect(a.local.received).toHaveLength(1);
    expect(hub.members[0]!.posted).toHaveLength(0);
    expect(b.drain()).toHaveLength(0);
    expect(b.sw.counters.notForUs).toBe(0);
  });

  it("never delivers its own frames back, even from a channel that echoes", () => {
    const hub = new FakeHub();
    hub.echo = true;
    const a = node(hub, MAC.a);
    a.sw.receiveFromGuest({ bytes: eth(BROADCAST, MAC.a, 5) });
    a.sw.receiveFromGuest({ bytes: eth(MAC.a, MAC.a, 6) });
    expect(a.drain()).toHaveLength(0);
    expect(a.sw.counters.echoes).toBe(2);
  });

  it("bounds channel frames (oldest dropped) but never drops the local backend's", () => {
    const hub = new FakeHub();
    const [a, b] = [node(hub, MAC.a), node(hub, MAC.b, { channelQueueFrames: 3 })];
    for (let i = 1; i <= 5; i++) a.sw.receiveFromGuest({ bytes: eth(MAC.b, MAC.a, i) });
    for (let i = 1; i <= 10; i++) b.local.give({ bytes: eth(MAC.b, DEFAULT_ROUTER_MAC, 100 + i) });
    expect(b.sw.channelQueueLength).toBe(3);
    const got = b.drain().map((f) => f.bytes[20]!);
    expect(got.filter((t) => t < 100)).toEqual([3, 4, 5]);
    expect(got.filter((t) => t > 100)).toEqual([101, 102, 103, 104, 105, 106, 107, 108, 109, 110]);
    expect(b.sw.counters.dropped).toBe(2);
  });

  it("takes turns between the local backend and the channel", () => {
    const hub = new FakeHub();
    const [a, b] = [node(hub, MAC.a), node(hub, MAC.b)];
    for (let i = 1; i <= 3; i++) {
      a.sw.receiveFromGuest({ bytes: eth(MAC.b, MAC.a, i) });
      b.local.give({ bytes: eth(MAC.b, DEFAULT_ROUTER_MAC, 100 + i) });
    }
    expect(b.drain().map((f) => f.bytes[20])).toEqual([101, 1, 102, 2, 103, 3]);
  });

  it("segments a TSO frame from the channel for a guest without TSO, and passes it whole to one with", () => {
    const hub = new FakeHub();
    const [a, plain, csumOnly, full] = [node(hub, MAC.a), node(hub, MAC.b), node(hub, MAC.c), node(hub, "02:00:00:00:00:0d")];
    plain.sw.setGuestCapabilities(PLAIN);
    csumOnly.sw.setGuestCapabilities({ ...PLAIN, checksumOffload: true });
    const tso = partialTcp(BROADCAST, MAC.a, 5000);
    a.sw.receiveFromGuest({ bytes: tso, offload: { ...OFFLOAD, tcpSegmentSize: 1460 } });
    const segments = plain.drain();
    expect(segments.map((f) => f.bytes.length)).toEqual([1514, 1514, 1514, 674]);
    expect(segments.every((f) => f.offload === undefined && tcpChecksumOk(f.bytes))).toBe(true);
    expect(plain.sw.counters.softwareOffloaded).toBe(1);
    const marked = csumOnly.drain();
    expect(marked).toHaveLength(4);
    expect(marked.every((f) => f.offload?.checksumValid === true && f.offload.tcpSegmentSize === undefined)).toBe(true);
    const whole = full.drain();
    expect(whole).toEqual([{ bytes: tso, offload: { tcpSegmentSize: 1460, checksumValid: true } }]);
    expect(a.local.received[0]!.offload?.tcpSegmentSize).toBe(1460); // the local backend gets the original
  });

  it("finishes partial checksums from the channel", () => {
    const hub = new FakeHub();
    const [a, b] = [node(hub, MAC.a), node(hub, MAC.b)];
    b.sw.setGuestCapabilities(PLAIN);
    a.sw.receiveFromGuest({ bytes: partialTcp(MAC.b, MAC.a, 300), offload: OFFLOAD });
    const [got] = b.drain();
    expect(got!.offload).toBeUndefined();
    expect(tcpChecksumOk(got!.bytes)).toBe(true);
  });

  it("drops what does not fit: oversized frames, bad offload metadata, foreign messages", () => {
    const hub = new FakeHub();
    const [a, b] = [node(hub, MAC.a), node(hub, MAC.b)];
    b.sw.setGuestCapabilities(PLAIN);
    a.sw.receiveFromGuest({ bytes: eth(MAC.b, MAC.a, 1, 1515) });
    a.sw.receiveFromGuest({ bytes: eth(MAC.b, MAC.a, 2), offload: { tcpSegmentSize: 100 } }); // not TCP/IPv4
    a.sw.receiveFromGuest({ bytes: new Uint8Array(10) });
    hub.members[0]!.postMessage({ kind: "something else", bytes: eth(MAC.b, MAC.a, 3) });
    hub.members[0]!.postMessage({ kind: "ringside-frame/1", from: "x", bytes: "not bytes" });
    a.sw.receiveFromGuest({ bytes: eth(MAC.b, MAC.a, 4) });
    expect(b.drain().map((f) => f.bytes[20])).toEqual([4]);
    expect(b.sw.counters).toMatchObject({ dropped: 1, malformed: 3 });
    expect(a.sw.counters.malformed).toBe(1);
  });

  it("posts a copy of a view into a larger buffer, and forwards capabilities to the local backend", () => {
    const hub = new FakeHub();
    const a = node(hub, MAC.a);
    const big = new Uint8Array(4096);
    big.set(eth(MAC.b, MAC.a, 9), 100);
    a.sw.receiveFromGuest({ bytes: big.subarray(100, 160) });
    const msg = hub.members[0]!.posted[0] as SwitchMessage;
    expect(msg.bytes.buffer.byteLength).toBe(60);
    expect(a.local.caps).toBe(FULL);
    a.sw.setGuestCapabilities(undefined);
    expect(a.local.caps).toBeUndefined();
    a.sw.close();
    expect(hub.members[0]!.closed).toBe(true);
  });

  it("forgets channel frames when the guest's driver is reset", () => {
    const hub = new FakeHub();
    const [a, b] = [node(hub, MAC.a), node(hub, MAC.b)];
    a.sw.receiveFromGuest({ bytes: eth(MAC.b, MAC.a, 1) });
    b.sw.setGuestCapabilities(undefined);
    expect(b.sw.nextForGuest()).toBeUndefined();
  });

  it("on guestReset drops channel frames queued for the guest and resets the local backend", () => {
    const hub = new FakeHub();
    const [a, b] = [node(hub, MAC.a), node(hub, MAC.b)];
    a.sw.receiveFromGuest({ bytes: eth(MAC.b, MAC.a, 1) });
    b.local.give({ bytes: eth(MAC.b, DEFAULT_ROUTER_MAC, 2) });
    b.sw.guestReset();
    expect(b.local.guestResets).toBe(1);
    expect(b.drain()).toEqual([]);
    a.sw.receiveFromGuest({ bytes: eth(MAC.b, MAC.a, 3) });
    expect(b.drain().map((f) => f.bytes[20])).toEqual([3]);
  });

  it("works over a real BroadcastChannel", async () => {
    const name = `ringside-test-${Math.random()}`;
    const [la, lb] = [new FakeLocal(), new FakeLocal()];
    const a = new BroadcastSwitch({ guestMac: MAC.a, local: la, channel: new BroadcastChannel(name) });
    const b = new BroadcastSwitch({ guestMac: MAC.b, local: lb, channel: new BroadcastChannel(name) });
    const arrived = new Promise<void>((resolve) => b.onGuestFramesReady(resolve));
    a.receiveFromGuest({ bytes: partialTcp(MAC.b, MAC.a, 100), offload: OFFLOAD });
    await arrived;
    b.setGuestCapabilities(PLAIN);
    const got = b.nextForGuest();
    a.close();
    b.close();
    expect(got && tcpChecksumOk(got.bytes)).toBe(true);
  });
});

describe("guestIpForMac", () => {
  it("gives each MAC a fixed address in 10.0.2.16-250", () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 6, maxLength: 6 }), (mac) => {
      const ip = guestIpForMac(mac);
      const last = Number(ip.split(".")[3]);
      expect(ip.startsWith("10.0.2.")).toBe(true);
      expect(last).toBeGreaterThanOrEqual(16);
      expect(last).toBeLessThanOrEqual(250);
      expect(guestIpForMac(mac)).toBe(ip);
    }));
    expect(guestIpForMac(MAC.a)).toBe(guestIpForMac(parseMac(MAC.a)));
    const spread = new Set(Array.from({ length: 50 }, (_, i) => guestIpForMac(`02:00:00:00:01:${i.toString(16).padStart(2, "0")}`)));
    expect(spread.size).toBeGreaterThan(35);
  });
});
