// A minimal HTTP/1.1 server as a stream service: one request per connection, answered with
// "Connection: close" and then a FIN (HTTP/1.0 and keep-alive clients both handle that).
// Bodies go out with backpressure (never more than the high-water mark held here) and come
// in hashed as they arrive, so neither a 4 GiB download nor an upload is ever held whole.
// A connection can be saved and restored at any moment between events (saveState, restore).

import type { Plain, StateReader } from "../../../snapshot/state-reader.js";
import { restorableService, STREAM_HIGH_WATER_BYTES, type StreamConnection, type StreamHandler, type StreamService } from "../stream-service.js";
import { BlobHasher, cachedBlobSha256, hashInSlices, type BlobHasherState } from "./blob.js";
import { pump } from "./backpressure.js";
import { CONTINUE_HEAD, formatHead, utf8, type HeaderList } from "./http-response.js";
import { RequestHeadParser, requestBodyLength, type RequestHead } from "./http-request.js";
import { ROUTES, splitTarget, type HttpExchange, type HttpRequest } from "./http-routes.js";
import { BytesBody, restoreRequestBodySink, restoreResponseBody } from "./http-transfers.js";
import type { RequestBodySink, RequestBodySinkState, ResponseBody, ResponseBodyState } from "./http-transfers.js";

export interface HttpServerOptions {
  /** Runs `fn` later, letting the machine run between slices of long work. Default: setTimeout 0. */
  defer?: (fn: () => void) => void;
  /** Blob bytes hashed per slice for /blob-sha256 (default 4 MiB, about 25 ms). */
  hashSliceBytes?: number;
}

const TEXT = "text/plain; charset=utf-8";

const PHASES = [
  "head", // reading the request head
  "body", // reading a body a route asked for
  "busy", // the route is working (hashing) or the response is going out
  "done", // the response is complete (or the connection is gone)
] as const;
type Phase = (typeof PHASES)[number];

/** An HTTP connection between events, for snapshots. */
export type HttpConnectionState = Plain<{
  service: "http";
  phase: Phase;
  /** The request head received so far (empty once it is complete). */
  head: Uint8Array;
  headOnly: boolean;
  responded: boolean;
  /** A request body being read. */
  body: { remaining: number; length: number; sink: RequestBodySinkState } | null;
  /** A response body going out. */
  outgoing: ResponseBodyState | null;
  /** A blob being hashed for /blob-sha256. */
  digest: BlobHasherState | null;
}>;

class HttpConnection implements StreamHandler, HttpExchange {
  private phase: Phase = "head";
  private parser = new RequestHeadParser();
  private headOnly = false;
  private request: HttpRequest | undefined;
  private responded = false;
  private closed = false;
  private body: { remaining: number; length: number; sink: RequestBodySink } | undefined;
  private outgoing: ResponseBody | undefined;
  private pumping = false;
  private digest: BlobHasher | undefined;
  private cancelDigest: (() => void) | undefined;

  constructor(private readonly connection: StreamConnection, private readonly options: Required<HttpServerOptions>) {}

  onData(bytes: Uint8Array): void {
    if (this.phase === "head") {
      const result = this.parser.push(bytes);
      if (result.kind === "more") return;
      this.parser = new RequestHeadParser(); // the head's buffer is not needed any more
      if (result.kind === "error") {
        this.sendText(result.status, `${result.reason}\n`);
        return;
      }
      this.dispatch(result.head);
      bytes = result.rest;
    }
    if (this.phase === "body" && bytes.length > 0) this.feedBody(bytes);
    // Anything else (a pipelined request, a body no route asked for) is dropped: we close.
  }

  onEnd(): void {
    if (this.phase === "head") {
      if (this.parser.received > 0) this.sendText(400, "the request ended before its head was complete\n");
      else this.finish();
    } else if (this.phase === "body" && this.body) {
      const got = this.body.length - this.body.remaining;
      this.sendText(400, `the body ended after ${got} of ${this.body.length} bytes\n`);
    }
    // While busy the response still goes out: the peer only closed its sending side.
  }

  onWritable(): void {
    this.pumpBody();
  }

  onClose(): void {
    this.closed = true;
    this.phase = "done";
    this.outgoing = undefined;
    this.cancelDigest?.();
    this.digest = undefined;
  }

  private dispatch(head: RequestHead): void {
    this.phase = "busy";
    this.headOnly = head.method === "HEAD";
    const length = requestBodyLength(head);
    if (typeof length === "object") return this.sendText(length.status, `${length.reason}\n`);
    const target = splitTarget(head.target);
    if (typeof target === "string") return this.sendText(400, `${target}\n`);
    const route = ROUTES.find((r) => r.path === target.path);
    if (!route) return this.sendText(404, `no such path: ${target.path}\n`);
    const method = this.headOnly ? "GET" : head.method;
    const handler = method === "GET" || method === "POST" ? route.methods[method] : undefined;
    if (!handler) {
      const allow = Object.keys(route.methods).flatMap((m) => (m === "GET" ? ["GET", "HEAD"] : [m]));
      return this.sendText(405, `${head.method} is not allowed on ${target.path}\n`, TEXT, [["Allow", allow.join(", ")]]);
    }
    this.request = { head, path: target.path, query: target.query, bodyLength: length };
    try {
      handler(this.request, this);
    } catch (e) {
      // A bug in a route must not take the stack down: report it to the client instead.
      if (!this.responded) this.sendText(500, `internal error: ${String(e)}\n`);
      else this.connection.abort();
    }
  }

  sendText(status: number, body: string, contentType = TEXT, headers: HeaderList = []): void {
    this.sendStream(status, contentType, new BytesBody(utf8(body)), headers);
  }

  sendStream(status: number, contentType: string, body: ResponseBody, headers: HeaderList = []): void {
    if (this.closed) return; // the connection went away while a route worked
    if (this.responded) throw new Error("a response was already sent on this connection");
    this.responded = true;
    this.phase = "busy";
    this.body = undefined;
    this.connection.write(formatHead(status, contentType, body.length, headers));
    if (this.headOnly || body.length === 0) return this.finish();
    this.outgoing = body;
    this.pumpBody();
  }

  readBody(sink: RequestBodySink): void {
    const request = this.request;
    if (!request || this.responded || this.body) throw new Error("readBody() outside a request's handler");
    const total = request.bodyLength === "none" ? 0 : request.bodyLength;
    this.body = { remaining: total, length: total, sink };
    this.phase = "body";
    if (total === 0) return this.completeBody();
    const expect = request.head.headers.get("expect");
    if (expect?.some((v) => v.toLowerCase() === "100-continue")) this.connection.write(CONTINUE_HEAD);
  }

  sendBlobDigest(length: number, seed: number): void {
    const cached = cachedBlobSha256(length, seed);
    if (cached !== undefined) return this.sendText(200, `${cached}\n`);
    this.digest = new BlobHasher(length, seed);
    this.hashDigest();
  }

  /** Hashes the rest of the digest's blob in slices, then answers. */
  private hashDigest(): void {
    const hasher = this.digest;
    if (!hasher) return;
    const cancel = hashInSlices(hasher, this.options.hashSliceBytes, this.options.defer, (hex) => {
      this.digest = this.cancelDigest = undefined;
      this.sendText(200, `${hex}\n`);
    });
    if (this.digest === hasher) this.cancelDigest = cancel; // not done at once
  }

  private feedBody(bytes: Uint8Array): void {
    const body = this.body!;
    const take = Math.min(body.remaining, bytes.length);
    body.remaining -= take;
    body.sink.update(take === bytes.length ? bytes : bytes.subarray(0, take));
    if (body.remaining === 0) this.completeBody();
  }

  private completeBody(): void {
    const body = this.body!;
    this.body = undefined;
    this.phase = "busy";
    body.sink.complete(body.length, this);
  }

  private pumpBody(): void {
    const out = this.outgoing;
    if (!out || this.pumping) return;
    this.pumping = true;
    // A large body may fill the guest's whole window (blobs are made on demand anyway).
    if (out.remaining > STREAM_HIGH_WATER_BYTES) this.connection.sendInBulk?.();
    try {
      pump(this.connection, (max) => (out.remaining > 0 ? out.read(max) : new Uint8Array(0)));
    } finally {
      this.pumping = false;
    }
    if (out.remaining === 0 && this.outgoing === out) this.finish();
  }

  private finish(): void {
    this.outgoing = undefined;
    this.phase = "done";
    this.connection.end();
  }

  // ---- Snapshots ----

  saveState(): HttpConnectionState {
    const body = this.body;
    return {
      service: "http",
      phase: this.phase,
      head: this.phase === "head" ? this.parser.saveState() : new Uint8Array(0),
      headOnly: this.headOnly,
      responded: this.responded,
      body: body ? { remaining: body.remaining, length: body.length, sink: body.sink.saveState() } : null,
      outgoing: this.outgoing?.saveState() ?? null,
      digest: this.digest?.saveState() ?? null,
    };
  }

  static restore(connection: StreamConnection, options: Required<HttpServerOptions>, state: StateReader): HttpConnection {
    state.field("service").oneOf(["http"] as const);
    const c = new HttpConnection(connection, options);
    c.phase = state.field("phase").oneOf(PHASES);
    c.parser = RequestHeadParser.restore(state.field("head"));
    c.headOnly = state.field("headOnly").boolean();
    c.responded = state.field("responded").boolean();
    const body = state.field("body").nullable((b) => {
      const length = b.field("length").integer(0, Number.MAX_SAFE_INTEGER);
      return { length, remaining: b.field("remaining").integer(1, length), sink: restoreRequestBodySink(b.field("sink")) };
    });
    c.body = body ?? undefined;
    c.outgoing = state.field("outgoing").nullable(restoreResponseBody) ?? undefined;
    c.digest = state.field("digest").nullable((d) => BlobHasher.restore(d)) ?? undefined;
    // Only the combinations the server itself can be in.
    if ((c.phase === "body") !== (body !== null)) state.field("body").fail(`${c.phase === "body" ? "a body" : "null"} in phase ${c.phase}`);
    if (c.outgoing && (c.phase !== "busy" || !c.responded)) state.field("outgoing").fail("null unless a response is going out");
    if (c.digest && (c.phase !== "busy" || c.responded)) state.field("digest").fail("null unless a digest is being computed");
    return c;
  }

  /** After a restore: a digest that was being computed goes on, from the next slice. */
  resume(): void {
    if (this.digest && !this.cancelDigest) this.options.defer(() => this.hashDigest());
  }
}

/** The HTTP service (port 80 of the host network). */
export function createHttpService(options: HttpServerOptions = {}): StreamService {
  const resolved: Required<HttpServerOptions> = {
    defer: options.defer ?? ((fn) => void setTimeout(fn, 0)),
    hashSliceBytes: options.hashSliceBytes ?? 4 * 1024 * 1024,
  };
  return restorableService(
    (connection) => new HttpConnection(connection, resolved),
    (connection, state) => HttpConnection.restore(connection, resolved, state),
  );
}
