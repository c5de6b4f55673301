// A WebSocket relay in v86's format for tests (one Ethernet frame per binary message),
// with its own HostNetwork behind it, standing in for a relay to a real network: the
// guest behind ?net=relay must find DHCP, DNS and HTTP on the far side. Just enough of
// RFC 6455 for Chromium: the upgrade handshake, masked client frames, unmasked binary
// server frames, close and ping.
import { createServer, type Server } from "node:http";
import type { Socket } from "node:net";
import { createHash } from "node:crypto";
import { HostNetwork } from "../../src/backends/net/host/host-network.js";
import { createStandardServices } from "../../src/backends/net/services/standard-services.js";

const WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

export interface RelayServer {
  url: string;
  host: HostNetwork;
  close(): Promise<void>;
}

function frame(opcode: number, payload: Uint8Array): Buffer {
  const n = payload.length;
  const head = n < 126 ? Buffer.from([0x80 | opcode, n]) : n < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  if (n >= 126) {
    head[0] = 0x80 | opcode;
    if (n < 65536) {
      head[1] = 126;
      head.writeUInt16BE(n, 2);
    } else {
      head[1] = 127;
      head.writeBigUInt64BE(BigInt(n), 2);
    }
  }
  return Buffer.concat([head, payload]);
}

/** Splits the client's byte stream into messages; returns the bytes not yet complete. */
function readFrames(buffer: Buffer, onFrame: (opcode: number, payload: Buffer) => void): Buffer {
  let at = 0;
  for (;;) {
    if (buffer.length - at < 2) break;
    const opcode = buffer[at]! & 0x0f;
    const masked = (buffer[at + 1]! & 0x80) !== 0;
    let length = buffer[at + 1]! & 0x7f;
    let offset = at + 2;
    if (length === 126) {
      if (buffer.length - offset < 2) break;
      length = buffer.readUInt16BE(offset);
      offset += 2;
    } else if (length === 127) {
      if (buffer.length - offset < 8) break;
      length = Number(buffer.readBigUInt64BE(offset));
      offset += 8;
    }
    const maskBytes = masked ? 4 : 0;
    if (buffer.length - offset < maskBytes + length) break;
    const mask = buffer.subarray(offset, offset + maskBytes);
    const payload = Buffer.from(buffer.subarray(offset + maskBytes, offset + maskBytes + length));
    if (masked) for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i & 3]!;
    onFrame(opcode, payload);
    at = offset + maskBytes + length;
  }
  return buffer.subarray(at);
}

export async function startRelay(): Promise<RelayServer> {
  const host = new HostNetwork({ services: createStandardServices() });
  const sockets = new Set<Socket>();
  const timer = setInterval(() => host.tick(performance.now()), 1);
  let client: Socket | undefined;
  host.onGuestFramesReady(() => {
    for (let f = host.nextForGuest(); f; f = host.nextForGuest()) client?.write(frame(2, f.bytes));
  });
  const server: Server = createServer((_req, res) => res.writeHead(426).end("WebSocket only"));
  server.on("upgrade", (req, socket: Socket) => {
    sockets.add(socket);
    const key = req.headers["sec-websocket-key"];
    if (typeof key !== "string") {
      socket.destroy();
      return;
    }
    const accept = createHash("sha1").update(key + WS_GUID).digest("base64");
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    client = socket;
    // A relay to a real network: plain frames with real checksums both ways.
    host.setGuestCapabilities({ checksumOffload: false, tso4: false, maxFrameBytes: 1514 });
    let pending: Buffer = Buffer.alloc(0);
    socket.on("data", (data: Buffer) => {
      pending = readFrames(Buffer.concat([pending, data]), (opcode, payload) => {
        if (opcode === 2) host.receiveFromGuest({ bytes: new Uint8Array(payload) });
        else if (opcode === 8) socket.end(frame(8, new Uint8Array(0)));
        else if (opcode === 9) socket.write(frame(10, payload));
      });
    });
    socket.on("close", () => {
      sockets.delete(socket);
      if (client === socket) client = undefined;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("relay has no port");
  return {
    url: `ws://127.0.0.1:${address.port}/`,
    host,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(timer);
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
