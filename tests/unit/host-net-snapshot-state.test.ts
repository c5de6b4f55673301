// The host network's saved state as data: the router's own state (learned MAC, DHCP answers,
// queued replies, counters) survives; a state that is damaged, from another version or from a
// network built otherwise is refused with an Error naming the field, and leaves the network
// as it was; a connection whose service cannot save itself makes saving fail.
import { describe, expect, it } from "vitest";
import { HostNetwork, type HostNetworkOptions } from "../../src/backends/net/host/host-network.js";
import type { HostNetworkState } from "../../src/backends/net/host/host-network-state.js";
import { createStandardServices } from "../../src/backends/net/services/standard-services.js";
import type { StreamConnection } from "../../src/backends/net/stream-service.js";
import { ACK, BROADCAST_MAC, drain, GUEST_IP, GUEST_MAC, parseUdpFrame, PSH, ROUTER_IP, TcpPeer, udpFrame } from "../support/tcp-peer.js";
import { SnapshotHost, stateFromFile, stateToFile } from "../support/snapshot-host.js";

const options = (): HostNetworkOptions => ({ services: createStandardServices(), initialSequence: () => 9000 });
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A DHCP client message of `type` (1 DISCOVER, 3 REQUEST) with udhcpc's essentials. */
function dhcp(type: number, ciaddr = 0, requested?: number): Uint8Array {
  const m = new Uint8Array(300);
  const v = new DataView(m.buffer);
  m.set([1, 1, 6, 0], 0);
  v.setUint32(4, 0x1234abcd);
  v.setUint32(12, ciaddr);
  m.set(GUEST_MAC, 28);
  v.setUint32(236, 0x63825363);
  const ipOption = requested === undefined ? [] : [50, 4, requested >>> 24, (requested >>> 16) & 255, (requested >>> 8) & 255, requested & 255];
  m.set([53, 1, type, ...ipOption, 255], 240);
  return m;
}

/** The yiaddr and message type of a DHCP reply frame. */
function dhcpReply(bytes: Uint8Array): { yiaddr: number; type: number | undefined } {
  const m = parseUdpFrame(bytes).data;
  return { yiaddr: new DataView(m.buffer, m.byteOffset).getUint32(16), type: m[242] };
}

function arpRequest(): Uint8Array {
  const arp = new Uint8Array(42);
  arp.set(BROADCAST_MAC, 0);
  arp.set(GUEST_MAC, 6);
  arp.set([0x08, 0x06, 0, 1, 0x08, 0x00, 6, 4, 0, 1], 12);
  arp.set(GUEST_MAC, 22);
  arp.set([10, 0, 2, 15], 28);
  arp.set([10, 0, 2, 2], 38);
  return arp;
}

describe("the router's own state", () => {
  it("keeps the DHCP lease, the learned guest MAC, a queued ARP reply and the counters", () => {
    const host = new SnapshotHost(options, 500);
    host.receiveFromGuest({ bytes: udpFrame({ srcPort: 68, dstPort: 67, payload: dhcp(1), src: 0, dst: 0xffffffff, dstMac: BROADCAST_MAC }) });
    host.receiveFromGuest({ bytes: udpFrame({ srcPort: 68, dstPort: 67, payload: dhcp(3, 0, GUEST_IP), src: 0, dst: 0xffffffff, dstMac: BROADCAST_MAC }) });
    expect(drain(host).map((f) => dhcpReply(f.bytes))).toEqual([
      { yiaddr: GUEST_IP, type: 2 },
      { yiaddr: GUEST_IP, type: 5 },
    ]);
    host.receiveFromGuest({ bytes: arpRequest() }); // its reply waits in the queue
    host.setGuestCapabilities({ checksumOffload: true, tso4: false, maxFrameBytes: 1514 });
    const before = host.net.stats();
    host.snapshot(17);
    expect(host.net.stats()).toEqual(before);
    expect(before.guestMac).toBe("52:54:00:12:34:56");
    expect(before.queuedFrames).toBe(1);
    const [arpReply] = drain(host);
    expect(Array.from(arpReply!.bytes.subarray(0, 6))).toEqual(Array.from(GUEST_MAC));
    expect(arpReply!.bytes[21]).toBe(2); // an ARP reply
    // The renewal, unicast from the leased address: the same lease again.
    host.receiveFromGuest({ bytes: udpFrame({ srcPort: 68, dstPort: 67, payload: dhcp(3, GUEST_IP), src: GUEST_IP, dst: ROUTER_IP }) });
    expect(drain(host).map((f) => dhcpReply(f.bytes))).toEqual([{ yiaddr: GUEST_IP, type: 5 }]);
    expect(host.net.stats().dhcpAcks).toBe(2);
    expect(host.net.stats().arpReplies).toBe(1);
  });
});

/** A state with a download mid-stream (connection 0) and an upload mid-body (connection 1). */
function goodState(): HostNetworkState {
  const net = new HostNetwork(options());
  net.tick(100);
  const download = new TcpPeer(net, { port: 80, localPort: 40000 });
  download.connect();
  download.send(PSH | ACK, ascii("GET /blob?bytes=2000000 HTTP/1.1\r\n\r\n"));
  const upload = new TcpPeer(net, { port: 80, localPort: 40001 });
  upload.connect();
  upload.send(PSH | ACK, ascii("POST /upload HTTP/1.1\r\nContent-Length: 5000\r\n\r\n"));
  upload.send(ACK, new Uint8Array(1000).fill(7));
  net.tick(101);
  download.receive(); // the upload's ACK is pulled (and dropped) too
  return net.saveState();
}

type Mutable = { [key: string]: unknown };
const at = (value: unknown, ...path: (string | number)[]): Mutable => path.reduce<Mutable>((v, k) => v[k] as Mutable, value as Mutable);

const DAMAGE: [string, (s: HostNetworkState) => void, RegExp][] = [
  ["another version", (s) => void (at(s).version = 2), /host network state: version must be 1, the only version this build reads \(got 2\)/],
  ["no TCP part", (s) => void delete at(s).tcp, /tcp must be an object \(got nothing\)/],
  ["a negative sequence number", (s) => void (at(s, "tcp", "connections", 0, "sender").sndUna = -1), /tcp\.connections\[0\]\.sender\.sndUna must be an integer from 0 to 4294967295 \(got -1\)/],
  ["fewer unacknowledged bytes than were sent", (s) => void (at(s, "tcp", "connections", 0, "sender").unacknowledged = new Uint8Array(10)), /tcp\.connections\[0\]\.sender\.sndMax must be at most \d+, the end of the data/],
  ["bytes as a plain array", (s) => void (at(s, "tcp", "connections", 0, "sender").unacknowledged = [1, 2, 3]), /sender\.unacknowledged must be a Uint8Array/],
  ["a missing counter", (s) => void delete at(s, "counters", "tcp").segmentsIn, /counters\.tcp\.segmentsIn must be an integer from 0 to \d+ \(got nothing\)/],
  ["another service's state", (s) => void (at(s, "tcp", "connections", 0, "service").service = "echo"), /tcp\.connections\[0\]\.service\.service must be one of "http" \(got "echo"\)/],
  ["a blob read past its end", (s) => void (at(s, "tcp", "connections", 0, "service", "outgoing").offset = 2_000_001), /service\.outgoing\.offset must be an integer from 0 to 2000000/],
  ["a hash whose tail disagrees with its length", (s) => void (at(s, "tcp", "connections", 1, "service", "body", "sink", "hash").partial = new Uint8Array(5)), /connections\[1\]\.service\.body\.sink\.hash\.partial must be length % 64 = \d+ bytes/],
  ["a ready index out of range", (s) => void (at(s, "tcp").ready = [2]), /tcp\.ready\[0\] must be an integer from 0 to 1 \(got 2\)/],
  ["a network with other addresses", (s) => void (at(s, "addresses").guestIp = "10.0.2.99"), /addresses\.guestIp must be 10\.0\.2\.15, this network's/],
  ["a port nobody listens on", (s) => void (at(s, "tcp", "connections", 1).localPort = 81), /connections\[1\]\.localPort must be a port a service listens on/],
  ["a bad MAC", (s) => void (at(s, "tcp", "connections", 0, "peer").mac = "52:54:00:12:34"), /connections\[0\]\.peer\.mac must be a MAC address/],
  ["a closed connection", (s) => void (at(s, "tcp", "connections", 0).state = "CLOSED"), /connections\[0\]\.state must be one of "SYN_RECEIVED", /],
  ["the same connection twice", (s) => void (at(s, "tcp").connections = [at(s, "tcp", "connections", 0), at(s, "tcp", "connections", 0)]), /connections\[1\]\.peer must be a guest address and port no other connection/],
  ["a timer that is not a number", (s) => void (at(s, "tcp", "connections", 0, "timers").retransmitInMs = "soon"), /timers\.retransmitInMs must be a number from/],
  ["a last-heard time that is not a number", (s) => void (at(s, "tcp", "connections", 1).lastHeardInMs = "long ago"), /connections\[1\]\.lastHeardInMs must be a number from/],
  ["a newer counter that is there but no count", (s) => void (at(s, "counters", "tcp").idleTimeouts = -1), /counters\.tcp\.idleTimeouts must be an integer from 0/],
  ["not an object at all", (s) => void Object.keys(s).forEach((k) => delete at(s)[k]), /host network state: version must be an integer/],
];

describe("restoring a damaged state", () => {
  const good = goodState();

  it.each(DAMAGE)("refuses %s, naming the field, and changes nothing", (_name, damage, message) => {
    const bad = structuredClone(good);
    damage(bad);
    const net = new HostNetwork(options());
    const pristine = new HostNetwork(options()).stats();
    expect(() => net.restoreState(bad, 0)).toThrow(message);
    expect(net.stats()).toEqual(pristine);
    net.restoreState(structuredClone(good), 0); // nothing was half-restored: the good state still goes in
    expect(net.stats().connections).toHaveLength(2);
  });

  it("refuses something that is not a state object", () => {
    expect(() => new HostNetwork(options()).restoreState(null as unknown as HostNetworkState, 0)).toThrow("host network state: the state must be an object (got null)");
  });

  it("round-trips the good state through a file unchanged", () => {
    expect(stateToFile(stateFromFile(stateToFile(good)))).toBe(stateToFile(good));
  });

  it("refuses to restore into a network that already has connections", () => {
    const net = new HostNetwork(options());
    net.restoreState(structuredClone(good), 0);
    expect(() => net.restoreState(structuredClone(good), 0)).toThrow("restoreState needs a network with no TCP connections");
  });
});

describe("states saved before the flood limits existed", () => {
  it("restore, with the newer counters at 0 and the guest counted as heard from at the moment of the restore", () => {
    const old = structuredClone(goodState());
    for (const connection of at(old, "tcp").connections as Mutable[]) delete connection.lastHeardInMs;
    delete at(old, "counters").guestResets;
    delete at(old, "counters", "dropped")["tcp-receive-paused"];
    for (const name of ["halfOpenShed", "connectionsEvicted", "idleTimeouts", "challengeAcks", "challengeAcksLimited"]) delete at(old, "counters", "tcp")[name];
    const net = new HostNetwork(options());
    net.restoreState(old, 50_000);
    const stats = net.stats();
    expect(stats.connections.map((c) => c.state)).toEqual(["ESTABLISHED", "ESTABLISHED"]);
    expect(stats.tcp.idleTimeouts).toBe(0);
    expect(stats.guestResets).toBe(0);
    expect(stats.tcp.segmentsIn).toBe(at(old, "counters", "tcp").segmentsIn);
    expect(net.saveState().tcp.connections.map((c) => c.lastHeardInMs)).toEqual([0, 0]);
  });
});

describe("the idle timeout across a restore", () => {
  it("counts the guest's silence from before the save: a connection idle 4 minutes is reset one minute after the restore", () => {
    const host = new SnapshotHost(options, 1000);
    const peer = new TcpPeer(host, { port: 80, localPort: 40000 });
    peer.connect();
    host.tick(4 * 60_000);
    drain(host);
    host.snapshot(123_456_789);
    expect(host.net.stats().connections[0]?.idleMs).toBe(4 * 60_000);
    host.tick(60_000 - 1);
    expect(peer.receive()).toEqual([]);
    host.tick(1);
    expect(peer.receive().map((s) => s.flags)).toEqual([ACK | 0x04]);
    expect(host.net.stats().tcp.idleTimeouts).toBe(1);
  });
});

describe("services that cannot be saved", () => {
  const plain = (c: StreamConnection) => ({ onData: (b: Uint8Array) => c.write(b.slice()), onEnd: () => c.end() });

  it("saving fails loudly while such a service has an open connection, and works once it is gone", () => {
    const net = new HostNetwork({ initialSequence: () => 1 });
    net.listen(5000, plain);
    const peer = new TcpPeer(net, { port: 5000 });
    peer.connect();
    expect(() => net.saveState()).toThrow("cannot save the connection from 10.0.2.15:40000 to port 5000: its service's handler has no saveState()");
    peer.send(ACK | 0x04); // RST
    expect(net.saveState().tcp.connections).toEqual([]);
  });

  it("a handler that saves but whose service cannot restore is refused at restore", () => {
    const make = (): HostNetwork => {
      const net = new HostNetwork({ initialSequence: () => 1 });
      net.listen(5000, (c) => ({ ...plain(c), saveState: () => ({ service: "mine" }) }));
      return net;
    };
    const net = make();
    new TcpPeer(net, { port: 5000 }).connect();
    const state = net.saveState();
    expect(() => make().restoreState(state, 0)).toThrow(/connections\[0\]\.service must be null: port 5000's service cannot restore connections/);
  });
});
