// A tiny authoritative DNS server (RFC 1035) for a few static names. Anything else is
// NXDOMAIN (there is no upstream resolver behind the router) unless a name pool is given:
// then any name gets a pool address that its dialer resolves by name (name-pool.ts).
import { writeIpv4 } from "./addresses.js";
import { readU16, writeU16 } from "./bytes.js";
import type { NamePool } from "./name-pool.js";
import type { Counters } from "./stats.js";
import type { UdpService } from "./udp.js";

export const DNS_PORT = 53;

const HEADER_BYTES = 12;
const TYPE_A = 1;
const CLASS_IN = 1;
const CLASS_ANY = 255;
const RCODE_OK = 0;
const RCODE_FORMERR = 1;
const RCODE_NXDOMAIN = 3;
const RCODE_NOTIMP = 4;
const TTL_SECONDS = 300;

export interface DnsQuestion {
  /** Lower case, labels joined with dots, no trailing dot. */
  name: string;
  type: number;
  class: number;
  /** Offset just past the question (where an answer section would start). */
  end: number;
}

/** Reads the first question of a query, or undefined if it is malformed. */
export function parseDnsQuestion(message: Uint8Array): DnsQuestion | undefined {
  const labels: string[] = [];
  let i = HEADER_BYTES;
  let nameBytes = 0;
  for (;;) {
    const length = message[i];
    if (length === undefined) return undefined;
    i++;
    if (length === 0) break;
    // Queries carry no compression pointers (0xc0) and labels are at most 63 bytes.
    if (length > 63 || i + length > message.length) return undefined;
    nameBytes += length + 1;
    if (nameBytes > 255) return undefined;
    labels.push(String.fromCharCode(...message.subarray(i, i + length)).toLowerCase());
    i += length;
  }
  if (i + 4 > message.length) return undefined;
  return { name: labels.join("."), type: readU16(message, i), class: readU16(message, i + 2), end: i + 4 };
}

/** Normalises a configured name the way questions are: lower case, no trailing dot. */
export function normaliseDnsName(name: string): string {
  return name.toLowerCase().replace(/\.$/, "");
}

export function createDnsServer(records: ReadonlyMap<string, number>, counters: Counters, pool?: NamePool): UdpService {
  return (datagram) => {
    const query = datagram.payload;
    if (query.length < HEADER_BYTES) return "dns-malformed";
    const flags = readU16(query, 2);
    if ((flags & 0x8000) !== 0) return "dns-malformed"; // a response, not a query
    counters.dnsQueries++;
    const opcode = (flags >>> 11) & 0x0f;
    const question = readU16(query, 4) === 1 ? parseDnsQuestion(query) : undefined;

    let rcode = RCODE_OK;
    let address: number | undefined;
    if (opcode !== 0) rcode = RCODE_NOTIMP;
    else if (question === undefined) rcode = RCODE_FORMERR;
    else {
      const known = records.get(question.name) ?? pool?.addressFor(question.name);
      if (known === undefined) rcode = RCODE_NXDOMAIN;
      else if (question.type === TYPE_A && (question.class === CLASS_IN || question.class === CLASS_ANY)) address = known;
      // Other types of a known name (AAAA above all): NOERROR with no records, so the
      // resolver falls back to the A record instead of failing the lookup.
    }

    const echoQuestion = rcode !== RCODE_NOTIMP && question !== undefined;
    const questionBytes = echoQuestion ? query.subarray(HEADER_BYTES, question.end) : new Uint8Array(0);
    const answerBytes = address === undefined ? 0 : 16;
    const reply = new Uint8Array(HEADER_BYTES + questionBytes.length + answerBytes);
    reply.set(query.subarray(0, 2), 0); // id
    // QR, same opcode, AA, RD copied, RA (so tools do not warn that recursion is missing).
    writeU16(reply, 2, 0x8000 | (opcode << 11) | 0x0400 | (flags & 0x0100) | 0x0080 | rcode);
    writeU16(reply, 4, echoQuestion ? 1 : 0);
    writeU16(reply, 6, address === undefined ? 0 : 1);
    reply.set(questionBytes, HEADER_BYTES);
    if (address !== undefined) {
      const a = HEADER_BYTES + questionBytes.length;
      writeU16(reply, a, 0xc000 | HEADER_BYTES); // name: pointer to the question's name
      writeU16(reply, a + 2, TYPE_A);
      writeU16(reply, a + 4, CLASS_IN);
      writeU16(reply, a + 6, 0);
      writeU16(reply, a + 8, TTL_SECONDS);
      writeU16(reply, a + 10, 4);
      writeIpv4(reply, a + 12, address);
    }
    return { payload: reply };
  };
}
