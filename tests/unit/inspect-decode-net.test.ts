// The inspector's network decoders on frames built by hand: a TCP/IPv4 segment behind a
// virtio-net header, a VLAN-tagged UDP datagram, an ARP request, and frames whose lengths
// lie or that end early, which must give a layer with a problem and never an exception.
import { describe, expect, it } from "vitest";
import { ByteReader } from "../../src/inspect/decode/bytes.js";
import type { LayerDraft } from "../../src/inspect/decode/layer.js";
import { decodeNetFrame } from "../../src/inspect/decode/net-frame.js";

const mac = (last: number) => [0x52, 0x54, 0x00, 0x12, 0x34, last];
const be16 = (n: number) => [n >> 8, n & 0xff];
const be32 = (n: number) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];

/** virtio_net_hdr_v1: DATA_VALID, no GSO, num_buffers 1. */
const NET_HEADER = [2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0];

function ipv4(protocol: number, payload: number[], totalLength = 20 + payload.length): number[] {
  return [0x45, 0, ...be16(totalLength), ...be16(0x1c46), ...be16(0x4000), 64, protocol, ...be16(0xb1e6), 10, 0, 2, 15, 10, 0, 2, 2, ...payload];
}

function tcp(data: number[], dataOffsetWords = 5): number[] {
  return [...be16(41000), ...be16(80), ...be32(1000), ...be32(2000), dataOffsetWords << 4, 0x18, ...be16(64240), 0, 0, 0, 0, ...data];
}

function frame(etherType: number, payload: number[]): Uint8Array {
  return Uint8Array.from([...NET_HEADER, ...mac(0x56), ...mac(0x02), ...be16(etherType), ...payload]);
}

const field = (layer: LayerDraft | undefined, name: string) => layer?.fields.find((f) => f.name === name)?.value;

describe("net frame decoder", () => {
  it("decodes the header, Ethernet, IPv4 and TCP of a segment", () => {
    const get = Array.from(new TextEncoder().encode("GET / HTTP/1.0\r\n\r\n"));
    const layers = decodeNetFrame(new ByteReader(frame(0x0800, ipv4(6, tcp(get)))));
    expect(layers.map((l) => l.name)).toEqual(["virtio-net header", "Ethernet", "IPv4", "TCP"]);
    expect(layers.every((l) => l.problem === undefined)).toBe(true);
    const [header, eth, ip, seg] = layers;
    expect(field(header, "flags")).toBe("DATA_VALID");
    expect(field(header, "num_buffers")).toBe("1");
    expect(field(eth, "dst")).toBe("52:54:00:12:34:56");
    expect(field(eth, "type")).toBe("0x0800 IPv4");
    expect(field(ip, "src")).toBe("10.0.2.15");
    expect(field(ip, "dst")).toBe("10.0.2.2");
    expect(field(ip, "protocol")).toBe("6 TCP");
    expect(field(ip, "flags")).toBe("DF");
    expect(field(ip, "TTL")).toBe("64");
    expect(field(seg, "dst port")).toBe("80 (HTTP)");
    expect(field(seg, "flags")).toBe("PSH ACK");
    expect(field(seg, "seq")).toBe("1000");
    expect(field(seg, "data")).toBe(`${get.length} bytes`);
    expect(layers.map((l) => [l.start, l.length])).toEqual([[0, 12], [12, 14], [26, 20], [46, 20]]);
  });

  it("decodes a VLAN tag and a DHCP datagram", () => {
    const udp = [...be16(68), ...be16(67), ...be16(12), 0, 0, 1, 2, 3, 4];
    const tagged = Uint8Array.from([...NET_HEADER, ...mac(0xff), ...mac(0x02), ...be16(0x8100), ...be16(0x2005), ...be16(0x0800), ...ipv4(17, udp)]);
    const layers = decodeNetFrame(new ByteReader(tagged));
    expect(layers.map((l) => l.name)).toEqual(["virtio-net header", "Ethernet", "IPv4", "UDP"]);
    expect(field(layers[1], "vlan")).toBe("5 (priority 1)");
    expect(field(layers[3], "src port")).toBe("68 (DHCP client)");
    expect(field(layers[3], "dst port")).toBe("67 (DHCP server)");
    expect(layers[3]!.problem).toBeUndefined();
  });

  it("decodes an ARP request", () => {
    const arp = [...be16(1), ...be16(0x0800), 6, 4, ...be16(1), ...mac(0x56), 10, 0, 2, 15, 0, 0, 0, 0, 0, 0, 10, 0, 2, 2];
    const layers = decodeNetFrame(new ByteReader(frame(0x0806, arp)));
    expect(layers.map((l) => l.name)).toEqual(["virtio-net header", "Ethernet", "ARP"]);
    expect(field(layers[2], "op")).toBe("request (who has?)");
    expect(field(layers[2], "sender IP")).toBe("10.0.2.15");
    expect(field(layers[2], "target IP")).toBe("10.0.2.2");
  });

  it("does not take a frame's continuation (payload, no header) for a header", () => {
    const payload = Uint8Array.from({ length: 200 }, (_, i) => (i * 97 + 13) & 0xff);
    payload[0] = 0x9b; // a flag bit virtio does not define
    const layers = decodeNetFrame(new ByteReader(payload));
    expect(layers).toHaveLength(1);
    expect(layers[0]!.problem).toMatch(/^malformed: flags or gso_type virtio does not define/);
  });

  it("says truncated when the bytes end inside a header", () => {
    const whole = frame(0x0800, ipv4(6, tcp([])));
    const layers = decodeNetFrame(new ByteReader(whole.subarray(0, 40), 1514));
    expect(layers.map((l) => l.name)).toEqual(["virtio-net header", "Ethernet", "IPv4"]);
    expect(layers[2]!.problem).toMatch(/^truncated: .*inspector reads only the first 40 bytes/);
    expect(decodeNetFrame(new ByteReader(whole.subarray(0, 5)))[0]!.problem).toMatch(/^truncated: the 12-byte virtio-net header/);
  });

  it("says malformed when lengths lie, and decodes nothing above", () => {
    const shortTotal = decodeNetFrame(new ByteReader(frame(0x0800, ipv4(6, tcp([]), 12))));
    expect(shortTotal.at(-1)!.problem).toMatch(/malformed: total length 12 is shorter than the 20-byte header/);
    const badIhl = frame(0x0800, ipv4(6, tcp([])));
    badIhl[26] = 0x42;
    expect(decodeNetFrame(new ByteReader(badIhl)).at(-1)!.problem).toMatch(/malformed: IHL 2/);
    const tcpTooLong = decodeNetFrame(new ByteReader(frame(0x0800, ipv4(6, tcp([], 15)))));
    expect(tcpTooLong.at(-1)!.name).toBe("TCP");
    expect(tcpTooLong.at(-1)!.problem).toMatch(/malformed: a 60-byte header does not fit in the 20 bytes/);
    const udpLie = decodeNetFrame(new ByteReader(frame(0x0800, ipv4(17, [...be16(1), ...be16(53), ...be16(900), 0, 0]))));
    expect(udpLie.at(-1)!.problem).toMatch(/malformed: length 900 runs past/);
    expect(field(udpLie.at(-1), "dst port")).toBe("53 (DNS)");
  });
});
