// User-mode networking's sockets, driven by a test-side guest through a real host network
// and real loopback sockets: a name the guest looked up is dialed by name, a download is
// held back while the guest does not read (the host holds at most its per-connection cap
// and the socket is paused, so the far end's own buffer fills instead) and arrives whole
// once it does, and what the guest sends arrives at the far end.
import { createHash, randomBytes } from "node:crypto";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createHostNetwork, type HostNetwork } from "../../src/backends/net/host/host-network.js";
import { STREAM_HIGH_WATER_BYTES } from "../../src/backends/net/stream-service.js";
import { createSocketDialer } from "../../src/node/user-net/socket-dialer.js";
import { drain, ip, parseUdpFrame, TcpPeer, udpFrame } from "../support/tcp-peer.js";

const servers: net.Server[] = [];
afterEach(() => servers.splice(0).forEach((s) => s.close()));

async function serve(onSocket: (socket: net.Socket) => void): Promise<number> {
  const server = net.createServer(onSocket);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

function userNetwork(logs: string[] = []): HostNetwork {
  const host = createHostNetwork({
    services: new Map(),
    outbound: { tcp: createSocketDialer({ routerIp: "10.0.2.2", log: (m) => logs.push(m) }), namePool: true, routerIsHost: true },
  });
  host.tick(1);
  return host;
}

function lookUp(host: HostNetwork, name: string): number {
  const q = [0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...name.split(".").flatMap((l) => [l.length, ...Array.from(l, (c) => c.charCodeAt(0))]), 0, 0, 1, 0, 1];
  host.receiveFromGuest({ bytes: udpFrame({ srcPort: 40000, dstPort: 53, payload: new Uint8Array(q) }) });
  const reply = parseUdpFrame(drain(host)[0]!.bytes).data;
  return ip(Array.from(reply.subarray(reply.length - 4)).join("."));
}

const turn = (ms = 5): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe("user-mode sockets", () => {
  it("dials a looked-up name by name, holds a download back while the guest does not read, then delivers it whole", async () => {
    const body = randomBytes(32 * 1024 * 1024);
    let serverSocket: net.Socket | undefined;
    const port = await serve((socket) => {
      serverSocket = socket;
      socket.end(body);
    });
    const host = userNetwork();
    const address = lookUp(host, "localhost");
    const guest = new TcpPeer(host, { port, dst: address, window: 64 * 1024, wscale: 0 });
    guest.connect();
    // The guest neither reads nor acknowledges: the host keeps at most its cap for it.
    for (let i = 0; i < 60; i++) await turn();
    expect(host.stats().sendBufferedBytes).toBeLessThanOrEqual(STREAM_HIGH_WATER_BYTES);
    expect(host.stats().sendBufferedBytes).toBeGreaterThan(0);
    // The rest waits on the far side (beyond what the kernel's socket buffers take).
    expect(serverSocket!.writableLength).toBeGreaterThan(16 * 1024 * 1024);
    // Now it reads, acknowledging as it goes (bounded: the loop stops by itself).
    for (let i = 0; i < 20_000 && !guest.finReceived; i++) {
      guest.receive();
      guest.ack();
      if (i % 8 === 7) await turn(1);
    }
    expect(guest.finReceived).toBe(true);
    expect(createHash("sha256").update(guest.received()).digest("hex")).toBe(createHash("sha256").update(body).digest("hex"));
  });

  it("carries what the guest sends to the far end, and resets the guest when the far end is not there", async () => {
    const received: Buffer[] = [];
    const port = await serve((socket) => socket.on("data", (d: Buffer) => received.push(d)));
    const logs: string[] = [];
    const host = userNetwork(logs);
    const guest = new TcpPeer(host, { port });
    guest.connect();
    for (let i = 0; i < 100 && host.stats().connections[0]?.readingPaused !== false; i++) await turn();
    guest.send(0x18, new TextEncoder().encode("hello, host"));
    for (let i = 0; i < 100 && Buffer.concat(received).length < 11; i++) await turn();
    expect(Buffer.concat(received).toString()).toBe("hello, host");

    const closed = await serve(() => undefined);
    servers.pop()!.close();
    const refused = new TcpPeer(host, { port: closed, localPort: 40002 });
    refused.connect();
    for (let i = 0; i < 100 && !refused.resetReceived; i++) {
      await turn();
      refused.receive();
    }
    expect(refused.resetReceived).toBe(true);
    expect(logs).toEqual([`user network: 127.0.0.1:${closed}: connect ECONNREFUSED 127.0.0.1:${closed}; the guest's connection is reset`]);
  });
});
