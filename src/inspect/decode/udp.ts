// A UDP header (RFC 768): ports and length; the well-known ports a guest meets here
// (DHCP, DNS) named.
import type { ByteReader } from "./bytes.js";
import { decodeLayer, type LayerDraft } from "./layer.js";

const UDP_HEADER_BYTES = 8;
const UDP_PORTS: Record<number, string> = { 53: "DNS", 67: "DHCP server", 68: "DHCP client", 123: "NTP" };
const TCP_PORTS: Record<number, string> = { 22: "SSH", 53: "DNS", 80: "HTTP", 443: "HTTPS" };

export function portName(port: number, protocol: "tcp" | "udp"): string {
  const name = (protocol === "tcp" ? TCP_PORTS : UDP_PORTS)[port];
  return name ? `${port} (${name})` : String(port);
}

/** `end`: where the IPv4 payload ends. */
export function decodeUdp(r: ByteReader, start: number, end: number): LayerDraft {
  return decodeLayer("UDP", r, start, (f) => {
    f.add("src port", portName(r.be16(start, "source port"), "udp"));
    f.add("dst port", portName(r.be16(start + 2, "destination port"), "udp"));
    const length = r.be16(start + 4, "length");
    f.add("length", length, "header and data bytes");
    f.add("checksum", `0x${r.be16(start + 6, "checksum").toString(16).padStart(4, "0")}`, "0: not computed");
    if (length < UDP_HEADER_BYTES) throw new Error(`length ${length} is shorter than the 8-byte header`);
    if (start + length > end) throw new Error(`length ${length} runs past the ${end - start} bytes IPv4 gives it`);
    return UDP_HEADER_BYTES;
  });
}
