// Ethernet (MAC) address helpers shared by the network backends. Addresses are 6-byte
// arrays inside the code and "52:54:00:12:34:56" strings at the edges (options, the page).

export const MAC_BYTES = 6;
export const BROADCAST_MAC: Readonly<Uint8Array> = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

/** Parses "aa:bb:cc:dd:ee:ff" (or with dashes); throws on anything else. */
export function parseMac(text: string): Uint8Array {
  const parts = text.trim().split(/[:-]/);
  if (parts.length !== MAC_BYTES || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) {
    throw new SyntaxError(`not a MAC address: ${JSON.stringify(text)}`);
  }
  return new Uint8Array(parts.map((p) => parseInt(p, 16)));
}

/** Formats 6 bytes (from `offset`) as lower-case "aa:bb:cc:dd:ee:ff". */
export function formatMac(bytes: Uint8Array, offset = 0): string {
  const out: string[] = [];
  for (let i = 0; i < MAC_BYTES; i++) out.push((bytes[offset + i] ?? 0).toString(16).padStart(2, "0"));
  return out.join(":");
}

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
