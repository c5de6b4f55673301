// virtio_net_hdr_v1 (virtio 1.2, 5.1.6): the 12 bytes in front of every frame on a network
// card's receive and transmit queues. VERSION_1 is always negotiated here, so the header
// always has num_buffers and is 12 bytes whatever MRG_RXBUF says (src/devices/net-header.ts).
import type { ByteReader } from "./bytes.js";
import { bitNames, decodeLayer, type LayerDraft } from "./layer.js";

export const NET_HEADER_BYTES = 12;

const FLAGS = [[1, "NEEDS_CSUM"], [2, "DATA_VALID"], [4, "RSC_INFO"]] as const;
const KNOWN_FLAGS = 7;
const GSO: Record<number, string> = { 0: "NONE", 1: "TCPV4", 3: "UDP", 4: "TCPV6", 5: "UDP_L4" };

function gsoName(type: number): string {
  const name = GSO[type & 0x7f] ?? `unknown (${type & 0x7f})`;
  return type & 0x80 ? `${name}|ECN` : name;
}

export function decodeNetHeader(r: ByteReader, start: number): LayerDraft {
  return decodeLayer("virtio-net header", r, start, (f) => {
    r.need(start, NET_HEADER_BYTES, "the 12-byte virtio-net header");
    const flags = r.u8(start, "flags");
    const gso = r.u8(start + 1, "gso_type");
    f.add("flags", bitNames(flags, FLAGS), "NEEDS_CSUM: checksum still to fill in; DATA_VALID: checksum already checked");
    f.add("gso_type", gsoName(gso), "segmentation offload: NONE, or one big frame to cut into packets");
    f.add("hdr_len", r.le16(start + 2, "hdr_len"), "bytes of Ethernet+IP+TCP headers (a hint for GSO)");
    f.add("gso_size", r.le16(start + 4, "gso_size"), "payload bytes per segment when cut (GSO)");
    f.add("csum_start", r.le16(start + 6, "csum_start"), "where the checksummed bytes start (NEEDS_CSUM)");
    f.add("csum_offset", r.le16(start + 8, "csum_offset"), "where the checksum goes, from csum_start");
    f.add("num_buffers", r.le16(start + 10, "num_buffers"), "receive buffers this frame fills (MRG_RXBUF)");
    // A receive buffer that continues a frame (MRG_RXBUF) holds payload and no header:
    // bits and types virtio does not define say so more often than not.
    if (flags & ~KNOWN_FLAGS || !((gso & 0x7f) in GSO)) {
      throw new Error("flags or gso_type virtio does not define: not a header (a receive buffer that continues a frame has none)");
    }
    return NET_HEADER_BYTES;
  });
}
