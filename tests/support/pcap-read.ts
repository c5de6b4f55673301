// Reading a packet capture back with Debian's tcpdump (a reader nobody here wrote): each
// packet's summary line and bytes from `tcpdump -r FILE -nn -xx`, and the TCP streams
// rebuilt from those bytes alone, for tests to compare with what was sent.
import { execFileSync } from "node:child_process";

/** Each packet tcpdump prints with -xx: its summary line and its bytes, Ethernet header first. */
export function packets(file: string): { line: string; bytes: Uint8Array }[] {
  const text = execFileSync("tcpdump", ["-r", file, "-nn", "-xx"], { encoding: "utf8", maxBuffer: 256 << 20, stdio: ["ignore", "pipe", "ignore"] });
  const out: { line: string; hex: string[] }[] = [];
  for (const line of text.split("\n")) {
    const data = /^\s+0x[0-9a-f]+:\s+([0-9a-f ]+)$/.exec(line);
    if (data) out.at(-1)?.hex.push(data[1]!.replace(/ /g, ""));
    else if (line.trim() !== "") out.push({ line, hex: [] });
  }
  return out.map((p) => ({ line: p.line, bytes: Uint8Array.from(Buffer.from(p.hex.join(""), "hex")) }));
}

export interface Segment {
  from: string;
  to: string;
  seq: number;
  syn: boolean;
  payload: Uint8Array;
}

/** The TCP/IPv4 segment in an Ethernet frame, or undefined. */
export function tcpSegment(frame: Uint8Array): Segment | undefined {
  const v = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (frame.length < 54 || v.getUint16(12) !== 0x0800 || frame[23] !== 6) return undefined;
  const ihl = (frame[14]! & 0x0f) * 4;
  const ipEnd = 14 + v.getUint16(16);
  const tcp = 14 + ihl;
  const dataAt = tcp + (frame[tcp + 12]! >> 4) * 4;
  const addr = (at: number) => `${[...frame.subarray(at, at + 4)].join(".")}:${v.getUint16(at === 26 ? tcp : tcp + 2)}`;
  return { from: addr(26), to: addr(30), seq: v.getUint32(tcp + 4), syn: (frame[tcp + 13]! & 0x02) !== 0, payload: frame.subarray(dataAt, ipEnd) };
}

/** The bytes one direction of a connection carried, in sequence order, each byte once (retransmissions overlap). */
export function stream(segments: Segment[], from: string, to: string): Uint8Array {
  const mine = segments.filter((s) => s.from === from && s.to === to);
  const syn = mine.find((s) => s.syn);
  if (!syn) throw new Error(`no SYN from ${from} to ${to}`);
  const isn = syn.seq + 1;
  const parts = mine.filter((s) => s.payload.length > 0).map((s) => ({ at: (s.seq - isn) >>> 0, payload: s.payload })).sort((a, b) => a.at - b.at);
  const out: number[] = [];
  for (const p of parts) {
    if (p.at > out.length) throw new Error(`a gap in the stream from ${from}: ${out.length} bytes, then a segment at ${p.at}`);
    for (let i = out.length - p.at; i < p.payload.length; i++) out.push(p.payload[i]!);
  }
  return Uint8Array.from(out);
}

/** What follows the HTTP head (the blank line). */
export function httpBody(bytes: Uint8Array): Uint8Array {
  const end = Buffer.from(bytes).indexOf("\r\n\r\n");
  if (end < 0) throw new Error("no HTTP head in the stream");
  return bytes.subarray(end + 4);
}
