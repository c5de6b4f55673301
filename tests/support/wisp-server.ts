// A real wisp server (@mercuryworkshop/wisp-js, the maintained one on npm) and a local HTTP
// server, both on 127.0.0.1, for the wisp dialer's tests. The wisp server may reach loopback
// (off by default) and resolves FILES_HOST to 127.0.0.1 itself, as it would a real name.
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import { logging, server as wisp } from "@mercuryworkshop/wisp-js/server";
import { WebSocket } from "ws";
import { WISP_MAX_MESSAGE_BYTES } from "../../src/backends/net/wisp/limits.js";
import { nodeWsTransport, WISP_SUBPROTOCOL, type WispTransport } from "../../src/backends/net/wisp/transport.js";

/** The name the wisp server resolves to 127.0.0.1 (and nothing else). */
export const FILES_HOST = "files.test";

logging.set_level(logging.NONE);
wisp.options.allow_loopback_ips = true;
wisp.options.allow_private_ips = true;
wisp.options.dns_method = async (hostname) => {
  if (hostname === FILES_HOST) return "127.0.0.1";
  throw new Error(`${hostname} does not resolve here`);
};

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
}

export interface LocalWispServer {
  readonly port: number;
  readonly url: string;
  /** Goes away at once: every WebSocket is cut and the port closed. */
  kill(): Promise<void>;
  /** Listens again on the same port. */
  restart(): Promise<void>;
}

export async function startWispServer(port = 0): Promise<LocalWispServer> {
  let sockets = new Set<Duplex>();
  let server: Server;
  const start = async (at: number): Promise<number> => {
    server = createServer((_request, response) => response.end("wisp server\n"));
    server.on("upgrade", (request, socket, head) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      wisp.routeRequest(request, socket, head);
    });
    return listen(server, at);
  };
  const bound = await start(port);
  return {
    port: bound,
    url: `ws://127.0.0.1:${bound}/`,
    kill: async () => {
      for (const socket of sockets) socket.destroy();
      sockets = new Set();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    restart: async () => void (await start(bound)),
  };
}

/** Opens a wisp transport with Node's ws, as the CLI does: v2 asked for unless `v1`. */
export function openWsTransport(url: string, v1 = false): WispTransport {
  const socket = v1
    ? new WebSocket(url, { maxPayload: WISP_MAX_MESSAGE_BYTES })
    : new WebSocket(url, [WISP_SUBPROTOCOL], { maxPayload: WISP_MAX_MESSAGE_BYTES });
  return nodeWsTransport(socket);
}

/** Body of GET /bytes/N: N bytes in 1 MiB blocks of one random block, each stamped with its index. */
const BLOCK = Buffer.from(createHash("sha512").update("wisp").digest().toString("hex").repeat(8192));
export function* patternBlocks(total: number): Generator<Buffer> {
  for (let at = 0, index = 0; at < total; at += BLOCK.length, index++) {
    const block = Buffer.from(BLOCK.subarray(0, Math.min(BLOCK.length, total - at)));
    for (let i = 0; i < Math.min(4, block.length); i++) block[i] = (index >>> (8 * i)) & 0xff;
    yield block;
  }
}
export function patternSha256(total: number): string {
  const hash = createHash("sha256");
  for (const block of patternBlocks(total)) hash.update(block);
  return hash.digest("hex");
}

export interface FileServer {
  readonly port: number;
  close(): Promise<void>;
}

export interface FileServerOptions {
  /** Called after each block of a GET /bytes/N response is written, with the bytes written so far. */
  onBlock?(path: string, sent: number): void;
}

/**
 * GET /bytes/N sends the pattern and keeps the connection open until the client closes it;
 * POST /upload answers with the body's sha256 in hex and closes.
 *
 * Why downloads linger: wisp-js 0.5.0's server throws away what it still holds for the
 * client when the destination closes first (its AsyncQueue.close() empties the queue), and
 * then never closes the stream. With a guest slower than loopback it holds megabytes, so a
 * server that closed right after the body would cut the download and hang the client.
 */
export async function startFileServer(options: FileServerOptions = {}): Promise<FileServer> {
  const connections = new Set<Socket>();
  const server = createServer((request, response) => {
    const bytes = /^\/bytes\/(\d+)$/.exec(request.url ?? "");
    if (request.method === "GET" && bytes) {
      const total = Number(bytes[1]);
      response.shouldKeepAlive = true;
      response.writeHead(200, { "Content-Length": total, "Content-Type": "application/octet-stream", Connection: "keep-alive" });
      const blocks = patternBlocks(total);
      let sent = 0;
      const more = (): void => {
        for (let next = blocks.next(); !next.done; next = blocks.next()) {
          const room = response.write(next.value);
          sent += next.value.length;
          options.onBlock?.(request.url ?? "", sent);
          if (response.destroyed) return;
          if (!room) return void response.once("drain", more);
        }
        response.end();
      };
      return more();
    }
    if (request.method === "POST" && request.url === "/upload") {
      const hash = createHash("sha256");
      request.on("data", (chunk: Buffer) => hash.update(chunk));
      request.on("end", () => response.end(hash.digest("hex")));
      return;
    }
    response.writeHead(404).end("not found\n");
  });
  server.keepAliveTimeout = 0; // the client closes (see above)
  server.on("connection", (socket) => {
    connections.add(socket);
    socket.on("close", () => connections.delete(socket));
  });
  const port = await listen(server, 0);
  return {
    port,
    close: () => new Promise<void>((resolve) => {
      for (const socket of connections) socket.destroy();
      server.close(() => resolve());
    }),
  };
}
