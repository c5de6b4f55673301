// What the host keeps for a guest that does not read: the send budget's caps (per connection
// and over all connections, with a reserve each connection always has), 1,000 clients that
// ask for a huge /blob or chargen and never read, measured with the stack's own accounting
// and process.memoryUsage(), and the receive side: a service that pauses reading closes the
// guest's window instead of keeping what it sends.
import { runInNewContext } from "node:vm";
import { setFlagsFromString } from "node:v8";
import { describe, expect, it } from "vitest";
import { createHostNetwork } from "../../src/backends/net/host/host-network.js";
import {
  SEND_BUFFER_BYTES_PER_CONNECTION, SEND_BUFFER_BYTES_TOTAL, SEND_BUFFER_RESERVED_BYTES, SendBudget,
} from "../../src/backends/net/host/send-budget.js";
import { fillBlob } from "../../src/backends/net/services/blob.js";
import { CHARGEN_PORT, createStandardServices, ECHO_PORT, HTTP_PORT } from "../../src/backends/net/services/standard-services.js";
import { ACK, drain, FIN, PSH, TcpPeer } from "../support/tcp-peer.js";

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const MiB = 1024 * 1024;

/** A forced full collection (the flag is set at run time when node was not started with --expose-gc). */
function collectGarbage(): void {
  if (typeof globalThis.gc === "function") return void globalThis.gc();
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
}

function memory(): { arrayBuffers: number; heapUsed: number } {
  collectGarbage();
  collectGarbage();
  const { arrayBuffers, heapUsed } = process.memoryUsage();
  return { arrayBuffers, heapUsed };
}

describe("the send budget", () => {
  const limits = { perConnection: 1000, total: 10_000, reserved: 100, maxConnections: 20 }; // shares 8,000

  it("gives one connection its own cap, and never more than the total over all", () => {
    const budget = new SendBudget(limits);
    expect(budget.room(0)).toBe(1000);
    const held: number[] = [];
    for (let i = 0; i < limits.maxConnections; i++) {
      const take = budget.room(0);
      budget.resized(0, take);
      held.push(take);
    }
    expect(budget.bufferedBytes).toBe(held.reduce((a, b) => a + b, 0));
    expect(budget.bufferedBytes).toBeLessThanOrEqual(limits.total);
    // The first eight took their whole cap, the shared part is gone, the others got their reserve.
    // (Each of those borrowed 900 of the shared 8,000; the ninth got its 100 and the last 800.)
    expect(held.slice(0, 8)).toEqual(new Array<number>(8).fill(1000));
    expect(held[8]).toBe(900);
    expect(held.slice(9)).toEqual(new Array<number>(11).fill(100));
    expect(budget.bufferedBytes).toBe(limits.total);
    expect(budget.room(100)).toBe(0);
    // Acknowledged bytes come back to everyone.
    budget.resized(1000, 400);
    expect(budget.room(100)).toBe(600);
    expect(budget.room(0)).toBe(700);
  });

  it("keeps every connection's reserve whatever the others hold, under random traffic", () => {
    const budget = new SendBudget(limits);
    const held = new Array<number>(limits.maxConnections).fill(0);
    let x = 12345;
    const random = (n: number): number => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 8) % n;
    for (let step = 0; step < 20_000; step++) {
      const i = random(held.length);
      const before = held[i]!;
      const after = random(3) === 0 ? before - random(before + 1) : before + random(budget.room(before) + 1);
      budget.resized(before, after);
      held[i] = after;
      expect(budget.bufferedBytes).toBeLessThanOrEqual(limits.total);
      expect(budget.room(0)).toBeGreaterThanOrEqual(limits.reserved);
      expect(after).toBeLessThanOrEqual(limits.perConnection);
    }
  });
});

describe("1,000 clients that never read", () => {
  it("hold no more than the total cap, however much the services have to send, and a reading client still gets its data", () => {
    const before = memory();
    const net = createHostNetwork({ services: createStandardServices(), initialSequence: () => 1 });
    net.tick(1);
    for (let i = 0; i < 1000; i++) {
      // Half ask for a 4 GiB-1 blob, half for chargen; each reads nothing: after the handshake
      // its window is zero, as a socket's whose owner never calls recv() ends up.
      const blob = i % 2 === 0;
      const peer = new TcpPeer(net, { port: blob ? HTTP_PORT : CHARGEN_PORT, localPort: 20_000 + i, mss: 1460, wscale: 7, window: 0 });
      peer.connect();
      if (blob) peer.send(PSH | ACK, ascii("GET /blob?bytes=4294967295&seed=3 HTTP/1.1\r\nHost: 10.0.2.2\r\n\r\n"));
    }
    for (let t = 2; t < 3000; t += 100) {
      net.tick(t); // zero-window probes go out (and find nobody answering)
      drain(net);
    }
    const stats = net.stats();
    const after = memory();
    const perConnection = stats.connections.map((c) => c.bufferedAmount);
    expect(stats.connections).toHaveLength(1000);
    expect(Math.max(...perConnection)).toBeLessThanOrEqual(SEND_BUFFER_BYTES_PER_CONNECTION);
    expect(Math.min(...perConnection)).toBeGreaterThanOrEqual(SEND_BUFFER_RESERVED_BYTES); // everyone got something
    expect(perConnection.reduce((a, b) => a + b, 0)).toBe(stats.sendBufferedBytes); // the accounting is true
    expect(stats.sendBufferedBytes).toBeLessThanOrEqual(SEND_BUFFER_BYTES_TOTAL);
    expect(stats.sendBufferedBytes).toBeGreaterThan(SEND_BUFFER_BYTES_TOTAL - MiB); // and services did fill it
    const grownArrayBuffers = after.arrayBuffers - before.arrayBuffers;
    const grownHeap = after.heapUsed - before.heapUsed;
    console.log(
      `1,000 non-reading clients: ${(stats.sendBufferedBytes / MiB).toFixed(1)} MiB buffered by the stack's accounting; ` +
        `process arrayBuffers +${(grownArrayBuffers / MiB).toFixed(1)} MiB, heap +${(grownHeap / MiB).toFixed(1)} MiB after GC`,
    );
    // Blob chunks are real memory; chargen's are views of one shared pattern. Either way the
    // buffers stay within the cap (and a little for response heads and parsers).
    expect(grownArrayBuffers).toBeLessThan(SEND_BUFFER_BYTES_TOTAL + 4 * MiB);

    // A client that reads is not starved: its reserve moves its download along.
    const reader = new TcpPeer(net, { port: HTTP_PORT, localPort: 40_000, mss: 1460, wscale: 7, window: 1 * MiB });
    reader.connect();
    reader.send(PSH | ACK, ascii("GET /blob?bytes=300000&seed=4 HTTP/1.1\r\n\r\n"));
    for (let t = 3000; t < 20_000 && !reader.finReceived; t++) {
      if (reader.receive().some((s) => s.payload.length > 0 || (s.flags & FIN) !== 0)) reader.ack();
      net.tick(t);
    }
    const reply = Buffer.from(reader.received());
    const body = reply.subarray(reply.indexOf("\r\n\r\n") + 4);
    const expected = new Uint8Array(300_000);
    fillBlob(4, 0, expected);
    expect(Buffer.compare(body, expected)).toBe(0);
    expect(net.stats().sendBufferedBytes).toBeLessThanOrEqual(SEND_BUFFER_BYTES_TOTAL);
  });
});

describe("the receive side", () => {
  it("a service that pauses reading (echo) closes the guest's window instead of keeping its data, and opens it again", () => {
    const net = createHostNetwork({ services: createStandardServices(), initialSequence: () => 1 });
    net.tick(1);
    const peer = new TcpPeer(net, { port: ECHO_PORT, mss: 1460, wscale: 7, window: 4 * MiB });
    peer.connect();
    const sent = new Uint8Array(2 * MiB).map((_, i) => (i * 13 + (i >> 11)) & 0xff);
    let at = 0;
    /** Sends new data in 16 KiB segments, as far as the host's window allows (as a guest's TCP does). */
    const sendWithinWindow = (): void => {
      const rightEdge = (peer.hostAck ?? 0) + peer.hostWindow;
      while (at < sent.length && ((rightEdge - peer.sndNxt) | 0) >= 16 * 1024) {
        peer.send(ACK, sent.subarray(at, at + 16 * 1024));
        at += 16 * 1024;
      }
    };
    // The guest sends and reads nothing: the echo fills its connection, then its queue, then
    // pauses; the host says "window zero" and drops what was already on its way (the guest keeps it).
    for (let round = 0; round < 100 && net.stats().connections[0]?.readingPaused !== true; round++) {
      sendWithinWindow();
      peer.receive();
    }
    const paused = net.stats();
    expect(paused.connections[0]?.readingPaused).toBe(true);
    expect(paused.dropped["tcp-receive-paused"]).toBeGreaterThan(0);
    expect(paused.tcp.bytesIn).toBeLessThan(SEND_BUFFER_BYTES_PER_CONNECTION + 128 * 1024 + 16 * 1024);
    expect(peer.receive().at(-1)?.window ?? peer.hostWindow).toBe(0);
    expect(peer.hostWindow).toBe(0);
    // Now the guest reads (ACKs the echo), and sends again what was refused once the window opens.
    for (let t = 2, round = 0; t < 100_000 && peer.receivedBytes < sent.length; t++, round++) {
      if (peer.receive().some((s) => s.payload.length > 0)) peer.ack();
      if (round % 10 === 0 && peer.hostWindow > 0) {
        peer.resend();
        sendWithinWindow();
      }
      net.tick(t);
    }
    expect(peer.unacknowledgedBytes).toBe(0);
    expect(Buffer.compare(peer.received(), sent)).toBe(0);
    expect(net.stats().connections[0]?.readingPaused).toBe(false);
  });
});
