// What an HTTP exchange can be in the middle of, as objects that say where they are, so a
// snapshot can save a connection mid-transfer and a restore go on from the same byte: a
// response body going out (fixed bytes, or a blob made on demand) and a request body coming
// in (hashed for /upload). Routes build these instead of closures, which could not be saved.

import type { Plain, StateReader } from "../../../snapshot/state-reader.js";
import { BlobReader, MAX_BLOB_SEED } from "./blob.js";
import type { HeaderList } from "./http-response.js";
import { Sha256, type Sha256State } from "./sha256.js";

/** The largest fixed response body (text pages and error messages are far smaller). */
export const MAX_BYTES_BODY = 1024 * 1024;
const TEXT = "text/plain; charset=utf-8";

/** A response body on its way out, read front to back as the peer takes it. */
export interface ResponseBody {
  readonly length: number;
  /** Bytes not yet read. */
  readonly remaining: number;
  /** The next min(maxBytes, remaining) bytes, in an array the connection may keep. */
  read(maxBytes: number): Uint8Array;
  saveState(): ResponseBodyState;
}

export type ResponseBodyState = Plain<
  { kind: "bytes"; bytes: Uint8Array; offset: number } | { kind: "blob"; length: number; seed: number; offset: number }
>;

/** A body held whole (text responses). */
export class BytesBody implements ResponseBody {
  constructor(private readonly bytes: Uint8Array, private offset = 0) {}

  get length(): number {
    return this.bytes.length;
  }

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  read(maxBytes: number): Uint8Array {
    const chunk = this.bytes.subarray(this.offset, this.offset + maxBytes);
    this.offset += chunk.length;
    return chunk; // a view: `bytes` is never modified
  }

  saveState(): ResponseBodyState {
    return { kind: "bytes", bytes: this.bytes.slice(), offset: this.offset };
  }
}

/** A blob (blob.ts), made as it is sent. */
export class BlobBody implements ResponseBody {
  constructor(private readonly reader: BlobReader) {}

  get length(): number {
    return this.reader.length;
  }

  get remaining(): number {
    return this.reader.remaining;
  }

  read(maxBytes: number): Uint8Array {
    return this.reader.read(maxBytes);
  }

  saveState(): ResponseBodyState {
    return { kind: "blob", length: this.reader.length, seed: this.reader.seed, offset: this.reader.offset };
  }
}

export function restoreResponseBody(state: StateReader): ResponseBody {
  const kind = state.field("kind").oneOf(["bytes", "blob"] as const);
  if (kind === "bytes") {
    const bytes = state.field("bytes").bytes(MAX_BYTES_BODY);
    return new BytesBody(bytes, state.field("offset").integer(0, bytes.length));
  }
  const length = state.field("length").integer(0, Number.MAX_SAFE_INTEGER);
  const seed = state.field("seed").integer(0, MAX_BLOB_SEED);
  return new BlobBody(new BlobReader(length, seed, state.field("offset").integer(0, length)));
}

/** What a body sink answers with once the whole request body arrived. */
export interface TextResponder {
  sendText(status: number, body: string, contentType?: string, headers?: HeaderList): void;
}

/** Where a request body goes as it arrives, and the answer once all of it did. */
export interface RequestBodySink {
  /** The next piece of the body (valid only during the call). */
  update(bytes: Uint8Array): void;
  complete(length: number, responder: TextResponder): void;
  saveState(): RequestBodySinkState;
}

export type RequestBodySinkState = Plain<{ kind: "upload-sha256"; hash: Sha256State } | { kind: "discard" }>;

/** POST /upload: hashes the body, answers with its hex SHA-256 (and the byte count in X-Bytes). */
export class UploadDigest implements RequestBodySink {
  constructor(private readonly hash = new Sha256()) {}

  update(bytes: Uint8Array): void {
    this.hash.update(bytes);
  }

  complete(length: number, responder: TextResponder): void {
    responder.sendText(200, `${this.hash.digestHex()}\n`, TEXT, [["X-Bytes", String(length)]]);
  }

  saveState(): RequestBodySinkState {
    return { kind: "upload-sha256", hash: this.hash.saveState() };
  }
}

/**
 * POST /discard: takes the body and answers with its byte count, for upload benchmarks
 * that should measure the network rather than the host's hashing.
 */
export class DiscardBody implements RequestBodySink {
  update(): void {}

  complete(length: number, responder: TextResponder): void {
    responder.sendText(200, `${length}\n`, TEXT, [["X-Bytes", String(length)]]);
  }

  saveState(): RequestBodySinkState {
    return { kind: "discard" };
  }
}

export function restoreRequestBodySink(state: StateReader): RequestBodySink {
  const kind = state.field("kind").oneOf(["upload-sha256", "discard"] as const);
  if (kind === "discard") return new DiscardBody();
  return new UploadDigest(Sha256.restore(state.field("hash")));
}
