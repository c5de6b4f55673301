// MAC addresses as people write them ("52:54:00:12:34:56") and as the code keeps them (6
// bytes). Every place a MAC arrives as text (machine options, the host network's
// configuration, saved states) parses it here, so all of them accept and refuse the same
// inputs and say the same thing about a bad one.

export const MAC_BYTES = 6;

/** Exactly six two-digit hex groups joined by ':'. No dashes, no single digits, no spaces. */
const MAC_TEXT = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/i;

/**
 * "52:54:00:12:34:56" (either case) as 6 bytes. Throws a RangeError naming the input for
 * anything else: a MAC is configuration, and a quietly repaired one would be a surprise.
 */
export function parseMac(text: string): Uint8Array {
  if (!MAC_TEXT.test(text)) {
    throw new RangeError(`not a MAC address: ${JSON.stringify(text)} (six two-digit hex groups joined by ':', like 52:54:00:12:34:56)`);
  }
  return Uint8Array.from(text.split(":"), (group) => parseInt(group, 16));
}

/** The 6 bytes at `offset` as lower-case "aa:bb:cc:dd:ee:ff"; throws a RangeError if fewer are there. */
export function formatMac(bytes: Uint8Array, offset = 0): string {
  if (!Number.isInteger(offset) || offset < 0 || offset + MAC_BYTES > bytes.length) {
    throw new RangeError(`no MAC address at byte ${offset} of ${bytes.length}`);
  }
  let text = "";
  for (let i = 0; i < MAC_BYTES; i++) text += `${i ? ":" : ""}${bytes[offset + i]!.toString(16).padStart(2, "0")}`;
  return text;
}
