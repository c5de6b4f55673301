// Helpers for the fetch network's unit tests: a local HTTP server on 127.0.0.1 (random port)
// with routes for each case, a guest connection (FakeStream) to the fetch outbound driven by
// Node's own fetch(), and a loop that acknowledges what the "guest" received until a condition holds.
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { createFetchOutbound } from "../../src/backends/net/fetch/fetch-outbound.js";
import type { OutboundTarget } from "../../src/backends/net/outbound.js";
import { FakeStream, type FakeStreamOptions } from "./fake-stream.js";

/** Deterministic bytes (a cheap generator), `length` of them from `offset`. */
export function pattern(offset: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = ((offset + i) * 2654435761) >>> 24;
  return out;
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export interface TestServer {
  server: Server;
  port: number;
  base: string;
  /** Requests seen (method and path), in order. */
  seen: string[];
  /** Responses whose connection closed before they finished (aborted by the client). */
  abortedResponses: number;
  close(): Promise<void>;
}

type Route = (req: IncomingMessage, res: ServerResponse, server: TestServer) => void;

const ROUTES: Record<string, Route> = {
  "/hello": (req, res) => {
    res.setHeader("x-test", "yes");
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ method: req.method, headers: req.headers }));
  },
  "/upload": (req, res) => {
    const hash = createHash("sha256");
    let length = 0;
    req.on("data", (d: Buffer) => (hash.update(d), (length += d.length)));
    req.on("end", () => res.end(`${length} ${hash.digest("hex")} ${req.headers["content-type"] ?? ""}`));
  },
  "/chunked": (_req, res) => {
    res.setHeader("content-type", "text/plain");
    res.write("first,");
    setTimeout(() => res.write("second,"), 5);
    setTimeout(() => res.end("third"), 10);
  },
  "/gzip": (_req, res) => {
    const body = gzipSync(Buffer.from("hello compressed world\n".repeat(100)));
    res.writeHead(200, { "content-encoding": "gzip", "content-length": body.length, "content-type": "text/plain" });
    res.end(body);
  },
  "/big": (req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const total = Number(url.searchParams.get("n"));
    if (url.searchParams.has("length")) res.setHeader("content-length", total);
    let sent = 0;
    const more = (): void => {
      while (sent < total) {
        const piece = pattern(sent, Math.min(256 * 1024, total - sent));
        sent += piece.length;
        if (!res.write(piece)) return void res.once("drain", more);
      }
      res.end();
    };
    more();
  },
  "/stall": (_req, res) => {
    res.writeHead(200, { "content-type": "application/octet-stream" });
    res.write(pattern(0, 200 * 1024)); // then nothing more, until the client goes away
  },
};

export async function startServer(): Promise<TestServer> {
  const server = createServer();
  const t: TestServer = {
    server,
    port: 0,
    base: "",
    seen: [],
    abortedResponses: 0,
    close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    t.seen.push(`${req.method} ${path}`);
    res.on("close", () => {
      if (!res.writableFinished) t.abortedResponses++;
    });
    const route = ROUTES[path];
    if (route) route(req, res, t);
    else res.writeHead(404).end("no such path\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.port = (server.address() as AddressInfo).port;
  t.base = `http://127.0.0.1:${t.port}`;
  return t;
}

/** A port nobody listens on (a server was there a moment ago). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A guest connection to `target` (port 80 unless said), carried by Node's fetch(). */
export function guest(target: Partial<OutboundTarget> = {}, options: FakeStreamOptions & { fetch?: typeof fetch } = {}) {
  const logs: string[] = [];
  const outbound = createFetchOutbound({ fetch: options.fetch ?? globalThis.fetch, log: (m) => void logs.push(m), origin: "http://page.test" });
  const stream = FakeStream.open((c) => outbound({ ip: "198.18.0.7", port: 80, ...target }, c), options);
  return { stream, logs };
}

/** Acknowledges everything the guest received, every few ms, until `done()` or the timeout. */
export async function ackUntil(stream: FakeStream, done: () => boolean, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!done()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out; the guest has ${stream.written} bytes: ${peek(stream)}`);
    if (stream.bufferedAmount > 0) stream.ack();
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  if (stream.bufferedAmount > 0) stream.ack();
}

function peek(stream: FakeStream): string {
  try {
    return JSON.stringify(stream.text().slice(0, 300));
  } catch {
    return "(not recorded)";
  }
}

export interface ParsedResponse {
  status: number;
  headers: Map<string, string>;
  body: Buffer;
}

/** Every response in what the guest received, framed by content-length, chunked coding or the end. */
export function parseResponses(bytes: Uint8Array): ParsedResponse[] {
  let rest = Buffer.from(bytes);
  const out: ParsedResponse[] = [];
  while (rest.length > 0) {
    const end = rest.indexOf("\r\n\r\n");
    if (end < 0) throw new Error(`incomplete head: ${JSON.stringify(rest.toString("latin1").slice(0, 200))}`);
    const [statusLine, ...lines] = rest.subarray(0, end).toString("latin1").split("\r\n");
    const match = /^HTTP\/1\.1 (\d{3}) [A-Za-z -]+$/.exec(statusLine!);
    if (!match) throw new Error(`bad status line ${statusLine}`);
    const headers = new Map(lines.map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()] as const));
    rest = rest.subarray(end + 4);
    const status = Number(match[1]);
    if (status === 100) continue;
    let body: Buffer;
    if (headers.has("content-length")) {
      const n = Number(headers.get("content-length"));
      if (rest.length < n) throw new Error(`body incomplete: ${rest.length} of ${n} bytes`);
      body = rest.subarray(0, n);
      rest = rest.subarray(n);
    } else if (headers.get("transfer-encoding") === "chunked") {
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = rest.indexOf("\r\n");
        const size = parseInt(rest.subarray(0, lineEnd).toString("latin1"), 16);
        rest = rest.subarray(lineEnd + 2);
        if (size === 0) {
          rest = rest.subarray(2);
          break;
        }
        parts.push(rest.subarray(0, size));
        if (rest.subarray(size, size + 2).toString("latin1") !== "\r\n") throw new Error("chunk without CRLF");
        rest = rest.subarray(size + 2);
      }
      body = Buffer.concat(parts);
    } else {
      body = rest;
      rest = Buffer.alloc(0);
    }
    out.push({ status, headers, body });
  }
  return out;
}
