// The head of an HTTP/1.x request (request line and header fields, RFC 9112), parsed from
// bytes that may arrive split anywhere. The head is kept in one buffer that grows with it up
// to MAX_HEAD_BYTES: a client that sends more without finishing it gets 431, so a connection
// costs at most that much memory here, and an idle one (or a short head) far less. Parsing
// is strict where leniency lets two parsers disagree (bare CR, folded lines, space before
// the colon, conflicting lengths) and lenient elsewhere (bare LF line ends, empty lines
// before the request line, no Host).

import type { StateReader } from "../../../snapshot/state-reader.js";

export const MAX_HEAD_BYTES = 16 * 1024;
/** The buffer's first size: a typical request head (wget, curl, a browser) fits. */
const FIRST_BUFFER_BYTES = 1024;
const MAX_HEADER_FIELDS = 100;

export interface RequestHead {
  method: string;
  /** The request target as sent (origin form, or absolute form for proxies). */
  target: string;
  /** "HTTP/1.0" or "HTTP/1.1". */
  version: string;
  /** Field values by lower-case name, in the order received. */
  headers: Map<string, string[]>;
}

export type HeadResult =
  | { kind: "more" }
  | { kind: "done"; head: RequestHead; /** Bytes after the head (the start of the body). */ rest: Uint8Array }
  | { kind: "error"; status: number; reason: string };

class HeadError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const TARGET = /^[\x21-\x7e]+$/;
/** Field values: visible ASCII, space, tab and obs-text (bytes 0x80-0xFF, kept as latin1). */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

export class RequestHeadParser {
  private buffer = new Uint8Array(0);
  private length = 0;
  /** Where the search for the blank line resumes (nothing before it can end the head). */
  private scanned = 0;

  /** Bytes of the head received so far (0 before anything arrived). */
  get received(): number {
    return this.length;
  }

  /** The head so far, for a snapshot (where the blank-line search resumes is found again). */
  saveState(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }

  /** A parser that has received `state` (no blank line in it, or it would have ended the head). */
  static restore(state: StateReader): RequestHeadParser {
    const parser = new RequestHeadParser();
    const bytes = state.bytes(MAX_HEAD_BYTES - 1);
    parser.reserve(bytes.length);
    parser.buffer.set(bytes);
    parser.length = bytes.length;
    if (parser.findEnd() >= 0) state.fail("an unfinished request head");
    return parser;
  }

  push(bytes: Uint8Array): HeadResult {
    const before = this.length;
    const take = Math.min(bytes.length, MAX_HEAD_BYTES - before);
    this.reserve(before + take);
    this.buffer.set(bytes.subarray(0, take), before);
    this.length += take;
    const end = this.findEnd();
    if (end < 0) {
      if (this.length === MAX_HEAD_BYTES) return { kind: "error", status: 431, reason: `request head longer than ${MAX_HEAD_BYTES} bytes` };
      return { kind: "more" };
    }
    try {
      const head = parseHead(latin1(this.buffer.subarray(0, end)));
      return { kind: "done", head, rest: bytes.subarray(end - before) };
    } catch (e) {
      if (e instanceof HeadError) return { kind: "error", status: e.status, reason: e.message };
      throw e;
    }
  }

  /** Grows the buffer (doubling, at most to MAX_HEAD_BYTES) to hold `bytes`. */
  private reserve(bytes: number): void {
    if (bytes <= this.buffer.length) return;
    let size = Math.max(FIRST_BUFFER_BYTES, this.buffer.length);
    while (size < bytes) size *= 2;
    const grown = new Uint8Array(Math.min(MAX_HEAD_BYTES, size));
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }

  /** The offset just past the blank line that ends the head, or -1. */
  private findEnd(): number {
    const b = this.buffer;
    for (let i = Math.max(this.scanned, 1); i < this.length; i++) {
      if (b[i] !== 0x0a) continue;
      // A line feed ends the head if the line it ends is empty: "\n\n" or "\n\r\n".
      if (b[i - 1] === 0x0a || (b[i - 1] === 0x0d && i >= 2 && b[i - 2] === 0x0a)) return i + 1;
    }
    this.scanned = this.length;
    return -1;
  }
}

function latin1(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 4096) s += String.fromCharCode(...bytes.subarray(i, i + 4096));
  return s;
}

function parseHead(text: string): RequestHead {
  const lines = text.split("\n");
  lines.pop(); // the text ends with "\n": the last piece is empty
  const cut = lines.map((line, i) => {
    const stripped = line.endsWith("\r") ? line.slice(0, -1) : line;
    if (stripped.includes("\r")) throw new HeadError(400, `bare CR in line ${i + 1}`);
    return stripped;
  });
  while (cut.length > 0 && cut[0] === "") cut.shift(); // RFC 9112 §2.2: ignore leading blank lines
  cut.pop(); // the blank line that ended the head
  const requestLine = cut.shift();
  if (requestLine === undefined) throw new HeadError(400, "empty request");
  const parts = requestLine.split(" ");
  if (parts.length !== 3) throw new HeadError(400, "request line is not METHOD SP TARGET SP VERSION");
  const [method, target, version] = parts as [string, string, string];
  if (!TOKEN.test(method)) throw new HeadError(400, "invalid method");
  if (!TARGET.test(target)) throw new HeadError(400, "invalid request target");
  if (!/^HTTP\/\d\.\d$/.test(version)) throw new HeadError(400, "invalid HTTP version");
  if (!version.startsWith("HTTP/1.")) throw new HeadError(505, `${version} is not supported`);
  if (cut.length > MAX_HEADER_FIELDS) throw new HeadError(431, `more than ${MAX_HEADER_FIELDS} header fields`);
  const headers = new Map<string, string[]>();
  for (const line of cut) {
    const colon = line.indexOf(":");
    // Leading white space would be an obsolete line folding; both are refused (RFC 9112 §5).
    if (colon <= 0) throw new HeadError(400, "header line without a name and colon");
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) throw new HeadError(400, "invalid header field name");
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, "");
    if (!FIELD_VALUE.test(value)) throw new HeadError(400, `invalid characters in header ${name}`);
    const key = name.toLowerCase();
    const list = headers.get(key);
    if (list) list.push(value);
    else headers.set(key, [value]);
  }
  return { method, target, version, headers };
}

/**
 * The body length the request declares: a number, "none" (no body), or an error status.
 * Transfer codings (chunked uploads) are not supported: 501 says so rather than misreading.
 */
export function requestBodyLength(head: RequestHead): number | "none" | { status: number; reason: string } {
  const te = head.headers.get("transfer-encoding");
  const cl = head.headers.get("content-length");
  if (te !== undefined) {
    if (cl !== undefined) return { status: 400, reason: "both Transfer-Encoding and Content-Length" };
    return { status: 501, reason: "Transfer-Encoding (chunked upload) is not supported: send Content-Length" };
  }
  if (cl === undefined) return "none";
  // "Content-Length: 5, 5" and repeated equal fields are allowed (RFC 9110 §8.6); others not.
  const values = new Set(cl.flatMap((v) => v.split(",")).map((v) => v.trim()));
  if (values.size !== 1) return { status: 400, reason: "conflicting Content-Length values" };
  const value = [...values][0];
  if (value === undefined || !/^\d{1,15}$/.test(value)) return { status: 400, reason: "invalid Content-Length" };
  return Number(value);
}
