// A guest's request body, collected whole before fetch() is called. Streaming it instead (a
// ReadableStream body with `duplex: "half"`) is what we would prefer, but Chromium streams
// request bodies only over HTTP/2 and HTTP/3, and http:// URLs are always HTTP/1.1 there: a
// streamed upload would fail every time (net::ERR_H2_OR_QUIC_REQUIRED). So bodies are held,
// up to MAX_UPLOAD_BYTES each (413 beyond) and UploadBudget's total over all connections
// (503 beyond), so a guest opening many uploads cannot make the host hold more than that.
import type { RequestHead } from "../services/http-request.js";

/** The largest request body carried (a larger one is answered 413). */
export const MAX_UPLOAD_BYTES = 16 * 1024 * 1024;
/** All request bodies being held at once, over every connection of one network. */
export const MAX_UPLOADS_TOTAL_BYTES = 64 * 1024 * 1024;
/** A chunk-size line (size and extensions), and all trailer fields together. */
const MAX_CHUNK_LINE_BYTES = 4096;
const MAX_TRAILER_BYTES = 16 * 1024;

export type BodyFraming = { kind: "none" } | { kind: "length"; length: number } | { kind: "chunked" };
export type Refusal = { status: number; reason: string };

/** How the request's body is delimited (RFC 9112 §6.3), or why it cannot be read. */
export function bodyFraming(head: RequestHead): BodyFraming | Refusal {
  const te = head.headers.get("transfer-encoding");
  const cl = head.headers.get("content-length");
  if (te !== undefined) {
    // Both together is how request smuggling starts: refuse rather than pick one.
    if (cl !== undefined) return { status: 400, reason: "both Transfer-Encoding and Content-Length" };
    const codings = te.flatMap((v) => v.split(",")).map((v) => v.trim().toLowerCase());
    if (codings.length !== 1 || codings[0] !== "chunked") return { status: 501, reason: `Transfer-Encoding ${te.join(", ")} is not supported (only chunked)` };
    return { kind: "chunked" };
  }
  if (cl === undefined) return { kind: "none" };
  const values = new Set(cl.flatMap((v) => v.split(",")).map((v) => v.trim()));
  const value = values.size === 1 ? [...values][0] : undefined;
  if (value === undefined || !/^\d{1,15}$/.test(value)) return { status: 400, reason: "invalid or conflicting Content-Length" };
  const length = Number(value);
  return length === 0 ? { kind: "none" } : { kind: "length", length };
}

/** Bytes held for request bodies across connections; each collector reserves before it keeps. */
export class UploadBudget {
  private used = 0;
  constructor(readonly limit = MAX_UPLOADS_TOTAL_BYTES) {}
  reserve(bytes: number): boolean {
    if (this.used + bytes > this.limit) return false;
    this.used += bytes;
    return true;
  }
  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }
}

export type BodyResult =
  | { kind: "more" }
  | { kind: "done"; body: Uint8Array<ArrayBuffer>; /** Bytes after the body (a pipelined request). */ rest: Uint8Array }
  | { kind: "error"; status: number; reason: string };

type ChunkState = "size" | "data" | "data-end" | "trailer";

/** Collects one body as it arrives, in whatever pieces, decoding chunked framing. */
export class BodyCollector {
  /** The body so far, in one buffer that doubles as it fills (a list of pieces would let a
   * guest sending one-byte chunks cost an object per byte). */
  private buffer = new Uint8Array(0);
  private held = 0;
  private reserved = 0;
  private chunkState: ChunkState = "size";
  private chunkLeft = 0;
  private line = "";
  private trailerBytes = 0;

  constructor(private readonly framing: BodyFraming, private readonly budget: UploadBudget) {}

  /** Checks the declared length before anything is read (so a client waiting on 100-continue hears 413 first). */
  start(): Refusal | undefined {
    if (this.framing.kind !== "length") return undefined;
    return this.keep(this.framing.length);
  }

  push(bytes: Uint8Array): BodyResult {
    if (this.framing.kind === "none") return { kind: "done", body: new Uint8Array(0), rest: bytes };
    if (this.framing.kind === "length") {
      const take = Math.min(this.framing.length - this.held, bytes.length);
      this.append(bytes.subarray(0, take));
      if (this.held < this.framing.length) return { kind: "more" };
      return { kind: "done", body: this.body(), rest: bytes.subarray(take) };
    }
    return this.pushChunked(bytes);
  }

  /** Gives the bytes held back to the budget (once the fetch has the body, or the connection is gone). */
  release(): void {
    this.budget.release(this.reserved);
    this.reserved = 0;
    this.buffer = new Uint8Array(0);
  }

  private keep(bytes: number): Refusal | undefined {
    if (this.held + bytes > MAX_UPLOAD_BYTES) return { status: 413, reason: `request bodies are carried up to ${MAX_UPLOAD_BYTES} bytes (fetch() over HTTP/1.1 cannot stream them)` };
    const need = this.held + bytes - this.reserved;
    if (need <= 0) return undefined;
    if (!this.budget.reserve(need)) return { status: 503, reason: `too many uploads at once (at most ${this.budget.limit} bytes are held for them)` };
    this.reserved += need;
    return undefined;
  }

  private append(bytes: Uint8Array): void {
    const need = this.held + bytes.length;
    if (need > this.buffer.length) {
      // Reserved (keep) before appended, so need never passes MAX_UPLOAD_BYTES.
      const grown = new Uint8Array(Math.min(MAX_UPLOAD_BYTES, Math.max(need, 2 * this.buffer.length, 4096)));
      grown.set(this.buffer.subarray(0, this.held));
      this.buffer = grown;
    }
    this.buffer.set(bytes, this.held);
    this.held = need;
  }

  private body(): Uint8Array<ArrayBuffer> {
    return this.buffer.subarray(0, this.held);
  }

  private pushChunked(bytes: Uint8Array): BodyResult {
    let i = 0;
    while (i < bytes.length) {
      if (this.chunkState === "data") {
        const take = Math.min(this.chunkLeft, bytes.length - i);
        this.append(bytes.subarray(i, i + take));
        this.chunkLeft -= take;
        i += take;
        if (this.chunkLeft === 0) this.chunkState = "data-end";
        continue;
      }
      // The other states read lines: a byte at a time, but lines are short and bounded.
      const b = bytes[i++]!;
      if (b !== 0x0a) {
        this.line += String.fromCharCode(b);
        const limit = this.chunkState === "trailer" ? MAX_TRAILER_BYTES - this.trailerBytes : MAX_CHUNK_LINE_BYTES;
        if (this.line.length > limit) return { kind: "error", status: 400, reason: "chunk size line or trailer too long" };
        continue;
      }
      const line = this.line.endsWith("\r") ? this.line.slice(0, -1) : this.line;
      this.line = "";
      if (line.includes("\r")) return { kind: "error", status: 400, reason: "bare CR in chunked body" };
      const wasTrailer = this.chunkState === "trailer";
      const error = this.endLine(line);
      if (error) return { kind: "error", ...error };
      if (this.chunkState === "trailer" && line === "" && wasTrailer) return { kind: "done", body: this.body(), rest: bytes.subarray(i) };
    }
    return { kind: "more" };
  }

  /** One complete line in a non-data state. */
  private endLine(line: string): Refusal | undefined {
    switch (this.chunkState) {
      case "size": {
        const match = /^([0-9A-Fa-f]{1,8})[ \t]*(?:;.*)?$/.exec(line);
        if (!match) return { status: 400, reason: "invalid chunk size line" };
        const size = parseInt(match[1]!, 16);
        if (size === 0) {
          this.chunkState = "trailer";
          return undefined;
        }
        const refused = this.keep(size);
        if (refused) return refused;
        this.chunkLeft = size;
        this.chunkState = "data";
        return undefined;
      }
      case "data-end":
        if (line !== "") return { status: 400, reason: "chunk data longer than its size" };
        this.chunkState = "size";
        return undefined;
      case "trailer":
        // Trailer fields are read and dropped: fetch() cannot send them.
        this.trailerBytes += line.length + 2;
        return undefined;
      case "data":
        throw new Error("unreachable: data is not line-based");
    }
  }
}
