// Which guest addresses the switch's other tabs hold, so that a new tab picks another. A
// switch guest's address comes from a hash of its MAC (guestIpForMac: 235 of them), so
// two tabs with random MACs collide with chance 1/235, ten with about 1 in 6, and two
// guests with one address cannot reach each other. Before it boots, a new tab asks on
// the channel who is there; every running switch answers with its guest's address, and
// the new tab takes a MAC whose address nobody answered with. Tabs that start within the
// same few milliseconds can still collide, as before.
import { randomLocalMac } from "./mac-address.js";
import { formatMac } from "../../util/mac-address.js";
import type { SwitchChannel } from "./switch-channel.js";

const QUERY_KIND = "ringside-who/1";
const ANSWER_KIND = "ringside-here/1";
/** How long a new tab listens for answers: a running tab's worker answers between slices, within a few ms. */
export const ANSWER_WAIT_MS = 50;
/** Random MACs tried for a free address before taking the last one anyway (all 235 taken). */
const MAC_TRIES = 64;
const SWITCH_ADDRESS = /^10\.0\.2\.(\d{1,3})$/;

export interface AddressQuery {
  kind: typeof QUERY_KIND;
  /** The asker's random id, which answers name. */
  from: string;
}

export interface AddressAnswer {
  kind: typeof ANSWER_KIND;
  to: string;
  ip: string;
}

export function isAddressQuery(data: unknown): data is AddressQuery {
  return typeof data === "object" && data !== null && (data as Partial<AddressQuery>).kind === QUERY_KIND && typeof (data as Partial<AddressQuery>).from === "string";
}

/** Another tab's answer to someone's question (its fields still unchecked): every switch on the channel sees it, and only the asker reads it. */
export function isAddressAnswer(data: unknown): data is Partial<AddressAnswer> {
  return typeof data === "object" && data !== null && (data as Partial<AddressAnswer>).kind === ANSWER_KIND;
}

/** The answer a running switch whose guest has `ip` gives to `query`. */
export function addressAnswer(query: AddressQuery, ip: string): AddressAnswer {
  return { kind: ANSWER_KIND, to: query.from, ip };
}

/** The addresses the switch's running tabs answer with within `waitMs`, on a channel of its own (closed after). */
export async function addressesInUse(channel: SwitchChannel, waitMs = ANSWER_WAIT_MS): Promise<Set<string>> {
  const id = Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, "0")).join("");
  const taken = new Set<string>();
  channel.onmessage = (event) => {
    const answer: unknown = event.data;
    // Anything else (frames, other tabs' questions, answers to them, malformed answers) is not for this question.
    if (!isAddressAnswer(answer) || answer.to !== id || typeof answer.ip !== "string") return;
    const host = SWITCH_ADDRESS.exec(answer.ip);
    if (host && Number(host[1]) <= 255) taken.add(answer.ip);
  };
  const query: AddressQuery = { kind: QUERY_KIND, from: id };
  channel.postMessage(query);
  await new Promise((resolve) => setTimeout(resolve, waitMs));
  channel.onmessage = null;
  channel.close();
  return taken;
}

/** A random locally administered MAC whose switch address (`addressOf`) is not in `taken`, if one turns up in MAC_TRIES tries. */
export function macWithFreeAddress(taken: ReadonlySet<string>, addressOf: (mac: string) => string, random?: (into: Uint8Array) => void): string {
  let mac = formatMac(randomLocalMac(random));
  for (let i = 1; i < MAC_TRIES && taken.has(addressOf(mac)); i++) mac = formatMac(randomLocalMac(random));
  return mac;
}
