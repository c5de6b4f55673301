// An IPv4 header (RFC 791): who to, who from, and what protocol the payload is. Its total
// length bounds the payload the next layer reads; a header whose lengths contradict each
// other is "malformed", and the payload is not decoded.
import type { ByteReader } from "./bytes.js";
import { bitNames, decodeLayer, hex, type LayerDraft } from "./layer.js";

export const PROTOCOL_TCP = 6;
export const PROTOCOL_UDP = 17;
const PROTOCOLS: Record<number, string> = { 1: "ICMP", 2: "IGMP", [PROTOCOL_TCP]: "TCP", [PROTOCOL_UDP]: "UDP" };
const FRAGMENT_FLAGS = [[0x4000, "DF"], [0x2000, "MF"]] as const;

export interface Ipv4Header {
  layer: LayerDraft;
  protocol: number;
  /** The payload: [payload, end), end from the total length. */
  payload: number;
  end: number;
  /** A fragment after the first carries no TCP or UDP header. */
  laterFragment: boolean;
}

export function decodeIpv4(r: ByteReader, start: number): Ipv4Header {
  const out = { protocol: -1, payload: start, end: start, laterFragment: false };
  const layer = decodeLayer("IPv4", r, start, (f) => {
    const first = r.u8(start, "version and IHL");
    const version = first >> 4;
    const ihl = first & 0x0f;
    f.add("version", version);
    f.add("IHL", `${ihl} (${ihl * 4} bytes)`, "header length in 32-bit words");
    const total = r.be16(start + 2, "total length");
    f.add("total length", total, "header and payload bytes");
    if (version !== 4) throw new Error(`version ${version}, not 4`);
    if (ihl < 5) throw new Error(`IHL ${ihl} is below the minimum of 5`);
    if (total < ihl * 4) throw new Error(`total length ${total} is shorter than the ${ihl * 4}-byte header`);
    f.add("id", hex(r.be16(start + 4, "identification"), 4), "which packet the fragments belong to");
    const frag = r.be16(start + 6, "flags and fragment offset");
    f.add("flags", bitNames(frag & 0xe000, FRAGMENT_FLAGS), "DF: don't fragment; MF: more fragments follow");
    f.add("fragment offset", (frag & 0x1fff) * 8, "bytes into the original packet");
    f.add("TTL", r.u8(start + 8, "TTL"), "hops left");
    const protocol = r.u8(start + 9, "protocol");
    f.add("protocol", `${protocol} ${PROTOCOLS[protocol] ?? ""}`.trim());
    f.add("checksum", hex(r.be16(start + 10, "header checksum"), 4));
    f.add("src", r.ipv4(start + 12, "source address"));
    f.add("dst", r.ipv4(start + 16, "destination address"));
    r.need(start, ihl * 4, "IPv4 options");
    Object.assign(out, { protocol, payload: start + ihl * 4, end: start + total, laterFragment: (frag & 0x1fff) !== 0 });
    return ihl * 4;
  });
  return { layer, ...out, protocol: layer.problem ? -1 : out.protocol };
}
