// RFC 5961 on the host TCP: blind RST, SYN and data injection. A RST ends a connection only
// at exactly the next expected sequence number, a SYN on a live connection never resets it,
// an ACK for data never sent (or far older than anything unacknowledged) is dropped with
// its data, and every one of them gets at most a challenge ACK, rate-limited per second of
// the stack's clock.
import { describe, expect, it } from "vitest";
import { createHostNetwork, type HostNetwork } from "../../src/backends/net/host/host-network.js";
import { CHALLENGE_ACKS_PER_SECOND, RECEIVE_WINDOW_BYTES } from "../../src/backends/net/host/tcp-config.js";
import type { StreamConnection } from "../../src/backends/net/stream-service.js";
import { ACK, PSH, RST, SYN, TcpPeer, type TcpView } from "../support/tcp-peer.js";

const PORT = 80;
const ISS = 5000;
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const add = (seq: number, n: number): number => (seq + n) >>> 0;

interface Setup {
  net: HostNetwork;
  peer: TcpPeer;
  /** What the service received, as text. */
  received: () => string;
  closed: () => number;
  connection: () => StreamConnection;
}

/** An established connection to a service that records what it gets; the stack's clock at 1. */
function setup(): Setup {
  const data: string[] = [];
  let closed = 0;
  let connection: StreamConnection | undefined;
  const net = createHostNetwork({ initialSequence: () => ISS });
  net.listen(PORT, (c) => {
    connection = c;
    return { onData: (bytes) => void data.push(new TextDecoder().decode(bytes)), onEnd: () => {}, onClose: () => void closed++ };
  });
  net.tick(1);
  const peer = new TcpPeer(net, { port: PORT, mss: 1460, window: 65535 });
  peer.connect();
  return {
    net,
    peer,
    received: () => data.join(""),
    closed: () => closed,
    connection: () => {
      if (connection === undefined) throw new Error("not accepted");
      return connection;
    },
  };
}

/** The only segment the network sends now, which must be a bare ACK at its current state. */
function challengeAck(s: Setup, hostSeq: number): TcpView {
  const out = s.peer.receive();
  expect(out).toHaveLength(1);
  const [ack] = out;
  expect(ack!.flags).toBe(ACK);
  expect(ack!.payload.length).toBe(0);
  expect(ack!.ack).toBe(s.peer.sndNxt); // where the host is: nothing injected was taken
  expect(ack!.seq).toBe(hostSeq);
  return ack!;
}

const state = (net: HostNetwork): string | undefined => net.stats().connections[0]?.state;

describe("RFC 5961 on the host TCP", () => {
  it("answers an in-window RST that is not at the expected sequence number with a challenge ACK, and lives on", () => {
    const s = setup();
    s.peer.send(PSH | ACK, ascii("hello "));
    s.peer.receive();
    s.peer.send(RST, undefined, { seq: add(s.peer.sndNxt, 5000) });
    challengeAck(s, ISS + 1);
    expect(state(s.net)).toBe("ESTABLISHED");
    expect(s.net.stats().tcp.challengeAcks).toBe(1);
    expect(s.net.stats().tcp.resetsReceived).toBe(0);
    // One just past the window is dropped without a word.
    s.peer.send(RST, undefined, { seq: add(s.peer.sndNxt, RECEIVE_WINDOW_BYTES) });
    expect(s.peer.receive()).toEqual([]);
    s.peer.send(PSH | ACK, ascii("world"));
    expect(s.received()).toBe("hello world");
    expect(s.closed()).toBe(0);
    // The guest's real RST comes at exactly the next expected byte: that one is believed.
    s.peer.send(RST);
    expect(s.net.stats().connections).toEqual([]);
    expect(s.closed()).toBe(1);
    expect(s.net.stats().tcp.resetsReceived).toBe(1);
    expect(s.peer.receive()).toEqual([]); // never answer a RST with a RST
  });

  it("answers a SYN on an established connection with a challenge ACK, whatever its sequence number", () => {
    const s = setup();
    for (const seq of [s.peer.sndNxt, add(s.peer.sndNxt, 100), add(s.peer.sndNxt, 0x80000000), 1000]) {
      s.peer.send(SYN, undefined, { seq, mss: 1460 });
      challengeAck(s, ISS + 1);
      expect(state(s.net)).toBe("ESTABLISHED");
    }
    expect(s.net.stats().tcp.challengeAcks).toBe(4);
    s.peer.send(PSH | ACK, ascii("still the same connection"));
    expect(s.received()).toBe("still the same connection");
    expect(s.net.stats().tcp.connectionsAccepted).toBe(1);
  });

  it("drops a segment whose ACK is for data never sent, or far older than the oldest unacknowledged byte, with its data", () => {
    const s = setup();
    s.connection().write(ascii("abc")); // the host's sndNxt becomes ISS + 4 once it is sent
    s.peer.receive();
    s.peer.ack();
    // (An explicit seq: the test guest's own sequence number does not move for a forged segment.)
    s.peer.send(PSH | ACK, ascii("forged"), { seq: s.peer.sndNxt, ack: add(ISS, 4 + 10_000) });
    challengeAck(s, ISS + 4);
    // The guest announced no window scale: an ACK 65,535 bytes or more behind is not an old one.
    s.peer.send(PSH | ACK, ascii("forged"), { seq: s.peer.sndNxt, ack: add(ISS, 4 - 70_000) });
    challengeAck(s, ISS + 4);
    expect(s.received()).toBe("");
    expect(s.net.stats().tcp.challengeAcks).toBe(2);
    // An old ACK within that range is an old duplicate: its data is taken.
    s.peer.send(PSH | ACK, ascii("real"), { ack: add(ISS, 1) });
    expect(s.received()).toBe("real");
    expect(state(s.net)).toBe("ESTABLISHED");
  });

  it(`sends at most ${CHALLENGE_ACKS_PER_SECOND} challenge ACKs per second of the stack's clock`, () => {
    const s = setup();
    let acks = 0;
    for (let i = 0; i < 150; i++) {
      s.peer.send(RST, undefined, { seq: add(s.peer.sndNxt, 1 + i) });
      acks += s.peer.receive().length;
    }
    expect(acks).toBe(CHALLENGE_ACKS_PER_SECOND);
    expect(s.net.stats().tcp.challengeAcks).toBe(CHALLENGE_ACKS_PER_SECOND);
    expect(s.net.stats().tcp.challengeAcksLimited).toBe(150 - CHALLENGE_ACKS_PER_SECOND);
    s.net.tick(999);
    s.peer.send(SYN, undefined, { seq: s.peer.sndNxt, mss: 1460 });
    expect(s.peer.receive()).toEqual([]); // still the same second
    s.net.tick(1001);
    s.peer.send(SYN, undefined, { seq: s.peer.sndNxt, mss: 1460 });
    challengeAck(s, ISS + 1);
    expect(state(s.net)).toBe("ESTABLISHED");
  });
});
