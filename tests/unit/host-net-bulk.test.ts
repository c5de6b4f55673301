// How much a connection may hold: a large HTTP body (a bulk sender) may fill what the
// guest's window asks for, up to SEND_BUFFER_BYTES_BULK, so a download keeps the window
// full; any other service, and any guest with a small window, stays at the usual share.
import { describe, expect, it } from "vitest";
import { createHostNetwork } from "../../src/backends/net/host/host-network.js";
import { SEND_BUFFER_BYTES_BULK, SEND_BUFFER_BYTES_PER_CONNECTION } from "../../src/backends/net/host/send-budget.js";
import { fillBlob } from "../../src/backends/net/services/blob.js";
import { CHARGEN_PORT, createStandardServices, HTTP_PORT } from "../../src/backends/net/services/standard-services.js";
import { ACK, drain, FIN, PSH, TcpPeer } from "../support/tcp-peer.js";

const MiB = 1024 * 1024;
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A client that asks for something and then reads nothing: what does the host hold for it? */
function heldFor(port: number, window: number, request?: string): number {
  const net = createHostNetwork({ services: createStandardServices(), initialSequence: () => 1 });
  net.tick(1);
  const peer = new TcpPeer(net, { port, mss: 1460, wscale: 7, window });
  peer.connect();
  if (request) peer.send(PSH | ACK, ascii(request));
  for (let t = 2; t < 50; t++) {
    net.tick(t);
    drain(net);
  }
  return net.stats().connections[0]!.bufferedAmount;
}

describe("the send buffer of a bulk sender", () => {
  const blob = "GET /blob?bytes=67108864&seed=5 HTTP/1.1\r\n\r\n";

  it("grows to the guest's window for a large HTTP body, never past the bulk cap", () => {
    expect(heldFor(HTTP_PORT, 768 * 1024, blob)).toBe(768 * 1024);
    expect(heldFor(HTTP_PORT, 4 * MiB, blob)).toBe(SEND_BUFFER_BYTES_BULK);
  });

  it("stays at the usual share for a small window, and for a service that does not ask for bulk", () => {
    expect(heldFor(HTTP_PORT, 128 * 1024, blob)).toBe(SEND_BUFFER_BYTES_PER_CONNECTION);
    expect(heldFor(CHARGEN_PORT, 4 * MiB)).toBe(SEND_BUFFER_BYTES_PER_CONNECTION);
  });

  it("delivers a 3 MiB blob intact to a reader with a 2 MiB window", () => {
    const net = createHostNetwork({ services: createStandardServices(), initialSequence: () => 1 });
    net.tick(1);
    const reader = new TcpPeer(net, { port: HTTP_PORT, mss: 1460, wscale: 7, window: 2 * MiB });
    reader.connect();
    reader.send(PSH | ACK, ascii("GET /blob?bytes=3145728&seed=6 HTTP/1.1\r\n\r\n"));
    let most = 0;
    for (let t = 2; t < 20_000 && !reader.finReceived; t++) {
      if (reader.receive().some((s) => s.payload.length > 0 || (s.flags & FIN) !== 0)) reader.ack();
      most = Math.max(most, net.stats().connections[0]?.bufferedAmount ?? 0);
      net.tick(t);
    }
    const reply = Buffer.from(reader.received());
    const body = reply.subarray(reply.indexOf("\r\n\r\n") + 4);
    const expected = new Uint8Array(3 * MiB);
    fillBlob(6, 0, expected);
    expect(Buffer.compare(body, expected)).toBe(0);
    expect(most).toBeGreaterThan(SEND_BUFFER_BYTES_PER_CONNECTION);
    expect(most).toBeLessThanOrEqual(SEND_BUFFER_BYTES_BULK);
  });
});
