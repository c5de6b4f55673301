// DHCP as busybox udhcpc does it: DISCOVER and REQUEST broadcast from 0.0.0.0:68 by a
// client with no address, replies read from a raw socket; then a unicast renewal.
import { describe, expect, it } from "vitest";
import { createHostNetwork } from "../../src/backends/net/host/host-network.js";
import { BROADCAST_MAC, drain, GUEST_IP, GUEST_MAC, ip, parseUdpFrame, ROUTER_IP, udpFrame, type ParsedUdp } from "../support/tcp-peer.js";

const XID = 0x3903f326;

/** The fixed BOOTP part plus the options udhcpc 1.36 sends (client id, max size, request list, vendor). */
function udhcpcMessage(type: number, extra: number[] = [], opts: { ciaddr?: number; broadcast?: boolean; mac?: Uint8Array } = {}): Uint8Array {
  const m = new Uint8Array(300);
  const v = new DataView(m.buffer);
  m.set([1, 1, 6, 0], 0);
  v.setUint32(4, XID);
  if (opts.broadcast === true) v.setUint16(10, 0x8000);
  v.setUint32(12, opts.ciaddr ?? 0);
  m.set(opts.mac ?? GUEST_MAC, 28);
  v.setUint32(236, 0x63825363);
  const vendor = Array.from("udhcp 1.36.1", (c) => c.charCodeAt(0));
  const options = [
    53, 1, type,
    61, 7, 1, ...(opts.mac ?? GUEST_MAC),
    57, 2, 0x02, 0x40,
    ...extra,
    55, 7, 1, 3, 6, 12, 15, 28, 42,
    60, vendor.length, ...vendor,
    255,
  ];
  m.set(options, 240);
  return m;
}

function broadcastFromNowhere(message: Uint8Array): Uint8Array {
  return udpFrame({ srcPort: 68, dstPort: 67, payload: message, src: 0, dst: 0xffffffff, dstMac: BROADCAST_MAC });
}

interface DhcpReply {
  udp: ParsedUdp;
  xid: number;
  yiaddr: number;
  ciaddr: number;
  chaddr: number[];
  options: Map<number, number[]>;
}

function readReply(frameBytes: Uint8Array): DhcpReply {
  const udp = parseUdpFrame(frameBytes);
  const m = udp.data;
  const v = new DataView(m.buffer, m.byteOffset, m.byteLength);
  expect(m[0]).toBe(2);
  expect(v.getUint32(236)).toBe(0x63825363);
  const options = new Map<number, number[]>();
  for (let i = 240; i < m.length && m[i] !== 255; ) {
    if (m[i] === 0) {
      i++;
      continue;
    }
    const len = m[i + 1]!;
    options.set(m[i]!, Array.from(m.subarray(i + 2, i + 2 + len)));
    i += 2 + len;
  }
  return { udp, xid: v.getUint32(4), yiaddr: v.getUint32(16), ciaddr: v.getUint32(12), chaddr: Array.from(m.subarray(28, 34)), options };
}

const ipBytes = (text: string): number[] => text.split(".").map(Number);

describe("DHCP", () => {
  it("runs DISCOVER/OFFER/REQUEST/ACK with udhcpc's messages, replying unicast to the new address", () => {
    const net = createHostNetwork();
    net.receiveFromGuest({ bytes: broadcastFromNowhere(udhcpcMessage(1)) });
    const offerFrames = drain(net);
    expect(offerFrames).toHaveLength(1);
    const offer = readReply(offerFrames[0]!.bytes);
    expect(offer.udp.checksumOk).toBe(true);
    expect(offer.udp.headerChecksumOk).toBe(true);
    expect([offer.udp.srcPort, offer.udp.dstPort, offer.udp.src, offer.udp.dst]).toEqual([67, 68, ROUTER_IP, GUEST_IP]);
    expect(Array.from(offer.udp.dstMac)).toEqual(Array.from(GUEST_MAC));
    expect(offer.xid).toBe(XID);
    expect(offer.yiaddr).toBe(GUEST_IP);
    expect(offer.chaddr).toEqual(Array.from(GUEST_MAC));
    expect(offer.options.get(53)).toEqual([2]);
    expect(offer.options.get(54)).toEqual(ipBytes("10.0.2.2"));
    expect(offer.options.get(51)).toEqual([0, 1, 0x51, 0x80]); // 86400 s
    expect(offer.options.get(1)).toEqual(ipBytes("255.255.255.0"));
    expect(offer.options.get(3)).toEqual(ipBytes("10.0.2.2"));
    expect(offer.options.get(6)).toEqual(ipBytes("10.0.2.2"));

    const request = udhcpcMessage(3, [50, 4, ...ipBytes("10.0.2.15"), 54, 4, ...ipBytes("10.0.2.2")]);
    net.receiveFromGuest({ bytes: broadcastFromNowhere(request) });
    const ack = readReply(drain(net)[0]!.bytes);
    expect(ack.options.get(53)).toEqual([5]);
    expect(ack.yiaddr).toBe(GUEST_IP);
    expect(ack.udp.dst).toBe(GUEST_IP);
    expect(ack.options.get(51)).toEqual([0, 1, 0x51, 0x80]);
    expect(net.stats()).toMatchObject({ dhcpOffers: 1, dhcpAcks: 1, dhcpNaks: 0 });
  });

  it("broadcasts replies when the client sets the broadcast flag", () => {
    const net = createHostNetwork();
    net.receiveFromGuest({ bytes: broadcastFromNowhere(udhcpcMessage(1, [], { broadcast: true })) });
    const offer = readReply(drain(net)[0]!.bytes);
    expect(Array.from(offer.udp.dstMac)).toEqual(Array.from(BROADCAST_MAC));
    expect(offer.udp.dst).toBe(0xffffffff);
  });

  it("ACKs a renewal by unicast to the client's address", () => {
    const net = createHostNetwork();
    const renew = udhcpcMessage(3, [], { ciaddr: GUEST_IP });
    net.receiveFromGuest({ bytes: udpFrame({ srcPort: 68, dstPort: 67, payload: renew }) });
    const ack = readReply(drain(net)[0]!.bytes);
    expect(ack.options.get(53)).toEqual([5]);
    expect(ack.ciaddr).toBe(GUEST_IP);
    expect(ack.udp.dst).toBe(GUEST_IP);
  });

  it("NAKs a request for another address, by broadcast", () => {
    const net = createHostNetwork();
    net.receiveFromGuest({ bytes: broadcastFromNowhere(udhcpcMessage(3, [50, 4, ...ipBytes("10.0.2.99")])) });
    const nak = readReply(drain(net)[0]!.bytes);
    expect(nak.options.get(53)).toEqual([6]);
    expect(nak.yiaddr).toBe(0);
    expect(nak.udp.dst).toBe(0xffffffff);
    expect(net.stats().dhcpNaks).toBe(1);
  });

  it("stays quiet when the client chose another server, and for RELEASE", () => {
    const net = createHostNetwork();
    net.receiveFromGuest({ bytes: broadcastFromNowhere(udhcpcMessage(3, [50, 4, ...ipBytes("10.0.2.15"), 54, 4, 10, 0, 2, 3])) });
    net.receiveFromGuest({ bytes: broadcastFromNowhere(udhcpcMessage(7)) });
    expect(drain(net)).toEqual([]);
    expect(net.stats().dropped["dhcp-ignored"]).toBe(2);
  });

  it("hands out the configured address, and with a fixed guest MAC answers only that client", () => {
    const net = createHostNetwork({ guestIp: "10.0.2.16", guestMac: "52:54:00:00:00:02" });
    net.receiveFromGuest({ bytes: broadcastFromNowhere(udhcpcMessage(1)) });
    expect(drain(net)).toEqual([]);
    const mac = new Uint8Array([0x52, 0x54, 0, 0, 0, 2]);
    net.receiveFromGuest({ bytes: broadcastFromNowhere(udhcpcMessage(1, [], { mac })) });
    const offer = readReply(drain(net)[0]!.bytes);
    expect(offer.yiaddr).toBe(ip("10.0.2.16"));
    expect(Array.from(offer.udp.dstMac)).toEqual(Array.from(mac));
  });

  it("ignores a message whose options run past its end", () => {
    const net = createHostNetwork();
    const m = udhcpcMessage(1);
    m.set([53, 1, 1, 61, 200], 240);
    net.receiveFromGuest({ bytes: broadcastFromNowhere(m.subarray(0, 246)) });
    expect(drain(net)).toEqual([]);
    expect(net.stats().dropped["dhcp-ignored"]).toBe(1);
  });
});
