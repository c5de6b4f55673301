// An Ethernet II header (and one 802.1Q VLAN tag when present): destination, source, and
// the EtherType that says what follows.
import type { ByteReader } from "./bytes.js";
import { decodeLayer, hex, type LayerDraft } from "./layer.js";

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_NAMES: Record<number, string> = { [ETHERTYPE_IPV4]: "IPv4", [ETHERTYPE_ARP]: "ARP", 0x86dd: "IPv6", [ETHERTYPE_VLAN]: "802.1Q VLAN" };

export const etherTypeText = (type: number): string => `${hex(type, 4)} ${ETHERTYPE_NAMES[type] ?? (type < 0x600 ? "(802.3 length)" : "")}`.trim();

export interface EthernetHeader {
  layer: LayerDraft;
  etherType: number;
  /** Where the payload starts. */
  payload: number;
}

export function decodeEthernet(r: ByteReader, start: number): EthernetHeader {
  let etherType = -1;
  let payload = start;
  const layer = decodeLayer("Ethernet", r, start, (f) => {
    const dst = r.mac(start, "destination MAC");
    f.add("dst", dst === "ff:ff:ff:ff:ff:ff" ? `${dst} (broadcast)` : dst, "the card this frame is for");
    f.add("src", r.mac(start + 6, "source MAC"), "the card that sent it");
    let at = start + 12;
    let type = r.be16(at, "EtherType");
    if (type === ETHERTYPE_VLAN) {
      const tci = r.be16(at + 2, "VLAN tag");
      f.add("vlan", `${tci & 0xfff} (priority ${tci >> 13})`, "802.1Q tag: which virtual LAN");
      at += 4;
      type = r.be16(at, "EtherType after the VLAN tag");
    }
    f.add("type", etherTypeText(type), "what the payload is");
    etherType = type;
    payload = at + 2;
    return payload - start;
  });
  return { layer, etherType: layer.problem ? -1 : etherType, payload };
}
