// A minimal HTTP/1.1 server as a stream service: one request per connection, answered with
// "Connection: close" and then a FIN (HTTP/1.0 and keep-alive clients both handle that).
// Bodies go out with backpressure (never more than the high-water mark held here) and come
// in hashed as they arrive, so neither a 4 GiB download nor an upload is ever held whole.

import type { StreamConnection, StreamHandler, StreamService } from "../stream-service.js";
import { hashBlobInSlices } from "./blob.js";
import { pump, type ChunkSource } from "./backpressure.js";
import { CONTINUE_HEAD, formatHead, utf8, type HeaderList } from "./http-response.js";
import { RequestHeadParser, requestBodyLength, type RequestHead } from "./http-request.js";
import { ROUTES, splitTarget, type HttpExchange, type HttpRequest } from "./http-routes.js";

export interface HttpServerOptions {
  /** Runs `fn` later, letting the machine run between slices of long work. Default: setTimeout 0. */
  defer?: (fn: () => void) => void;
  /** Blob bytes hashed per slice for /blob-sha256 (default 4 MiB, about 25 ms). */
  hashSliceBytes?: number;
}

const TEXT = "text/plain; charset=utf-8";

type Phase =
  | "head" // reading the request head
  | "body" // reading a body a route asked for
  | "busy" // the route is working (hashing) or the response is going out
  | "done"; // the response is complete (or the connection is gone)

class HttpConnection implements StreamHandler, HttpExchange {
  private phase: Phase = "head";
  private readonly parser = new RequestHeadParser();
  private headOnly = false;
  private request: HttpRequest | undefined;
  private responded = false;
  private closed = false;
  private body: { remaining: number; length: number; onChunk: (b: Uint8Array) => void; onComplete: (n: number) => void } | undefined;
  private outgoing: { source: ChunkSource; remaining: number } | undefined;
  private pumping = false;
  private cancelWork: (() => void) | undefined;

  constructor(private readonly connection: StreamConnection, private readonly options: Required<HttpServerOptions>) {}

  onData(bytes: Uint8Array): void {
    if (this.phase === "head") {
      const result = this.parser.push(bytes);
      if (result.kind === "more") return;
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
    this.cancelWork?.();
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
    const bytes = utf8(body);
    let offset = 0;
    this.sendStream(status, contentType, bytes.length, (max) => bytes.subarray(offset, (offset += max)), headers);
  }

  sendStream(status: number, contentType: string, length: number, source: ChunkSource, headers: HeaderList = []): void {
    if (this.closed) return; // the connection went away while a route worked
    if (this.responded) throw new Error("a response was already sent on this connection");
    this.responded = true;
    this.phase = "busy";
    this.body = undefined;
    this.connection.write(formatHead(status, contentType, length, headers));
    if (this.headOnly || length === 0) return this.finish();
    this.outgoing = { source, remaining: length };
    this.pumpBody();
  }

  readBody(onChunk: (bytes: Uint8Array) => void, onComplete: (length: number) => void): void {
    const request = this.request;
    if (!request || this.responded || this.body) throw new Error("readBody() outside a request's handler");
    const total = request.bodyLength === "none" ? 0 : request.bodyLength;
    this.body = { remaining: total, length: total, onChunk, onComplete };
    this.phase = "body";
    if (total === 0) return this.completeBody();
    const expect = request.head.headers.get("expect");
    if (expect?.some((v) => v.toLowerCase() === "100-continue")) this.connection.write(CONTINUE_HEAD);
  }

  hashBlob(length: number, seed: number, done: (hex: string) => void): void {
    this.cancelWork = hashBlobInSlices(length, seed, this.options.hashSliceBytes, this.options.defer, (hex) => {
      this.cancelWork = undefined;
      done(hex);
    });
  }

  private feedBody(bytes: Uint8Array): void {
    const body = this.body!;
    const take = Math.min(body.remaining, bytes.length);
    body.remaining -= take;
    body.onChunk(take === bytes.length ? bytes : bytes.subarray(0, take));
    if (body.remaining === 0) this.completeBody();
  }

  private completeBody(): void {
    const body = this.body!;
    this.body = undefined;
    this.phase = "busy";
    body.onComplete(body.length);
  }

  private pumpBody(): void {
    const out = this.outgoing;
    if (!out || this.pumping) return;
    this.pumping = true;
    try {
      pump(this.connection, (max) => {
        const chunk = out.remaining > 0 ? out.source(Math.min(max, out.remaining)) : new Uint8Array(0);
        out.remaining -= chunk.length;
        return chunk;
      });
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
}

/** The HTTP service (port 80 of the host network). */
export function createHttpService(options: HttpServerOptions = {}): StreamService {
  const resolved: Required<HttpServerOptions> = {
    defer: options.defer ?? ((fn) => void setTimeout(fn, 0)),
    hashSliceBytes: options.hashSliceBytes ?? 4 * 1024 * 1024,
  };
  return (connection) => new HttpConnection(connection, resolved);
}
