// Ethernet (MAC) address helpers shared by the network backends: addresses as they sit
// in frames. Text to bytes and back is src/util/mac-address.ts, the one parser for all.
import { MAC_BYTES, parseMac } from "../../util/mac-address.js";

/** A MAC address as the backends keep it: 6 bytes. */
export type MacAddress = Uint8Array;

export const BROADCAST_MAC: Readonly<Uint8Array> = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

/** A MAC given either way, as bytes (a copy, so callers may keep their array). */
export function toMacBytes(mac: string | Uint8Array): Uint8Array {
  if (typeof mac === "string") return parseMac(mac);
  if (mac.length !== MAC_BYTES) throw new RangeError(`a MAC address has 6 bytes, not ${mac.length}`);
  return mac.slice();
}

/**
 * A random unicast, locally administered address (first octet: bit 1 set, bit 0 clear),
 * so it can never collide with a vendor-assigned one. `random` fills an array; the default
 * is crypto.getRandomValues, which (unlike randomUUID) also works outside secure contexts.
 */
export function randomLocalMac(random: (into: Uint8Array) => void = (a) => crypto.getRandomValues(a)): Uint8Array {
  const mac = new Uint8Array(MAC_BYTES);
  random(mac);
  mac[0] = ((mac[0] ?? 0) & 0xfc) | 0x02;
  return mac;
}

/** Group bit: broadcast and multicast destinations (byte `offset` is the first octet). */
export function isGroupMac(bytes: Uint8Array, offset = 0): boolean {
  return ((bytes[offset] ?? 0) & 0x01) !== 0;
}

/** Whether the 6 bytes at `offset` in `bytes` equal `mac`. */
export function macEquals(bytes: Uint8Array, offset: number, mac: Uint8Array): boolean {
  if (offset + MAC_BYTES > bytes.length || mac.length !== MAC_BYTES) return false;
  for (let i = 0; i < MAC_BYTES; i++) if (bytes[offset + i] !== mac[i]) return false;
  return true;
}
