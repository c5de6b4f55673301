// One guest TCP connection to port 80, carried by fetch(): requests are parsed one at a time
// (keep-alive, several in sequence), each becomes one fetch(), and its response is written
// back before the next request is read. While a request is with fetch() the connection stops
// reading (pauseReading), so a guest that pipelines requests or floods the connection costs
// at most what arrived with the request in hand. The guest closing the connection aborts the
// fetch (AbortController), so the browser stops downloading for nobody.
import type { OutboundTarget } from "../outbound.js";
import type { StreamConnection, StreamHandler } from "../stream-service.js";
import { MAX_HEAD_BYTES, RequestHeadParser, type RequestHead } from "../services/http-request.js";
import { BodyCollector, bodyFraming, type UploadBudget } from "./request-body.js";
import { FORBIDDEN_METHODS, requestHeaders, requestUrl, wantsKeepAlive } from "./request-target.js";
import { fetchedHead, formatResponseHead, hasBody, reasonPhrase, textResponse, type ResponseFraming } from "./response-head.js";
import { ResponsePump } from "./response-pump.js";
import { readAhead } from "./read-ahead.js";
import { describeError, fetchFailedPage, refusedPage } from "./error-page.js";
import { probe } from "./probe.js";

export interface FetchConnectionOptions {
  fetch: typeof globalThis.fetch;
  log(message: string): void;
  origin?: string;
}

/** Bytes that may wait behind the request being fetched (what came with it; reading is paused after). */
const MAX_WAITING_BYTES = MAX_HEAD_BYTES + 64 * 1024;

const CONTINUE = new TextEncoder().encode("HTTP/1.1 100 Continue\r\n\r\n");

type Phase = "head" | "body" | "fetching" | "responding" | "done";

export class FetchConnection implements StreamHandler {
  private phase: Phase = "head";
  private parser = new RequestHeadParser();
  private head: RequestHead | undefined;
  private url = "";
  private keepAlive = false;
  private collector: BodyCollector | undefined;
  /** Bytes after the current request (a pipelined next request), kept until it is done. */
  private waiting: Uint8Array[] = [];
  private waitingBytes = 0;
  private peerEnded = false;
  private closed = false;
  private controller: AbortController | undefined;
  private pump: ResponsePump | undefined;

  constructor(
    private readonly target: OutboundTarget,
    private readonly connection: StreamConnection,
    private readonly options: FetchConnectionOptions,
    private readonly budget: UploadBudget,
  ) {}

  onData(bytes: Uint8Array): void {
    if (this.phase === "done") return;
    if (this.phase === "fetching" || this.phase === "responding") return this.keepWaiting(bytes);
    this.consume(bytes);
  }

  onEnd(): void {
    this.peerEnded = true;
    if (this.phase === "head") {
      if (this.parser.received > 0) this.refuse(400, "the request ended before its head was complete");
      else this.finish();
    } else if (this.phase === "body") {
      this.refuse(400, "the request ended before its body was complete");
    }
    // While fetching or responding the response still goes out: the guest only closed its side.
  }

  onWritable(): void {
    this.pump?.run();
  }

  onClose(): void {
    this.closed = true;
    this.phase = "done";
    this.controller?.abort();
    this.controller = undefined;
    this.pump?.stop();
    this.pump = undefined;
    this.releaseBody();
    this.waiting = [];
  }

  /** Parses heads and bodies from `bytes` until they run out or a request goes to fetch(). */
  private consume(bytes: Uint8Array): void {
    while (this.phase === "head" || this.phase === "body") {
      if (this.phase === "head") {
        if (bytes.length === 0) return;
        const result = this.parser.push(bytes);
        if (result.kind === "more") return;
        this.parser = new RequestHeadParser(); // the head's buffer is not needed any more
        if (result.kind === "error") return this.refuse(result.status, result.reason);
        bytes = result.rest;
        this.begin(result.head);
      } else {
        if (bytes.length === 0) return;
        const result = this.collector!.push(bytes);
        if (result.kind === "more") return;
        if (result.kind === "error") return this.refuse(result.status, result.reason);
        bytes = result.rest;
        this.send(result.body);
      }
    }
    if (bytes.length > 0) this.keepWaiting(bytes);
  }

  private begin(head: RequestHead): void {
    this.head = head;
    this.keepAlive = wantsKeepAlive(head);
    if (FORBIDDEN_METHODS.has(head.method) && head.method !== "CONNECT") return this.refuse(501, `fetch() cannot send ${head.method} requests`);
    const url = requestUrl(this.target, head);
    if (url.kind === "error") return this.refuse(url.status, url.reason);
    this.url = url.url;
    const framing = bodyFraming(head);
    if ("status" in framing) return this.refuse(framing.status, framing.reason);
    if (framing.kind === "none") return this.send(undefined);
    this.collector = new BodyCollector(framing, this.budget);
    const refused = this.collector.start();
    if (refused) return this.refuse(refused.status, refused.reason);
    this.phase = "body";
    if (head.headers.get("expect")?.some((v) => v.toLowerCase() === "100-continue")) this.connection.write(CONTINUE);
  }

  private send(body: Uint8Array<ArrayBuffer> | undefined): void {
    const head = this.head!;
    this.phase = "fetching";
    this.connection.pauseReading();
    const controller = (this.controller = new AbortController());
    // fetch() refuses a body on GET and HEAD; a guest that sends one loses it.
    const withBody = body !== undefined && body.length > 0 && head.method !== "GET" && head.method !== "HEAD";
    const init: RequestInit = {
      method: head.method,
      headers: requestHeaders(head),
      signal: controller.signal,
      redirect: "follow",
      // Never the browser's cookies or HTTP authentication for the guest's requests.
      credentials: "omit",
      referrerPolicy: "no-referrer",
    };
    if (withBody) init.body = body;
    let promise: Promise<Response>;
    try {
      promise = this.options.fetch(this.url, init);
    } catch (e) {
      promise = Promise.reject(e);
    }
    promise
      .then(
        (response) => this.respond(response, controller),
        (error: unknown) => this.fetchFailed(error, controller),
      )
      .catch((error: unknown) => {
        // A bug here must not leave the guest waiting forever: say so and reset.
        this.options.log(`fetch ${this.url}: internal error ${describeError(error)}`);
        if (!this.closed) this.abortConnection();
      });
  }

  private async respond(response: Response, controller: AbortController): Promise<void> {
    this.releaseBody();
    if (this.closed || controller !== this.controller) return void response.body?.cancel().catch(() => undefined);
    const head = this.head!;
    const { headers, declaredLength } = fetchedHead(response.headers.entries(), response.type === "cors");
    const reason = reasonPhrase(response.status, response.statusText);
    const reader = response.body?.getReader();
    if (!hasBody(head.method, response.status) || !reader) {
      void reader?.cancel().catch(() => undefined);
      // A HEAD response says how long the GET's body would be, when that is still true.
      if (head.method === "HEAD" && declaredLength !== undefined) headers.push(["content-length", String(declaredLength)]);
      const framing: ResponseFraming = hasBody(head.method, response.status) ? { kind: "length", length: 0 } : { kind: "none" };
      this.connection.write(formatResponseHead(response.status, reason, headers, framing, this.keepAlive));
      return this.responseDone(framing);
    }
    let ahead;
    try {
      ahead = await readAhead(reader, () => this.closed);
    } catch (error) {
      return this.fetchFailed(error, controller, false);
    }
    if (this.closed || controller !== this.controller) return;
    const framing: ResponseFraming = ahead.ended
      ? { kind: "length", length: ahead.bytes }
      : declaredLength !== undefined
        ? { kind: "length", length: declaredLength }
        : head.version === "HTTP/1.1"
          ? { kind: "chunked" }
          : { kind: "close" };
    this.connection.write(formatResponseHead(response.status, reason, headers, framing, this.keepAlive));
    this.phase = "responding";
    this.pump = new ResponsePump(this.connection, reader, framing, ahead.chunks, ahead.ended, {
      done: () => this.responseDone(framing),
      failed: (why) => {
        // The head is out: a reset is the only way left to tell the guest the body is not whole.
        this.options.log(`fetch ${this.url}: ${why}; resetting the guest's connection`);
        this.pump = undefined;
        this.abortConnection();
      },
    });
    this.pump.run();
  }

  /** `diagnose`: ask probe() whether it was CORS (not when the body failed after an answer). */
  private async fetchFailed(error: unknown, controller: AbortController, diagnose = true): Promise<void> {
    this.releaseBody();
    if (this.closed || controller !== this.controller) return;
    const diagnosis = diagnose ? await probe(this.options.fetch, this.url, controller.signal) : "unknown";
    if (this.closed || controller !== this.controller) return;
    this.options.log(`fetch ${this.url} failed: ${describeError(error)}${diagnosis === "answered" ? " (the server answered: CORS)" : ""}`);
    this.refuse(502, fetchFailedPage(this.url, error, this.options.origin, diagnosis), true);
  }

  /** The response is complete: close, or read the next request (what waited first). */
  private responseDone(framing: ResponseFraming): void {
    this.pump = undefined;
    this.controller = undefined;
    if (!this.keepAlive || this.peerEnded || framing.kind === "close") return this.finish();
    this.phase = "head";
    this.head = undefined;
    const waiting = this.waiting;
    this.waiting = [];
    this.waitingBytes = 0;
    for (const bytes of waiting) {
      if (this.phase !== "head" && this.phase !== "body") {
        this.keepWaiting(bytes);
        continue;
      }
      this.consume(bytes);
    }
    if (this.phase === "head" || this.phase === "body") this.connection.resumeReading();
  }

  private keepWaiting(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.waitingBytes += bytes.length;
    // The stack delivers nothing while reading is paused: more than came with the request is a broken promise.
    if (this.waitingBytes > MAX_WAITING_BYTES) return this.abortConnection();
    this.waiting.push(bytes.slice());
  }

  /** Answers with our own text page and closes (the request cannot be carried). */
  private refuse(status: number, reason: string, page = false): void {
    if (this.phase === "done") return;
    if (!page) this.options.log(`fetch network: ${status} for a guest request: ${reason}`);
    this.connection.write(textResponse(status, page ? reason : refusedPage(reason), this.head?.method === "HEAD"));
    this.finish();
  }

  private finish(): void {
    this.phase = "done";
    this.releaseBody();
    this.waiting = [];
    this.connection.end();
  }

  private abortConnection(): void {
    this.onClose();
    this.connection.abort();
  }

  private releaseBody(): void {
    this.collector?.release();
    this.collector = undefined;
  }
}
