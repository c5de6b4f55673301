// A TCP header (RFC 9293): ports, sequence and acknowledgement numbers, the flags by name,
// the window, and how many data bytes follow it (from the IPv4 total length).
import type { ByteReader } from "./bytes.js";
import { bitNames, decodeLayer, type LayerDraft } from "./layer.js";
import { portName } from "./udp.js";

const FLAGS = [[0x01, "FIN"], [0x02, "SYN"], [0x04, "RST"], [0x08, "PSH"], [0x10, "ACK"], [0x20, "URG"], [0x40, "ECE"], [0x80, "CWR"]] as const;

/** `end`: where the IPv4 payload ends, so the data bytes can be counted. */
export function decodeTcp(r: ByteReader, start: number, end: number): LayerDraft {
  return decodeLayer("TCP", r, start, (f) => {
    f.add("src port", portName(r.be16(start, "source port"), "tcp"));
    f.add("dst port", portName(r.be16(start + 2, "destination port"), "tcp"));
    f.add("seq", r.be32(start + 4, "sequence number"), "number of this segment's first data byte");
    f.add("ack", r.be32(start + 8, "acknowledgement number"), "next byte expected from the other side (with ACK)");
    const offset = (r.u8(start + 12, "data offset") >> 4) * 4;
    f.add("flags", bitNames(r.u8(start + 13, "flags"), FLAGS));
    f.add("window", r.be16(start + 14, "window"), "bytes the sender can still take in (before scaling)");
    f.add("header", `${offset} bytes`);
    if (offset < 20) throw new Error(`data offset ${offset} bytes is below the minimum of 20`);
    if (start + offset > end) throw new Error(`a ${offset}-byte header does not fit in the ${end - start} bytes IPv4 gives it`);
    f.add("data", `${end - start - offset} bytes`, "payload after the header");
    return offset;
  });
}
