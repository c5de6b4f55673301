// Every standard service saved and restored in each state it can be in between events: HTTP
// reading its request head, computing a /blob-sha256 in deferred slices, after its response
// ended; chargen mid-pattern; discard; a connection still in its handshake; one in TIME_WAIT.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { HostNetworkOptions } from "../../src/backends/net/host/host-network.js";
import { chargenLine, CHARGEN_LINE_CHARS } from "../../src/backends/net/services/chargen.js";
import { fillBlob } from "../../src/backends/net/services/blob.js";
import type { DiscardStats } from "../../src/backends/net/services/discard.js";
import { createStandardServices } from "../../src/backends/net/services/standard-services.js";
import { ACK, FIN, PSH, SYN, TcpPeer } from "../support/tcp-peer.js";
import { SnapshotHost, stateFromFile } from "../support/snapshot-host.js";

const deferred: (() => void)[] = [];
const discardStats: DiscardStats = { connections: 0, bytes: 0 };

function options(): HostNetworkOptions {
  const services = createStandardServices({ http: { defer: (fn) => deferred.push(fn), hashSliceBytes: 64 * 1024 }, discardStats });
  return { services, initialSequence: () => 1 };
}

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

/** Pull and ACK until `done`, running deferred work and letting time pass. */
function converse(host: SnapshotHost, peer: TcpPeer, done: () => boolean): void {
  for (let round = 0; round < 20_000 && !done(); round++) {
    if (peer.receive().some((s) => s.payload.length > 0 || (s.flags & FIN) !== 0)) peer.ack();
    while (deferred.length > 0) deferred.shift()!();
    host.tick(1);
  }
  expect(done()).toBe(true);
}

function savedService(file: string, index = 0): Record<string, unknown> | null {
  return stateFromFile(file).tcp.connections[index]!.service;
}

describe("HTTP restored in each phase", () => {
  it("with half a request head received", () => {
    const host = new SnapshotHost(options);
    const peer = new TcpPeer(host, { port: 80 });
    peer.connect();
    peer.send(PSH | ACK, ascii("GET /blob?bytes=1000&seed=3 HT"));
    const file = host.snapshot(10);
    expect(savedService(file)).toMatchObject({ service: "http", phase: "head" });
    peer.send(PSH | ACK, ascii("TP/1.1\r\nHost: host\r\n\r\n"));
    converse(host, peer, () => peer.finReceived);
    const expected = new Uint8Array(1000);
    fillBlob(3, 0, expected);
    expect(Buffer.compare(peer.received().subarray(-1000), expected)).toBe(0);
    expect(text(peer.received())).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
  });

  it("while /blob-sha256 is hashing in slices: the restored network finishes the hash", () => {
    const host = new SnapshotHost(options);
    const peer = new TcpPeer(host, { port: 80 });
    peer.connect();
    const [bytes, seed] = [1_000_003, 0x5eed1234]; // a blob no other test hashes (digests are cached)
    peer.send(PSH | ACK, ascii(`GET /blob-sha256?bytes=${bytes}&seed=${seed} HTTP/1.1\r\n\r\n`));
    expect(deferred.length).toBe(1); // one slice done, the next one waiting
    deferred.shift()!(); // and one more: 128 KiB hashed
    deferred.length = 0; // the old process is gone, and its pending slice with it
    const file = host.snapshot(5_000);
    const digest = savedService(file)?.["digest"] as { hash: { length: number } };
    expect(digest.hash.length).toBe(2 * 64 * 1024);
    expect(deferred.length).toBe(1); // resume() restarted the work on the restored network
    converse(host, peer, () => peer.finReceived);
    const blob = new Uint8Array(bytes);
    fillBlob(seed, 0, blob);
    expect(text(peer.received())).toMatch(new RegExp(`\r\n\r\n${createHash("sha256").update(blob).digest("hex")}\n$`));
  });

  it("a HEAD request while hashing gets the head only, from the restored network", () => {
    const host = new SnapshotHost(options);
    const peer = new TcpPeer(host, { port: 80 });
    peer.connect();
    peer.send(PSH | ACK, ascii("HEAD /blob-sha256?bytes=700001&seed=77 HTTP/1.1\r\n\r\n"));
    expect(deferred.length).toBe(1);
    deferred.length = 0;
    const file = host.snapshot(1);
    expect(savedService(file)).toMatchObject({ phase: "busy", headOnly: true });
    converse(host, peer, () => peer.finReceived);
    expect(text(peer.received())).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*Content-Length: 65\r\n[^]*\r\n\r\n$/);
  });

  it("after its response ended, in TIME_WAIT: the restored network still answers a retransmitted FIN", () => {
    const host = new SnapshotHost(options);
    const peer = new TcpPeer(host, { port: 80 });
    peer.connect();
    peer.send(PSH | ACK, ascii("GET / HTTP/1.0\r\n\r\n"));
    converse(host, peer, () => peer.finReceived);
    peer.send(FIN | ACK);
    expect(host.net.stats().connections[0]!.state).toBe("TIME_WAIT");
    const file = host.snapshot(3);
    expect(savedService(file)).toBeNull(); // the service has heard onClose: nothing of it is left
    const finSeq = (peer.sndNxt - 1) >>> 0;
    peer.receive();
    peer.send(FIN | ACK, undefined, { seq: finSeq });
    expect(peer.receive().map((s) => s.ack)).toEqual([peer.sndNxt]);
    host.tick(2001); // TIME_WAIT ends on the restored clock
    expect(host.net.stats().connections).toEqual([]);
  });
});

describe("other services and states", () => {
  it("chargen goes on from the same character of the pattern", () => {
    const host = new SnapshotHost(options);
    const peer = new TcpPeer(host, { port: 19, wscale: 7, window: 1 << 20 });
    peer.connect();
    converse(host, peer, () => peer.receivedBytes > 300_000);
    peer.receive(); // unacknowledged data too
    const file = host.snapshot(60);
    const position = savedService(file)?.["position"];
    expect(typeof position === "number" && position > 0).toBe(true);
    converse(host, peer, () => peer.receivedBytes > 1_000_000);
    let expected = "";
    for (let n = 0; expected.length < peer.receivedBytes; n++) expected += `${chargenLine(n)}\r\n`;
    expect(CHARGEN_LINE_CHARS).toBe(72);
    expect(text(peer.received())).toBe(expected.slice(0, peer.receivedBytes));
  });

  it("discard keeps discarding, and a restore is not counted as a new connection", () => {
    const host = new SnapshotHost(options);
    const peer = new TcpPeer(host, { port: 9 });
    const before = { ...discardStats };
    peer.connect();
    peer.send(ACK, new Uint8Array(5000));
    host.snapshot(20);
    peer.send(ACK, new Uint8Array(3000));
    peer.send(FIN | ACK);
    converse(host, peer, () => peer.finReceived);
    expect(discardStats).toEqual({ connections: before.connections + 1, bytes: before.bytes + 8000 });
  });

  it("a connection saved in its handshake completes it on the restored network", () => {
    const host = new SnapshotHost(options);
    const peer = new TcpPeer(host, { port: 7 });
    peer.send(SYN, undefined, { mss: 1460 });
    const file = host.snapshot(0);
    expect(stateFromFile(file).tcp.connections[0]!.state).toBe("SYN_RECEIVED");
    const [synAck] = peer.receive(); // built by the restored network, on demand
    expect(synAck!.flags).toBe(SYN | ACK);
    peer.send(ACK);
    peer.send(PSH | ACK, ascii("ping"));
    converse(host, peer, () => text(peer.received()) === "ping");
  });

  it("a network with several connections restores all of them, each to its own service", () => {
    const host = new SnapshotHost(options);
    const echo = new TcpPeer(host, { port: 7, localPort: 40001 });
    const http = new TcpPeer(host, { port: 80, localPort: 40002 });
    echo.connect();
    http.connect();
    echo.send(PSH | ACK, ascii("abc"));
    const file = host.snapshot(99);
    expect(stateFromFile(file).tcp.connections.map((c) => c.service?.service)).toEqual(["echo", "http"]);
    echo.send(PSH | ACK, ascii("def"));
    http.send(PSH | ACK, ascii("GET /nowhere HTTP/1.0\r\n\r\n"));
    converse(host, echo, () => text(echo.received()) === "abcdef");
    converse(host, http, () => http.finReceived);
    expect(text(http.received())).toMatch(/^HTTP\/1\.1 404 /);
  });
});
