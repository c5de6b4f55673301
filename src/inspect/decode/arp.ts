// An ARP packet for IPv4 over Ethernet (RFC 826): who has this IP address, and the answer.
import type { ByteReader } from "./bytes.js";
import { decodeLayer, type LayerDraft } from "./layer.js";

const ARP_BYTES = 28;
const OPS: Record<number, string> = { 1: "request (who has?)", 2: "reply (is at)" };

export function decodeArp(r: ByteReader, start: number): LayerDraft {
  return decodeLayer("ARP", r, start, (f) => {
    const htype = r.be16(start, "hardware type");
    const ptype = r.be16(start + 2, "protocol type");
    const hlen = r.u8(start + 4, "hardware address length");
    const plen = r.u8(start + 5, "protocol address length");
    f.add("op", OPS[r.be16(start + 6, "operation")] ?? String(r.be16(start + 6, "operation")));
    if (htype !== 1 || ptype !== 0x0800 || hlen !== 6 || plen !== 4) {
      throw new Error(`hardware ${htype}/${hlen} bytes, protocol 0x${ptype.toString(16)}/${plen} bytes: not IPv4 over Ethernet`);
    }
    f.add("sender MAC", r.mac(start + 8, "sender MAC"));
    f.add("sender IP", r.ipv4(start + 14, "sender IP"));
    f.add("target MAC", r.mac(start + 18, "target MAC"), "zero in a request: that is the question");
    f.add("target IP", r.ipv4(start + 24, "target IP"));
    return ARP_BYTES;
  });
}
