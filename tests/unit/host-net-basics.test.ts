// The host network's packet layer: checksums, ARP, ping, UDP echo, DNS, and what it
// refuses (frames for others, bad checksums). Frames are built and checked with the
// test-side helpers in tests/support/tcp-peer.ts, which have their own checksum code.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { onesComplementSum, foldSum } from "../../src/backends/net/checksum.js";
import { SendBuffer } from "../../src/backends/net/host/send-buffer.js";
import { createHostNetwork } from "../../src/backends/net/host/host-network.js";
import {
  BROADCAST_MAC, drain, GUEST_IP, GUEST_MAC, ip, ipv4Frame, parseIpv4Frame, parseUdpFrame, ROUTER_IP, ROUTER_MAC, slowSum, udpFrame,
} from "../support/tcp-peer.js";

function arpRequest(targetIp: number, senderIp = GUEST_IP): Uint8Array {
  const f = new Uint8Array(42);
  f.set(BROADCAST_MAC, 0);
  f.set(GUEST_MAC, 6);
  f.set([0x08, 0x06, 0, 1, 0x08, 0x00, 6, 4, 0, 1], 12);
  f.set(GUEST_MAC, 22);
  new DataView(f.buffer).setUint32(28, senderIp);
  new DataView(f.buffer).setUint32(38, targetIp);
  return f;
}

function icmpEcho(id: number, seq: number, data: Uint8Array): Uint8Array {
  const icmp = new Uint8Array(8 + data.length);
  icmp[0] = 8;
  new DataView(icmp.buffer).setUint16(4, id);
  new DataView(icmp.buffer).setUint16(6, seq);
  icmp.set(data, 8);
  new DataView(icmp.buffer).setUint16(2, ~slowSum(icmp, 0, icmp.length) & 0xffff);
  return ipv4Frame({ protocol: 1, payload: icmp });
}

describe("checksum", () => {
  it("the fast sum equals the byte-by-byte sum at every offset and length", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.nat(), fc.nat({ max: 0xffff }), (bytes, a, b, initial) => {
        const start = bytes.length === 0 ? 0 : a % (bytes.length + 1);
        const end = start + (bytes.length - start === 0 ? 0 : b % (bytes.length - start + 1));
        expect(foldSum(onesComplementSum(bytes, start, end, initial))).toBe(slowSum(bytes, start, end, initial));
      }),
      { numRuns: 500 },
    );
  });

  it("handles views with a byte offset into a larger buffer", () => {
    const backing = new Uint8Array(100).map((_, i) => i * 37);
    const view = backing.subarray(3, 90);
    expect(foldSum(onesComplementSum(view, 1, 86))).toBe(slowSum(view, 1, 86));
  });
});

describe("send buffer", () => {
  it("returns exactly the bytes written, across small packed writes and large kept ones", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 5000 }), { maxLength: 30 }), fc.array(fc.nat(), { maxLength: 20 }), (writes, cuts) => {
        const buffer = new SendBuffer();
        const all: number[] = [];
        for (const w of writes) {
          buffer.push(w.slice());
          all.push(...w);
        }
        expect(buffer.length).toBe(all.length);
        let consumed = 0;
        for (const cut of cuts) {
          const n = all.length - consumed === 0 ? 0 : cut % (all.length - consumed + 1);
          // Read a window at some offset, then consume part of it, like ACKs do.
          const offset = Math.min(n, buffer.length);
          const length = buffer.length - offset;
          const out = new Uint8Array(length);
          buffer.copyTo(offset, length, out, 0);
          expect(Array.from(out)).toEqual(all.slice(consumed + offset));
          buffer.consume(n);
          consumed += n;
          expect(buffer.length).toBe(all.length - consumed);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe("ARP", () => {
  it("answers a request for the router with the router's MAC, to the asker", () => {
    const net = createHostNetwork();
    let ready = 0;
    net.onGuestFramesReady(() => ready++);
    net.receiveFromGuest({ bytes: arpRequest(ROUTER_IP) });
    expect(ready).toBe(1);
    const [reply, ...rest] = drain(net);
    expect(rest).toEqual([]);
    const r = reply!.bytes;
    expect(Array.from(r.subarray(0, 6))).toEqual(Array.from(GUEST_MAC));
    expect(Array.from(r.subarray(6, 12))).toEqual(Array.from(ROUTER_MAC));
    expect(Array.from(r.subarray(12, 22))).toEqual([0x08, 0x06, 0, 1, 0x08, 0x00, 6, 4, 0, 2]);
    expect(Array.from(r.subarray(22, 28))).toEqual(Array.from(ROUTER_MAC)); // sender hardware address
    expect(new DataView(r.buffer).getUint32(28)).toBe(ROUTER_IP);
    expect(Array.from(r.subarray(32, 38))).toEqual(Array.from(GUEST_MAC));
    expect(new DataView(r.buffer).getUint32(38)).toBe(GUEST_IP);
    expect(r.length).toBeGreaterThanOrEqual(60);
    expect(net.stats().arpReplies).toBe(1);
  });

  it("ignores requests for other addresses (the guest's own included) but learns the guest's MAC", () => {
    const net = createHostNetwork();
    net.receiveFromGuest({ bytes: arpRequest(GUEST_IP) }); // gratuitous ARP
    net.receiveFromGuest({ bytes: arpRequest(ip("10.0.2.3")) });
    expect(drain(net)).toEqual([]);
    expect(net.stats().dropped["arp-ignored"]).toBe(2);
    expect(net.stats().guestMac).toBe("52:54:00:12:34:56");
  });
});

describe("ICMP", () => {
  it("answers ping with the same id, sequence and data and a correct checksum", () => {
    const net = createHostNetwork();
    const data = new Uint8Array(56).map((_, i) => i);
    net.receiveFromGuest({ bytes: icmpEcho(0x1234, 7, data) });
    const [reply] = drain(net);
    const p = parseIpv4Frame(reply!.bytes);
    expect(p.headerChecksumOk).toBe(true);
    expect([p.src, p.dst, p.protocol]).toEqual([ROUTER_IP, GUEST_IP, 1]);
    expect(Array.from(p.dstMac)).toEqual(Array.from(GUEST_MAC));
    expect(p.payload[0]).toBe(0); // echo reply
    expect(slowSum(p.payload, 0, p.payload.length)).toBe(0xffff);
    const view = new DataView(p.payload.buffer, p.payload.byteOffset);
    expect([view.getUint16(4), view.getUint16(6)]).toEqual([0x1234, 7]);
    expect(Array.from(p.payload.subarray(8))).toEqual(Array.from(data));
    expect(reply!.offload).toBeUndefined();
  });

  it("drops a ping with a bad checksum and one for another address", () => {
    const net = createHostNetwork();
    const bad = icmpEcho(1, 1, new Uint8Array(8));
    bad[40] = (bad[40] ?? 0) ^ 0xff;
    net.receiveFromGuest({ bytes: bad });
    const other = icmpEcho(1, 1, new Uint8Array(8));
    other.set([8, 8, 8, 8], 30); // destination 8.8.8.8 (header checksum now wrong too: fix it)
    other.set([0, 0], 24);
    other.set([(~slowSum(other, 14, 34) >>> 8) & 0xff, ~slowSum(other, 14, 34) & 0xff], 24);
    net.receiveFromGuest({ bytes: other });
    expect(drain(net)).toEqual([]);
    expect(net.stats().dropped["bad-checksum"]).toBe(1);
    expect(net.stats().dropped["not-for-us"]).toBe(1);
  });
});

describe("UDP", () => {
  it("echoes on port 7 with ports swapped and a valid checksum", () => {
    const net = createHostNetwork();
    const payload = new TextEncoder().encode("hello, echo");
    net.receiveFromGuest({ bytes: udpFrame({ srcPort: 5555, dstPort: 7, payload }) });
    const reply = parseUdpFrame(drain(net)[0]!.bytes);
    expect([reply.srcPort, reply.dstPort, reply.src, reply.dst]).toEqual([7, 5555, ROUTER_IP, GUEST_IP]);
    expect(reply.checksumOk).toBe(true);
    expect(new TextDecoder().decode(reply.data)).toBe("hello, echo");
    expect(net.stats().udpEchoReplies).toBe(1);
  });

  it("accepts a datagram without a checksum, drops one with a wrong checksum and one to a closed port", () => {
    const net = createHostNetwork();
    net.receiveFromGuest({ bytes: udpFrame({ srcPort: 1, dstPort: 7, payload: new Uint8Array([1, 2, 3]), noChecksum: true }) });
    const bad = udpFrame({ srcPort: 1, dstPort: 7, payload: new Uint8Array([1, 2, 3]) });
    bad[42] = 9;
    net.receiveFromGuest({ bytes: bad });
    net.receiveFromGuest({ bytes: udpFrame({ srcPort: 1, dstPort: 9999, payload: new Uint8Array(1) }) });
    expect(drain(net)).toHaveLength(1);
    expect(net.stats().dropped["bad-checksum"]).toBe(1);
    expect(net.stats().dropped["udp-closed-port"]).toBe(1);
  });

  it("does not verify checksums of a frame whose checksum the guest offloaded", () => {
    const net = createHostNetwork();
    const frame = udpFrame({ srcPort: 1, dstPort: 7, payload: new Uint8Array([1, 2, 3]) });
    frame[40] = 0x12; // partial: only the pseudo-header sum, here just wrong
    net.receiveFromGuest({ bytes: frame, offload: { partialChecksum: { start: 34, offset: 6 } } });
    expect(drain(net)).toHaveLength(1);
  });

  it("keeps at most maxQueuedFrames replies and counts the rest", () => {
    const net = createHostNetwork({ maxQueuedFrames: 3 });
    for (let i = 0; i < 5; i++) net.receiveFromGuest({ bytes: udpFrame({ srcPort: 1, dstPort: 7, payload: new Uint8Array([i]) }) });
    expect(net.stats().queuedFrames).toBe(3);
    expect(net.stats().dropped["queue-full"]).toBe(2);
    expect(drain(net).map((f) => parseUdpFrame(f.bytes).data[0])).toEqual([0, 1, 2]);
  });
});

describe("frame filtering", () => {
  it("drops frames for other MACs, other ethertypes and IPv4 fragments", () => {
    const net = createHostNetwork();
    const elsewhere = udpFrame({ srcPort: 1, dstPort: 7, payload: new Uint8Array(1), dstMac: new Uint8Array([2, 0, 0, 0, 0, 1]) });
    net.receiveFromGuest({ bytes: elsewhere });
    const ipv6 = new Uint8Array(60);
    ipv6.set(ROUTER_MAC, 0);
    ipv6.set([0x86, 0xdd], 12);
    net.receiveFromGuest({ bytes: ipv6 });
    const fragment = udpFrame({ srcPort: 1, dstPort: 7, payload: new Uint8Array(1) });
    fragment[20] = 0x20; // more fragments
    fragment.set([0, 0], 24);
    const sum = ~slowSum(fragment, 14, 34) & 0xffff;
    fragment.set([sum >>> 8, sum & 0xff], 24);
    net.receiveFromGuest({ bytes: fragment });
    expect(drain(net)).toEqual([]);
    const dropped = net.stats().dropped;
    expect([dropped["not-for-us"], dropped["unsupported-ethertype"], dropped.fragment]).toEqual([1, 1, 1]);
    expect(net.stats().framesFromGuest).toBe(3);
  });
});

// ---- DNS ----

function dnsQuery(name: string, type: number, id = 0xbeef): Uint8Array {
  const labels = name.split(".").filter((l) => l.length > 0);
  const q: number[] = [id >>> 8, id & 0xff, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
  for (const label of labels) q.push(label.length, ...Array.from(label, (c) => c.charCodeAt(0)));
  q.push(0, type >>> 8, type & 0xff, 0, 1);
  return new Uint8Array(q);
}

function askDns(net: ReturnType<typeof createHostNetwork>, query: Uint8Array): Uint8Array {
  net.receiveFromGuest({ bytes: udpFrame({ srcPort: 40000, dstPort: 53, payload: query }) });
  const reply = parseUdpFrame(drain(net)[0]!.bytes);
  expect(reply.checksumOk).toBe(true);
  expect([reply.srcPort, reply.dstPort]).toEqual([53, 40000]);
  return reply.data;
}

describe("DNS", () => {
  const u16 = (b: Uint8Array, o: number): number => ((b[o] ?? 0) << 8) | (b[o + 1] ?? 0);

  it.each(["host", "ringside.host", "router", "HOST.", "Ringside.Host."])("answers A %s with 10.0.2.2", (name) => {
    const net = createHostNetwork();
    const query = dnsQuery(name, 1);
    const r = askDns(net, query);
    expect(u16(r, 0)).toBe(0xbeef);
    const flags = u16(r, 2);
    expect(flags & 0x8000).toBe(0x8000); // response
    expect(flags & 0x0100).toBe(0x0100); // RD copied
    expect(flags & 0x000f).toBe(0); // NOERROR
    expect([u16(r, 4), u16(r, 6)]).toEqual([1, 1]);
    // The question comes back as asked; the answer points at it.
    expect(Array.from(r.subarray(12, query.length))).toEqual(Array.from(query.subarray(12)));
    const a = query.length;
    expect([u16(r, a), u16(r, a + 2), u16(r, a + 4), u16(r, a + 10)]).toEqual([0xc00c, 1, 1, 4]);
    expect(Array.from(r.subarray(a + 12, a + 16))).toEqual([10, 0, 2, 2]);
    expect(r.length).toBe(a + 16);
  });

  it("answers AAAA for a known name with NOERROR and no records", () => {
    const r = askDns(createHostNetwork(), dnsQuery("host", 28));
    expect(u16(r, 2) & 0xf).toBe(0);
    expect([u16(r, 4), u16(r, 6)]).toEqual([1, 0]);
  });

  it("answers unknown names with NXDOMAIN", () => {
    const r = askDns(createHostNetwork(), dnsQuery("example.com", 1));
    expect(u16(r, 2) & 0xf).toBe(3);
    expect(u16(r, 6)).toBe(0);
  });

  it("serves extra names from the options", () => {
    const r = askDns(createHostNetwork({ dnsNames: { "peer.vm.": "10.0.2.16" } }), dnsQuery("peer.vm", 1));
    expect(Array.from(r.subarray(r.length - 4))).toEqual([10, 0, 2, 16]);
  });

  it("answers a truncated question with FORMERR and ignores responses", () => {
    const net = createHostNetwork();
    const truncated = dnsQuery("host", 1).subarray(0, 15);
    const r = askDns(net, truncated);
    expect(u16(r, 2) & 0xf).toBe(1);
    const response = dnsQuery("host", 1);
    response[2] = 0x81;
    net.receiveFromGuest({ bytes: udpFrame({ srcPort: 40000, dstPort: 53, payload: response }) });
    expect(drain(net)).toEqual([]);
    expect(net.stats().dropped["dns-malformed"]).toBe(1);
  });
});
