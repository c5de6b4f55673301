// A frame on a network card's queue: the virtio-net header, then Ethernet, then ARP or
// IPv4, then TCP or UDP. Each layer is decoded only if the one before it held together;
// the first with a problem is the last shown.
import type { ByteReader } from "./bytes.js";
import { decodeArp } from "./arp.js";
import { decodeEthernet, ETHERTYPE_ARP, ETHERTYPE_IPV4 } from "./ethernet.js";
import { decodeIpv4, PROTOCOL_TCP, PROTOCOL_UDP } from "./ipv4.js";
import type { LayerDraft } from "./layer.js";
import { decodeTcp } from "./tcp.js";
import { decodeUdp } from "./udp.js";
import { decodeNetHeader, NET_HEADER_BYTES } from "./virtio-net-header.js";

export function decodeNetFrame(r: ByteReader): LayerDraft[] {
  const header = decodeNetHeader(r, 0);
  if (header.problem) return [header];
  // A frame continued in further receive buffers (MRG_RXBUF) starts with no header of its
  // own; there is no telling from its bytes, so only a header's first buffer is decoded.
  const ethernet = decodeEthernet(r, NET_HEADER_BYTES);
  const layers = [header, ethernet.layer];
  if (ethernet.layer.problem) return layers;
  if (ethernet.etherType === ETHERTYPE_ARP) return [...layers, decodeArp(r, ethernet.payload)];
  if (ethernet.etherType !== ETHERTYPE_IPV4) return layers;
  const ip = decodeIpv4(r, ethernet.payload);
  layers.push(ip.layer);
  if (ip.layer.problem || ip.laterFragment) return layers;
  if (ip.protocol === PROTOCOL_TCP) layers.push(decodeTcp(r, ip.payload, ip.end));
  else if (ip.protocol === PROTOCOL_UDP) layers.push(decodeUdp(r, ip.payload, ip.end));
  return layers;
}
