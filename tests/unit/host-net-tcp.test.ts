// The host TCP, driven by a test-side guest (tests/support/tcp-peer.ts): handshake and
// options, data both ways, flow control, loss recovery, both close orders, resets, and
// segmentation offload. Time only moves when a test calls tick().
import { describe, expect, it } from "vitest";
import type { StreamConnection, StreamHandler, StreamService } from "../../src/backends/net/stream-service.js";
import { STREAM_HIGH_WATER_BYTES } from "../../src/backends/net/stream-service.js";
import { createHostNetwork, type HostNetwork, type HostNetworkOptions } from "../../src/backends/net/host/host-network.js";
import { ACK, drain, FIN, parseTcpFrame, PSH, RST, SYN, TcpPeer, tcpFrame, type TcpView } from "../support/tcp-peer.js";

const PORT = 80;
const ISS = 5000;

interface Recorder {
  service: StreamService;
  connections: StreamConnection[];
  data: Uint8Array[];
  ended: number;
  closed: number;
  received(): string;
}

function recorder(extra: (connection: StreamConnection) => Partial<StreamHandler> = () => ({})): Recorder {
  const r: Recorder = {
    connections: [],
    data: [],
    ended: 0,
    closed: 0,
    received: () => r.data.map((d) => new TextDecoder().decode(d)).join(""),
    service: (connection) => {
      r.connections.push(connection);
      return {
        onData: (bytes) => r.data.push(bytes.slice()),
        onEnd: () => r.ended++,
        onClose: () => r.closed++,
        ...extra(connection),
      };
    },
  };
  return r;
}

function setup(options: HostNetworkOptions = {}, extra?: (c: StreamConnection) => Partial<StreamHandler>): { net: HostNetwork; rec: Recorder } {
  const rec = recorder(extra);
  const net = createHostNetwork({ initialSequence: () => ISS, ...options });
  net.listen(PORT, rec.service);
  net.tick(1); // the clock starts
  return { net, rec };
}

/** Byte equality without vitest's element-by-element diff (far too slow for megabytes). */
function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length);
  expect(Buffer.compare(actual, expected)).toBe(0);
}

function pattern(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** Receives and ACKs until the stack has nothing more to send. */
function pump(peer: TcpPeer, rounds = 10_000, drop: (s: TcpView) => boolean = () => false): void {
  for (let i = 0; i < rounds; i++) {
    const segments = peer.receive(drop);
    if (segments.length === 0) return;
    if (segments.some((s) => s.payload.length > 0 || (s.flags & FIN) !== 0)) peer.ack();
  }
}

function connection(net: HostNetwork): ReturnType<HostNetwork["stats"]>["connections"][number] {
  const [c] = net.stats().connections;
  if (c === undefined) throw new Error("no connection");
  return c;
}

describe("TCP handshake", () => {
  it("answers SYN with SYN-ACK carrying MSS and window scale, then hands the connection to the service", () => {
    const { net, rec } = setup();
    const peer = new TcpPeer(net, { port: PORT, mss: 1400, wscale: 7 });
    peer.send(SYN, undefined, { mss: 1400, wscale: 7, window: 64240 });
    const [synAck, ...more] = peer.receive();
    expect(more).toEqual([]);
    expect(synAck!.flags).toBe(SYN | ACK);
    expect(synAck!.seq).toBe(ISS);
    expect(synAck!.ack).toBe(1001);
    expect(synAck!.mss).toBe(1460);
    expect(synAck!.wscale).toBe(5);
    expect(synAck!.checksumsOk).toBe(true);
    expect(rec.connections).toHaveLength(0); // not before the handshake completes
    peer.send(ACK);
    expect(rec.connections).toHaveLength(1);
    expect(connection(net).state).toBe("ESTABLISHED");
    expect(net.stats().tcp.connectionsAccepted).toBe(1);
  });

  it("sends no window scale option to a guest that offered none, and does not scale its window", () => {
    const { net, rec } = setup();
    const peer = new TcpPeer(net, { port: PORT, window: 20_000 });
    const synAck = peer.connect();
    expect(synAck.wscale).toBeUndefined();
    rec.connections[0]!.write(pattern(100_000));
    const segments = peer.receive();
    const sent = segments.reduce((n, s) => n + s.payload.length, 0);
    expect(sent).toBeLessThanOrEqual(20_000);
    expect(sent).toBeGreaterThan(10_000);
  });

  it("resends the SYN-ACK when its timer expires and when the SYN is repeated", () => {
    const { net } = setup();
    const peer = new TcpPeer(net, { port: PORT });
    peer.send(SYN, undefined, { mss: 1460 });
    expect(peer.receive()).toHaveLength(1);
    net.tick(500);
    expect(peer.receive()).toHaveLength(0);
    net.tick(1002);
    expect(peer.receive().map((s) => s.flags)).toEqual([SYN | ACK]);
    peer.send(SYN, undefined, { mss: 1460, seq: 1000 });
    expect(peer.receive().map((s) => s.flags)).toEqual([SYN | ACK]);
  });

  it("answers a SYN to a closed port with RST+ACK, and a stray ACK with RST", () => {
    const { net } = setup();
    const peer = new TcpPeer(net, { port: 81 });
    peer.send(SYN, undefined, { mss: 1460 });
    const [rst] = peer.receive();
    expect(rst!.flags).toBe(RST | ACK);
    expect(rst!.ack).toBe(1001);
    expect(rst!.checksumsOk).toBe(true);
    peer.send(ACK, undefined, { ack: 777 });
    const [rst2] = peer.receive();
    expect(rst2!.flags).toBe(RST);
    expect(rst2!.seq).toBe(777);
    peer.send(RST);
    expect(peer.receive()).toEqual([]); // never a RST for a RST
    expect(net.stats().tcp.resetsSent).toBe(2);
  });
});

describe("TCP data", () => {
  it("delivers guest data in order and ACKs it (delayed until a tick for a small segment)", () => {
    const { net, rec } = setup();
    const peer = new TcpPeer(net, { port: PORT });
    peer.connect();
    peer.send(PSH | ACK, new TextEncoder().encode("GET / HTTP/1.0\r\n\r\n"));
    expect(rec.received()).toBe("GET / HTTP/1.0\r\n\r\n");
    expect(peer.receive()).toEqual([]); // delayed
    net.tick(2);
    const [ack] = peer.receive();
    expect(ack!.ack).toBe(peer.sndNxt);
    expect(ack!.payload.length).toBe(0);
  });

  it("ACKs at once after two full segments, and accepts a guest TSO segment with a partial checksum", () => {
    const { net, rec } = setup();
    const peer = new TcpPeer(net, { port: PORT, partialChecksums: true });
    peer.connect();
    peer.send(ACK, pattern(1460, 1));
    peer.send(ACK, pattern(1460, 2));
    expect(peer.receive().map((s) => s.ack)).toEqual([peer.sndNxt]);
    const big = pattern(40_000, 3);
    peer.send(PSH | ACK, big);
    expectSameBytes(rec.data.at(-1)!, big);
    expect(net.stats().tcp.bytesIn).toBe(2920 + 40_000);
  });

  it("stretches ACKs once the connection is past its quick-ACK start: at 64 KiB, or 4 ms after the first unacknowledged byte", () => {
    const { net } = setup();
    const peer = new TcpPeer(net, { port: PORT, partialChecksums: true });
    peer.connect();
    // The quick-ACK start: 256 KiB in 16 KiB segments, every one ACKed at once.
    for (let i = 0; i < 16; i++) {
      peer.send(ACK, pattern(16 * 1024, i));
      expect(peer.receive().map((s) => s.ack)).toEqual([peer.sndNxt]);
    }
    // Past it: 16 KiB segments wait, until 64 KiB are unacknowledged.
    for (let i = 0; i < 3; i++) {
      peer.send(ACK, pattern(16 * 1024, 100 + i));
      expect(peer.receive()).toEqual([]);
    }
    peer.send(ACK, pattern(16 * 1024, 200));
    expect(peer.receive().map((s) => s.ack)).toEqual([peer.sndNxt]);
    // A lone segment is ACKed by the delayed-ACK deadline, not at the next tick.
    net.tick(100);
    peer.send(ACK, pattern(1000, 300));
    net.tick(101);
    net.tick(103);
    expect(peer.receive()).toEqual([]);
    net.tick(104);
    expect(peer.receive().map((s) => s.ack)).toEqual([peer.sndNxt]);
  });

  it("drops out-of-order data and re-ACKs the expected sequence number", () => {
    const { net, rec } = setup();
    const peer = new TcpPeer(net, { port: PORT });
    peer.connect();
    const expected = peer.sndNxt;
    peer.send(ACK, pattern(100), { seq: expected + 100 });
    expect(rec.data).toEqual([]);
    const [dup] = peer.receive();
    expect(dup!.ack).toBe(expected);
    expect(net.stats().dropped["tcp-out-of-order"]).toBe(1);
    // A retransmission that overlaps what was already delivered gives only the new part.
    peer.send(ACK, new TextEncoder().encode("abc"));
    peer.send(ACK, new TextEncoder().encode("bcdef"), { seq: expected + 1 });
    expect(rec.received()).toBe("abcdef");
  });

  it("drops a segment with a bad checksum when the guest did not offload it", () => {
    const { net, rec } = setup();
    const peer = new TcpPeer(net, { port: PORT });
    peer.connect();
    net.receiveFromGuest(tcpFrame({ srcPort: peer.localPort, dstPort: PORT, seq: peer.sndNxt, ack: peer.rcvNxt, flags: ACK, window: 1000, payload: pattern(10), corruptChecksum: true }));
    expect(rec.data).toEqual([]);
    expect(net.stats().dropped["bad-checksum"]).toBe(1);
  });

  it("sends service data in MSS-sized segments with valid checksums, respecting the guest's MSS", () => {
    const { net, rec } = setup();
    const peer = new TcpPeer(net, { port: PORT, mss: 536, window: 1 << 20, wscale: 6 });
    peer.connect();
    const data = pattern(50_000);
    rec.connections[0]!.write(data);
    pump(peer);
    expectSameBytes(peer.received(), data);
    const dataSegments = peer.seen.filter((s) => s.payload.length > 0);
    expect(Math.max(...dataSegments.map((s) => s.payload.length))).toBe(536);
    expect(dataSegments.every((s) => s.checksumsOk && s.offload === undefined)).toBe(true);
    expect(rec.connections[0]!.bufferedAmount).toBe(0);
  });

  it("keeps bulk data intact across sequence-number wrap-around on both sides", () => {
    const { net, rec } = setup({ initialSequence: () => 0xffffe000 });
    const peer = new TcpPeer(net, { port: PORT, iss: 0xfffff000, window: 1 << 20, wscale: 7 });
    peer.connect();
    const down = pattern(300_000, 5);
    rec.connections[0]!.write(down);
    pump(peer);
    expectSameBytes(peer.received(), down);
    for (let i = 0; i < 5; i++) peer.send(ACK, pattern(1460, 10 + i));
    expect(rec.data.length).toBe(5);
    expect(rec.data[4]).toEqual(pattern(1460, 14));
  });
});

describe("TCP flow control", () => {
  it("sends nothing into a zero window, probes it after a timeout, and sends once the window opens", () => {
    const { net, rec } = setup();
    const peer = new TcpPeer(net, { port: PORT, wscale: 2 });
    peer.connect();
    peer.window = 0;
    peer.ack();
    rec.connections[0]!.write(pattern(30_000));
    expect(peer.receive()).toEqual([]);
    net.tick(1200); // past the initial 1 s timeout: a window probe, no data
    const [probe] = peer.receive();
    expect(probe!.payload.length).toBe(0);
    expect(probe!.seq).toBe((ISS + 1 - 1) >>> 0); // an already acknowledged number
    expect(net.stats().tcp.windowProbes).toBe(1);
    peer.window = 4 * 2000; // a scaled window: field 2000, shift 2
    peer.ack();
    const segments = peer.receive();
    // Five full segments; the 700-byte runt waits for their ACK (silly window avoidance).
    expect(segments.map((s) => s.payload.length)).toEqual([1460, 1460, 1460, 1460, 1460]);
    peer.window = 1 << 20;
    peer.ack();
    pump(peer);
    expect(peer.receivedBytes).toBe(30_000);
  });

  it("keeps a producer's buffer under the high-water mark and asks for more as ACKs arrive", () => {
    const total = 3 * 1024 * 1024;
    let written = 0;
    let maxBuffered = 0;
    const produce = (c: StreamConnection): void => {
      while (written < total && c.bufferedAmount < STREAM_HIGH_WATER_BYTES) {
        const n = Math.min(64 * 1024, total - written, STREAM_HIGH_WATER_BYTES - c.bufferedAmount);
        c.write(pattern(n, written));
        written += n;
        maxBuffered = Math.max(maxBuffered, c.bufferedAmount);
      }
      if (written === total) c.end();
    };
    const { net } = setup({}, (c) => {
      queueMicrotask(() => produce(c));
      return { onWritable: () => produce(c) };
    });
    const peer = new TcpPeer(net, { port: PORT, window: 256 * 1024, wscale: 7 });
    peer.connect();
    return Promise.resolve().then(() => {
      pump(peer);
      expect(peer.receivedBytes).toBe(total);
      expect(peer.finReceived).toBe(true);
      expect(maxBuffered).toBeLessThanOrEqual(STREAM_HIGH_WATER_BYTES);
      expect(net.stats().queuedFrames).toBe(0);
    });
  });
});

describe("TCP loss recovery", () => {
  it("finds a lost tail with a probe after 2 SRTT (5 ms minimum) and resends it, long before the RTO", () => {
    const { net, rec } = setup();
    const peer = new TcpPeer(net, { port: PORT, window: 1 << 20, wscale: 7 });
    peer.connect();
    const data = pattern(8 * 1460);
    rec.connections[0]!.write(data);
    // A NIC ring that takes five frames and drops the rest: the tail, with no duplicate ACKs.
    let n = 0;
    expect(peer.receive(() => ++n > 5)).toHaveLength(5);
    peer.ack();
    expect(peer.receive()).toEqual([]);
    net.tick(5); // the handshake's RTT was 0 ms: PTO = 5 ms after the last ACK progress (t=1)
    expect(peer.receive()).toEqual([]);
    net.tick(6);
    const [probe, ...more] = peer.receive();
    expect(more).toEqual([]);
    expect(probe!.seq).toBe(ISS + 1 + 7 * 1460); // nothing new to send: the last segment again
    expect(net.stats().tcp.tailLossProbes).toBe(1);
    peer.ack(); // a duplicate ACK: the probe landed past a hole
    const resent = peer.receive();
    expect(resent[0]!.seq).toBe(ISS + 1 + 5 * 1460);
    expect(net.stats().tcp).toMatchObject({ tailLossRecoveries: 1, timeouts: 0 });
    peer.ack();
    pump(peer);
    expectSameBytes(peer.received(), data);
  });

  it("a probe answered by an ACK for everything costs one segment and no window cut", () => {
    const { net, rec } = setup();
    const peer = new TcpPeer(net, { port: PORT, window: 1 << 20, wscale: 7 });
    peer.connect();
    rec.connections[0]!.write(pattern(8 * 1460));
    expect(peer.receive()).toHaveLength(8); // all arrived, but the guest is slow to ACK
    const cwnd = connection(net).congestionWindow;
    net.tick(12);
    expect(peer.receive().map((s) => s.seq)).toEqual([ISS + 1 + 7 * 1460]);
    peer.ack();
    expect(connection(net).congestionWindow).toBeGreaterThanOrEqual(cwnd);
    expect(net.stats().tcp).toMatchObject({ tailLossProbes: 1, tailLossRecoveries: 0, timeouts: 0 });
    expect(peer.receive().filter((s) => s.payload.length > 0)).toEqual([]);
  });

  it("falls back to the retransmission timeout (200 ms minimum) with exponential backoff", () => {
    const { net, rec } = setup();
    const peer = new TcpPeer(net, { port: PORT, window: 1 << 20, wscale: 7 });
    peer.connect();
    const data = pattern(5 * 1460);
    rec.connections[0]!.write(data);
    const lost = ISS + 1 + 1460;
    expect(peer.receive((s) => s.seq === lost)).toHaveLength(4); // the second segment is dropped
    peer.ack(); // acknowledges the first segment only
    expect(connection(net).rtoMs).toBe(200);
    net.tick(12);
    expect(peer.receive()).toHaveLength(1); // the tail loss probe, whose answer is lost too
    net.tick(150);
    expect(peer.receive()).toEqual([]);
    net.tick(202); // RTO: 200 ms after the last ACK progress (t=1)
    expect(peer.receive((s) => s.seq === lost)).toHaveLength(0); // collapsed to one segment, lost again
    expect(net.stats().tcp.timeouts).toBe(1);
    net.tick(500); // the timeout doubled: not yet
    expect(peer.receive()).toEqual([]);
    net.tick(603);
    pump(peer);
    expectSameBytes(peer.received(), data);
    expect(net.stats().tcp.timeouts).toBe(2);
    expect(net.stats().tcp.retransmittedSegments).toBeGreaterThanOrEqual(3);
  });

  it("undoes the window cut of a timeout that the guest's ACK shows to be spurious", () => {
    const { net, rec } = setup();
    const peer = new TcpPeer(net, { port: PORT, window: 1 << 20, wscale: 7 });
    peer.connect();
    rec.connections[0]!.write(pattern(8 * 1460));
    expect(peer.receive()).toHaveLength(8); // all arrived; the guest says nothing for a while
    const cwnd = connection(net).congestionWindow;
    net.tick(12);
    peer.receive(); // the probe
    net.tick(202);
    const [resent] = peer.receive();
    expect(resent!.seq).toBe(ISS + 1);
    expect(connection(net).congestionWindow).toBe(1460);
    peer.ack(); // everything: more than was resent
    expect(net.stats().tcp.spuriousRetransmits).toBe(1);
    expect(connection(net).congestionWindow).toBeGreaterThanOrEqual(cwnd);
    expect(peer.receive().filter((s) => s.payload.length > 0)).toEqual([]); // nothing more resent
  });

  it("fast-retransmits one segment after three duplicate ACKs, without waiting for the timer", () => {
    const { net, rec } = setup();
    const peer = new TcpPeer(net, { port: PORT, window: 1 << 20, wscale: 7 });
    peer.connect();
    rec.connections[0]!.write(pattern(6 * 1460));
    const lost = ISS + 1 + 1460;
    expect(peer.receive((s) => s.seq === lost)).toHaveLength(5);
    peer.ack(); // new data acknowledged (the first segment)
    peer.ack();
    peer.ack();
    expect(peer.receive()).toEqual([]);
    peer.ack(); // third duplicate
    const [retransmit, ...rest] = peer.receive();
    expect(rest).toEqual([]);
    expect(retransmit!.seq).toBe(lost);
    expect(retransmit!.payload.length).toBe(1460);
    expect(net.stats().tcp.fastRetransmits).toBe(1);
    expect(net.stats().tcp.timeouts).toBe(0);
    peer.ack();
    pump(peer);
    expectSameBytes(peer.received(), pattern(6 * 1460));
  });

  it("recovers from a burst of drops (a full NIC ring) with NewReno and the timer", () => {
    const { net, rec } = setup();
    const peer = new TcpPeer(net, { port: PORT, window: 1 << 20, wscale: 7 });
    peer.connect();
    const data = pattern(400_000, 9);
    rec.connections[0]!.write(data);
    let n = 0;
    let now = 1;
    for (let round = 0; round < 2000 && peer.receivedBytes < data.length; round++) {
      const segments = peer.receive(() => ++n % 7 < 2); // drop 2 of every 7
      for (let i = 0; i < segments.length; i++) peer.ack();
      if (segments.length === 0) net.tick((now += 250));
    }
    expectSameBytes(peer.received(), data);
    expect(net.stats().tcp.fastRetransmits).toBeGreaterThan(0);
  });
});

describe("TCP close", () => {
  it("guest closes first: onEnd, ACK, then the service's FIN, LAST_ACK, closed", () => {
    const { net, rec } = setup();
    const peer = new TcpPeer(net, { port: PORT });
    peer.connect();
    peer.send(FIN | ACK);
    expect(rec.ended).toBe(1);
    const [ack] = peer.receive();
    expect(ack!.ack).toBe(peer.sndNxt);
    expect(connection(net).state).toBe("CLOSE_WAIT");
    rec.connections[0]!.write(new TextEncoder().encode("bye"));
    rec.connections[0]!.end();
    const segments = peer.receive();
    expect(new TextDecoder().decode(peer.received())).toBe("bye");
    expect(segments.at(-1)!.flags & FIN).toBe(FIN);
    expect(connection(net).state).toBe("LAST_ACK");
    peer.ack();
    expect(net.stats().connections).toEqual([]);
    expect(rec.closed).toBe(1);
    expect(net.stats().tcp.connectionsClosed).toBe(1);
  });

  it("host closes first: FIN_WAIT_2, the guest's FIN is ACKed, TIME_WAIT ends after a while", () => {
    const { net, rec } = setup();
    const peer = new TcpPeer(net, { port: PORT });
    peer.connect();
    rec.connections[0]!.write(new TextEncoder().encode("hello"));
    rec.connections[0]!.end();
    const [segment] = peer.receive();
    expect(segment!.flags & (FIN | PSH)).toBe(FIN | PSH); // data and FIN together
    peer.ack();
    expect(connection(net).state).toBe("FIN_WAIT_2");
    peer.send(FIN | ACK);
    expect(rec.ended).toBe(1);
    expect(rec.closed).toBe(1);
    expect(peer.receive()[0]!.ack).toBe(peer.sndNxt);
    expect(connection(net).state).toBe("TIME_WAIT");
    peer.send(FIN | ACK, undefined, { seq: peer.sndNxt - 1 }); // our ACK got lost: FIN again
    expect(peer.receive()[0]!.ack).toBe(peer.sndNxt);
    net.tick(3000);
    expect(net.stats().connections).toEqual([]);
    expect(rec.closed).toBe(1);
  });

  it("simultaneous close goes through CLOSING to TIME_WAIT", () => {
    const { net, rec } = setup();
    const peer = new TcpPeer(net, { port: PORT });
    peer.connect();
    rec.connections[0]!.end();
    const [fin] = peer.receive();
    expect(fin!.flags & FIN).toBe(FIN);
    peer.send(FIN | ACK, undefined, { ack: fin!.seq }); // crossed: does not acknowledge our FIN
    expect(connection(net).state).toBe("CLOSING");
    peer.receive();
    peer.ack();
    expect(connection(net).state).toBe("TIME_WAIT");
    expect(rec.closed).toBe(1);
  });

  it("retransmits a lost FIN", () => {
    const { net, rec } = setup();
    const peer = new TcpPeer(net, { port: PORT });
    peer.connect();
    rec.connections[0]!.end();
    expect(peer.receive(() => true)).toEqual([]);
    net.tick(1100);
    const [fin] = peer.receive();
    expect(fin!.flags & FIN).toBe(FIN);
    expect(net.stats().tcp.timeouts).toBe(1);
  });

  it("a RST from the guest closes the connection; abort() sends one", () => {
    const { net, rec } = setup();
    const peer = new TcpPeer(net, { port: PORT });
    peer.connect();
    peer.send(RST);
    expect(rec.closed).toBe(1);
    expect(net.stats().connections).toEqual([]);
    expect(net.stats().tcp.resetsReceived).toBe(1);

    const peer2 = new TcpPeer(net, { port: PORT, localPort: 40001 });
    peer2.connect();
    rec.connections[1]!.abort();
    const [rst] = peer2.receive();
    expect(rst!.flags & RST).toBe(RST);
    expect(rst!.seq).toBe(ISS + 1);
    expect(rec.closed).toBe(2);
  });

  it("a service that throws loses its connection, not the stack", () => {
    const { net } = setup({}, () => ({
      onData: () => {
        throw new Error("service bug");
      },
    }));
    const peer = new TcpPeer(net, { port: PORT });
    peer.connect();
    peer.send(ACK, pattern(10));
    expect(peer.receive().some((s) => (s.flags & RST) !== 0)).toBe(true);
    expect(net.stats().tcp.serviceErrors).toBe(1);
    expect(net.stats().dropped["internal-error"]).toBe(0);
  });
});

describe("TCP segmentation offload", () => {
  it("sends 64 KiB-class frames with tcpSegmentSize = MSS and checksumValid when the guest accepts TSO", () => {
    const { net, rec } = setup();
    net.setGuestCapabilities({ tso4: true, checksumOffload: true, maxFrameBytes: 65_550 });
    const peer = new TcpPeer(net, { port: PORT, window: 4 << 20, wscale: 7 });
    peer.connect();
    const data = pattern(2 * 1024 * 1024, 3);
    rec.connections[0]!.write(data);
    pump(peer);
    expectSameBytes(peer.received(), data);
    const frames = peer.seen.filter((s) => s.payload.length > 0);
    const big = frames.filter((s) => s.payload.length > 1460);
    expect(big.length).toBeGreaterThan(0);
    expect(Math.max(...frames.map((s) => s.payload.length))).toBeGreaterThan(60_000);
    expect(frames.every((s) => s.frameBytes <= 65_550 && s.payload.length <= 65_495)).toBe(true);
    for (const s of big) {
      expect(s.offload).toEqual({ checksumValid: true, tcpSegmentSize: 1460 });
      expect(s.payload.length % 1460 === 0 || s === frames.at(-1)).toBe(true);
    }
    expect(frames.length).toBeLessThan(data.length / 1460 / 10);
    expect(net.stats().tcp.tsoFrames).toBe(big.length);
  });

  it("with checksum offload alone, sends MSS segments marked checksumValid", () => {
    const { net, rec } = setup();
    net.setGuestCapabilities({ tso4: false, checksumOffload: true, maxFrameBytes: 1514 });
    const peer = new TcpPeer(net, { port: PORT, window: 1 << 20, wscale: 7 });
    peer.connect();
    rec.connections[0]!.write(pattern(20_000));
    pump(peer);
    const frames = peer.seen.filter((s) => s.payload.length > 0);
    expect(frames.every((s) => s.payload.length <= 1460 && s.offload?.checksumValid === true && s.offload.tcpSegmentSize === undefined)).toBe(true);
    expect(peer.receivedBytes).toBe(20_000);
  });

  it("after the device resets (capabilities undefined), goes back to MSS segments with real checksums", () => {
    const { net, rec } = setup();
    net.setGuestCapabilities({ tso4: true, checksumOffload: true, maxFrameBytes: 65_550 });
    net.setGuestCapabilities(undefined);
    const peer = new TcpPeer(net, { port: PORT, window: 1 << 20, wscale: 7 });
    peer.connect();
    rec.connections[0]!.write(pattern(20_000));
    pump(peer);
    const frames = peer.seen.filter((s) => s.payload.length > 0);
    expect(frames.every((s) => s.payload.length <= 1460 && s.checksumsOk && s.offload === undefined)).toBe(true);
  });
});

describe("TCP bookkeeping", () => {
  it("tells the device when frames are ready, once per guest frame", () => {
    const { net, rec } = setup();
    let calls = 0;
    net.onGuestFramesReady(() => calls++);
    const peer = new TcpPeer(net, { port: PORT });
    peer.send(SYN, undefined, { mss: 1460 });
    expect(calls).toBe(1);
    peer.receive();
    peer.send(ACK);
    rec.connections[0]!.write(pattern(5000)); // outside any stack call: at once
    expect(calls).toBe(2);
  });

  it("moves 64 MiB host to guest with TSO quickly and intact", () => {
    const { net, rec } = setup();
    net.setGuestCapabilities({ tso4: true, checksumOffload: true, maxFrameBytes: 65_550 });
    const peer = new TcpPeer(net, { port: PORT, window: 4 << 20, wscale: 7 });
    peer.connect();
    const chunk = pattern(1 << 20, 11);
    const total = 64;
    let sent = 0;
    const started = performance.now();
    let received = 0;
    while (received < total * chunk.length) {
      if (sent < total && rec.connections[0]!.bufferedAmount < STREAM_HIGH_WATER_BYTES) {
        rec.connections[0]!.write(chunk);
        sent++;
      }
      for (const frame of drain(net)) {
        const s = parseTcpFrame(frame);
        expect(s.seq).toBe(peer.rcvNxt);
        // Spot-check content without copying everything.
        expect(s.payload[0]).toBe(chunk[received % chunk.length]);
        received += s.payload.length;
        peer.rcvNxt = (peer.rcvNxt + s.payload.length) >>> 0;
      }
      peer.ack();
    }
    const ms = performance.now() - started;
    expect(received).toBe(total * chunk.length);
    expect(ms).toBeLessThan(10_000);
  });
});
