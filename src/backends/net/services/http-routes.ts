// What the host's web server at 10.0.2.2 answers. Routes see a parsed request and an
// exchange (http-server.ts) that sends the response with backpressure and closes.

import { BlobReader, MAX_BLOB_SEED } from "./blob.js";
import type { HeaderList } from "./http-response.js";
import type { RequestHead } from "./http-request.js";
import { BlobBody, DiscardBody, UploadDigest, type RequestBodySink, type ResponseBody, type TextResponder } from "./http-transfers.js";

export interface HttpRequest {
  head: RequestHead;
  /** The path of the target, without the query (not percent-decoded). */
  path: string;
  /** Decoded query parameters. */
  query: Map<string, string>;
  /** The declared body length, or "none" without Content-Length. */
  bodyLength: number | "none";
}

/**
 * How a route answers. Everything it starts is an object that can save where it is
 * (http-transfers.ts), never a closure, so a connection can be snapshotted at any moment.
 */
export interface HttpExchange extends TextResponder {
  /** Sends a head declaring `body.length` bytes, then the body as the peer takes it. */
  sendStream(status: number, contentType: string, body: ResponseBody, headers?: HeaderList): void;
  /** Reads the declared body into `sink`, which answers once all of it arrived. */
  readBody(sink: RequestBodySink): void;
  /**
   * Hashes a blob in slices between which the machine runs, then answers 200 with the hex
   * digest and a newline. Nothing happens once the connection is gone.
   */
  sendBlobDigest(length: number, seed: number): void;
}

export type RouteHandler = (request: HttpRequest, exchange: HttpExchange) => void;

export interface Route {
  path: string;
  summary: string;
  methods: Readonly<Partial<Record<"GET" | "POST", RouteHandler>>>;
}

export const MAX_BLOB_BYTES = 0xffffffff;

/** Parses a decimal parameter in [0, max]; a string is the reason it is refused. */
function integerParam(query: Map<string, string>, name: string, max: number, fallback?: number): number | string {
  const raw = query.get(name);
  if (raw === undefined) return fallback ?? `missing parameter ${name} (an integer from 0 to ${max})`;
  if (!/^\d+$/.test(raw) || Number(raw) > max) return `parameter ${name}=${raw} is not an integer from 0 to ${max}`;
  return Number(raw);
}

/** The blob named by ?bytes=N&seed=S, or sends 400 and returns undefined. */
function blobParams(request: HttpRequest, exchange: HttpExchange): { bytes: number; seed: number } | undefined {
  const bytes = integerParam(request.query, "bytes", MAX_BLOB_BYTES);
  const seed = integerParam(request.query, "seed", MAX_BLOB_SEED, 0);
  if (typeof bytes === "string" || typeof seed === "string") {
    exchange.sendText(400, `${typeof bytes === "string" ? bytes : seed}\n`);
    return undefined;
  }
  return { bytes, seed };
}

function homePage(): string {
  const items = ROUTES.map((r) => `<li><code>${Object.keys(r.methods).join(", ")} ${r.path}</code>: ${r.summary}</li>`);
  return [
    "<!doctype html>",
    "<html><head><meta charset=\"utf-8\"><title>ringside host</title></head><body>",
    "<h1>ringside host network</h1>",
    "<p>The web server of the in-browser host network (10.0.2.2). Routes:</p>",
    `<ul>\n${items.join("\n")}\n</ul>`,
    "<p>Also on this host: echo (port 7), discard (port 9), chargen (port 19).</p>",
    "</body></html>",
    "",
  ].join("\n");
}

/** A POST route that streams the body (it must have a Content-Length) into a new sink. */
function bodyRoute(path: string, summary: string, sink: () => RequestBodySink): Route {
  return {
    path,
    summary,
    methods: {
      POST: (request, exchange) => {
        if (request.bodyLength === "none") {
          exchange.sendText(411, `POST ${path} needs a Content-Length\n`);
          return;
        }
        exchange.readBody(sink());
      },
    },
  };
}

export const ROUTES: readonly Route[] = [
  {
    path: "/",
    summary: "this page",
    methods: { GET: (_request, exchange) => exchange.sendText(200, homePage(), "text/html; charset=utf-8") },
  },
  {
    path: "/blob",
    summary: "?bytes=N&amp;seed=S: N deterministic bytes (N &lt; 4 GiB, seed 0 by default)",
    methods: {
      GET: (request, exchange) => {
        const params = blobParams(request, exchange);
        if (!params) return;
        exchange.sendStream(200, "application/octet-stream", new BlobBody(new BlobReader(params.bytes, params.seed)));
      },
    },
  },
  {
    path: "/blob-sha256",
    summary: "?bytes=N&amp;seed=S: the hex SHA-256 of that blob",
    methods: {
      GET: (request, exchange) => {
        const params = blobParams(request, exchange);
        if (!params) return;
        exchange.sendBlobDigest(params.bytes, params.seed);
      },
    },
  },
  bodyRoute("/upload", "POST a body (with Content-Length): its hex SHA-256 (byte count in X-Bytes)", () => new UploadDigest()),
  bodyRoute("/discard", "POST a body (with Content-Length): its byte count, nothing else done with it", () => new DiscardBody()),
];

/** Splits a target into path and decoded query; a string is the reason it is refused. */
export function splitTarget(target: string): { path: string; query: Map<string, string> } | string {
  // Absolute form (sent to proxies, and servers must accept it): keep the path onwards.
  const absolute = /^https?:\/\/[^/?#]*/i.exec(target);
  const rest = absolute ? target.slice(absolute[0].length) || "/" : target;
  if (!rest.startsWith("/")) return "request target is not a path";
  const hash = rest.indexOf("#");
  const noFragment = hash < 0 ? rest : rest.slice(0, hash);
  const q = noFragment.indexOf("?");
  const path = q < 0 ? noFragment : noFragment.slice(0, q);
  const query = new Map<string, string>();
  if (q >= 0) {
    for (const pair of noFragment.slice(q + 1).split("&")) {
      if (pair === "") continue;
      const eq = pair.indexOf("=");
      const [name, value] = eq < 0 ? [pair, ""] : [pair.slice(0, eq), pair.slice(eq + 1)];
      let decodedName: string, decodedValue: string;
      try {
        decodedName = decodeURIComponent(name.replace(/\+/g, " "));
        decodedValue = decodeURIComponent(value.replace(/\+/g, " "));
      } catch {
        return "invalid percent-encoding in the query";
      }
      if (query.has(decodedName)) return `parameter ${decodedName} given twice`;
      query.set(decodedName, decodedValue);
    }
  }
  return { path, query };
}
