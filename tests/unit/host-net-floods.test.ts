// The host TCP under floods from a hostile guest: SYN floods shed the oldest half-open
// connection, a table full of established connections gives way to a new one by evicting
// the idlest, and the idle timeout frees connections the guest went silent on. Time only
// moves when a test calls tick().
import { describe, expect, it } from "vitest";
import { createHostNetwork, type HostNetwork, type HostNetworkOptions } from "../../src/backends/net/host/host-network.js";
import { EVICT_MIN_IDLE_MS, IDLE_TIMEOUT_MS, MAX_CONNECTIONS, MAX_HALF_OPEN, MAX_SYNACK_RETRIES } from "../../src/backends/net/host/tcp-config.js";
import { fillBlob } from "../../src/backends/net/services/blob.js";
import { createStandardServices, DISCARD_PORT, HTTP_PORT } from "../../src/backends/net/services/standard-services.js";
import { ACK, drain, FIN, parseTcpFrame, PSH, RST, SYN, TcpPeer, tcpFrame, type TcpView } from "../support/tcp-peer.js";

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

function network(options: HostNetworkOptions = {}): HostNetwork {
  const net = createHostNetwork({ services: createStandardServices(), initialSequence: () => 7000, ...options });
  net.tick(1);
  return net;
}

/** Every TCP segment the network has for the guest now. */
const segments = (net: HostNetwork): TcpView[] => drain(net).map(parseTcpFrame);

/** `count` distinct "random" source ports, deterministic (never 40000, the real client's). */
function randomPorts(count: number, seed: number): number[] {
  const seen = new Set<number>([40000]);
  let x = seed;
  while (seen.size <= count) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    seen.add(1024 + ((x >>> 8) % 64000));
  }
  seen.delete(40000);
  return [...seen];
}

/** Drains the network once and hands each segment to the peer it is for (TcpPeer.receive would drop the others'). */
function deliver(net: HostNetwork, peers: TcpPeer[]): Map<TcpPeer, TcpView[]> {
  const got = new Map<TcpPeer, TcpView[]>(peers.map((p) => [p, []]));
  for (const s of segments(net)) {
    const peer = peers.find((p) => p.localPort === s.dstPort);
    if (peer === undefined) continue;
    peer.take(s);
    got.get(peer)!.push(s);
  }
  return got;
}

/** A SYN as a flooding tool sends it: random source port and sequence number, never followed up. */
function synFrom(net: HostNetwork, port: number, dstPort = HTTP_PORT): void {
  net.receiveFromGuest(tcpFrame({ srcPort: port, dstPort, seq: Math.imul(port, 2654435761) >>> 0, ack: 0, flags: SYN, window: 64240, mss: 1460 }));
}

/** Drives a client's download to the end from `now`: pull, ACK what came, 1 ms; fails if it takes too long. */
function finish(net: HostNetwork, peer: TcpPeer, now: number): void {
  for (let round = 1; round < 20_000 && !peer.finReceived; round++) {
    if (peer.receive().some((s) => s.payload.length > 0 || (s.flags & FIN) !== 0)) peer.ack();
    net.tick(now + round);
  }
  expect(peer.finReceived).toBe(true);
}

/** GET /blob on an established connection, at `now`; checks status and every byte. */
function download(net: HostNetwork, peer: TcpPeer, bytes: number, seed: number, now: number): void {
  peer.send(PSH | ACK, ascii(`GET /blob?bytes=${bytes}&seed=${seed} HTTP/1.1\r\nHost: 10.0.2.2\r\n\r\n`));
  finish(net, peer, now);
  const reply = Buffer.from(peer.received());
  const end = reply.indexOf("\r\n\r\n");
  expect(reply.subarray(0, end).toString("latin1")).toMatch(/^HTTP\/1\.1 200 OK/);
  const expected = new Uint8Array(bytes);
  fillBlob(seed, 0, expected);
  expect(Buffer.compare(reply.subarray(end + 4), expected)).toBe(0);
}

describe("SYN flood", () => {
  it("after 3,000 SYNs from random ports, holds at most 128 half-open connections and accepts a real client at once", () => {
    const net = network();
    randomPorts(3000, 1).forEach((port, i) => {
      synFrom(net, port);
      if (i % 100 === 0) drain(net); // the guest's NIC takes the SYN-ACKs as they come
    });
    drain(net);
    const stats = net.stats();
    expect(stats.halfOpenConnections).toBe(MAX_HALF_OPEN);
    expect(stats.connections.length).toBe(MAX_HALF_OPEN);
    expect(stats.tcp.halfOpenShed).toBe(3000 - MAX_HALF_OPEN);
    expect(stats.dropped["tcp-connection-limit"]).toBe(0);

    const client = new TcpPeer(net, { port: HTTP_PORT, mss: 1460, wscale: 7, window: 1 << 20 });
    const synAck = client.connect(); // throws if the answer were not a SYN-ACK
    expect(synAck.flags).toBe(SYN | ACK);
    expect(net.stats().connections.find((c) => c.peer.endsWith(":40000"))?.state).toBe("ESTABLISHED");
    download(net, client, 300_000, 5, 1);
    expect(client.resetReceived).toBe(false);
  });

  it("sheds the oldest half-open connection first, silently", () => {
    const net = network();
    for (let port = 1000; port < 1000 + MAX_HALF_OPEN; port++) synFrom(net, port);
    drain(net);
    synFrom(net, 5000);
    const out = segments(net);
    expect(out.map((s) => [s.dstPort, s.flags])).toEqual([[5000, SYN | ACK]]); // no RST for the shed one
    const peers = net.stats().connections.map((c) => Number(c.peer.split(":")[1]));
    expect(peers).not.toContain(1000);
    expect(peers).toContain(1001);
    expect(peers).toContain(5000);
    // The shed client's ACK finds no connection: it gets a RST, as after any lost state.
    net.receiveFromGuest(tcpFrame({ srcPort: 1000, dstPort: HTTP_PORT, seq: (Math.imul(1000, 2654435761) + 1) >>> 0, ack: 7001, flags: ACK, window: 64240 }));
    expect(segments(net).map((s) => [s.dstPort, s.flags & RST])).toEqual([[1000, RST]]);
  });

  it("gives up a half-open connection after 5 SYN-ACK resends (about a minute)", () => {
    const net = network();
    synFrom(net, 1234);
    let synAcks = segments(net).length;
    for (let t = 2; t < 200_000 && net.stats().connections.length > 0; t += 50) {
      net.tick(t);
      synAcks += segments(net).filter((s) => s.flags === (SYN | ACK)).length;
    }
    expect(net.stats().connections).toEqual([]);
    expect(synAcks).toBe(1 + MAX_SYNACK_RETRIES);
  });
});

describe("a full connection table", () => {
  /** MAX_CONNECTIONS established connections to discard, all opened at the network's time 1. */
  function fill(net: HostNetwork): TcpPeer[] {
    const peers: TcpPeer[] = [];
    for (let i = 0; i < MAX_CONNECTIONS; i++) {
      const peer = new TcpPeer(net, { port: DISCARD_PORT, localPort: 10_000 + i, mss: 1460 });
      peer.connect();
      peers.push(peer);
    }
    drain(net);
    expect(net.stats().connections.filter((c) => c.state === "ESTABLISHED")).toHaveLength(MAX_CONNECTIONS);
    return peers;
  }

  it("refuses a SYN while no connection has been idle a second, then evicts the idlest one with a RST", () => {
    const net = network();
    const peers = fill(net);
    net.tick(500);
    peers[0]!.send(PSH | ACK, ascii("still here")); // the first is no longer among the idlest
    drain(net);
    const late = new TcpPeer(net, { port: HTTP_PORT, localPort: 50_000, mss: 1460 });
    late.send(SYN, undefined, { mss: 1460 });
    expect(late.receive().map((s) => s.flags)).toEqual([RST | ACK]);
    expect(net.stats().dropped["tcp-connection-limit"]).toBe(1);

    net.tick(1 + EVICT_MIN_IDLE_MS); // the others are idle 1 s now; the second is the oldest of them
    const client = new TcpPeer(net, { port: HTTP_PORT, localPort: 50_001, mss: 1460 });
    client.send(SYN, undefined, { mss: 1460 });
    const out = segments(net);
    expect(out.find((s) => s.dstPort === 10_001)?.flags).toBe(RST | ACK);
    const synAck = out.find((s) => s.dstPort === 50_001);
    expect(synAck?.flags).toBe(SYN | ACK);
    client.take(synAck!);
    client.send(ACK);
    expect(net.stats().tcp.connectionsEvicted).toBe(1);
    expect(net.stats().connections).toHaveLength(MAX_CONNECTIONS);
    download(net, client, 50_000, 9, 1 + EVICT_MIN_IDLE_MS);
  });

  it("after 1,024 idle connections, a new client is accepted within seconds of the stack's clock", () => {
    const net = network();
    fill(net);
    let acceptedAt: number | undefined;
    let refused = 0;
    for (let t = 1; t < 10_000 && acceptedAt === undefined; t += 100) {
      net.tick(t);
      drain(net);
      const client = new TcpPeer(net, { port: HTTP_PORT, localPort: 50_000 + t, mss: 1460 });
      client.send(SYN, undefined, { mss: 1460 });
      const answer = client.receive();
      if (answer.some((s) => s.flags === (SYN | ACK))) acceptedAt = t;
      else if (answer.some((s) => (s.flags & RST) !== 0)) refused++;
    }
    expect(acceptedAt).toBe(1 + EVICT_MIN_IDLE_MS); // the first moment one has been idle that long
    expect(refused).toBe(EVICT_MIN_IDLE_MS / 100);
  });
});

describe("the idle timeout", () => {
  it("resets a connection the guest went silent on, and one that only answers zero-window probes, but not a busy one", () => {
    const IDLE = 10_000;
    const net = network({ idleTimeoutMs: IDLE });
    const silent = new TcpPeer(net, { port: DISCARD_PORT, localPort: 41_000, mss: 1460 });
    const busy = new TcpPeer(net, { port: DISCARD_PORT, localPort: 41_001, mss: 1460 });
    const stalled = new TcpPeer(net, { port: 19, localPort: 41_002, mss: 1460, window: 0 }); // chargen into a zero window
    for (const peer of [silent, busy, stalled]) peer.connect();
    drain(net);
    for (let t = 2; t <= IDLE + 2000; t += 250) {
      net.tick(t);
      busy.send(PSH | ACK, ascii("x"));
      // The stalled guest answers every probe with "window zero", and reads nothing.
      const got = deliver(net, [silent, busy, stalled]);
      if (got.get(stalled)!.some((s) => s.payload.length === 0 && (s.flags & RST) === 0)) stalled.ack();
    }
    expect(silent.resetReceived).toBe(true);
    expect(stalled.resetReceived).toBe(true);
    expect(busy.resetReceived).toBe(false);
    expect(net.stats().tcp.windowProbes).toBeGreaterThan(0); // the stalled guest was probed
    expect(net.stats().tcp.idleTimeouts).toBe(2);
    expect(net.stats().connections.map((c) => c.peer)).toEqual(["10.0.2.15:41001"]);
  });

  it("is five minutes by default", () => {
    const net = network();
    const peer = new TcpPeer(net, { port: DISCARD_PORT, mss: 1460 });
    peer.connect(); // last heard at 1
    net.tick(IDLE_TIMEOUT_MS);
    expect(peer.receive()).toEqual([]);
    net.tick(1 + IDLE_TIMEOUT_MS);
    expect(peer.receive().map((s) => s.flags)).toEqual([RST | ACK]);
    expect(net.stats().connections).toEqual([]);
  });
});
