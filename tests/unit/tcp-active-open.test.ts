// Connections the host opens to the guest (hostfwd): the SYN with our options, the guest's
// SYN-ACK making an established connection that carries data both ways, a RST that
// acknowledges the SYN refusing it (and one that does not being ignored), and a guest that
// never answers failing the open after SYN_TRIES, one SYN per SYN_RESEND_MS.
import { describe, expect, it } from "vitest";
import { createHostNetwork, type HostNetwork } from "../../src/backends/net/host/host-network.js";
import { SYN_RESEND_MS, SYN_TRIES } from "../../src/backends/net/host/tcp-active-open.js";
import type { StreamConnection } from "../../src/backends/net/stream-service.js";
import { ACK, drain, parseTcpFrame, RST, SYN, TcpPeer, udpFrame } from "../support/tcp-peer.js";

function network(): { net: HostNetwork; failures: string[]; opened: StreamConnection[]; data: string[] } {
  const net = createHostNetwork({ initialSequence: () => 9000 });
  net.tick(1);
  // Any frame from the guest teaches the network its MAC (needed to send it a SYN).
  net.receiveFromGuest({ bytes: udpFrame({ srcPort: 40000, dstPort: 7, payload: new Uint8Array([1]) }) });
  drain(net);
  const state = { net, failures: [] as string[], opened: [] as StreamConnection[], data: [] as string[] };
  return state;
}

function open(s: ReturnType<typeof network>, guestPort: number): void {
  s.net.connectToGuest({
    guestPort,
    service: (connection) => {
      s.opened.push(connection);
      return { onData: (bytes) => s.data.push(new TextDecoder().decode(bytes)), onEnd: () => connection.end() };
    },
    failed: (reason) => s.failures.push(reason),
  });
}

describe("connections the host opens to the guest", () => {
  it("sends a SYN with MSS and window scale, and the guest's SYN-ACK makes a connection that carries data", () => {
    const s = network();
    open(s, 8022);
    const [syn, ...more] = drain(s.net).map(parseTcpFrame);
    expect(more).toEqual([]);
    expect([syn!.flags, syn!.dstPort, syn!.mss, syn!.wscale, syn!.checksumsOk]).toEqual([SYN, 8022, 1460, 5, true]);
    expect(s.opened).toHaveLength(0);
    // The guest's server answers from its port 8022 to the router's port.
    const guest = new TcpPeer(s.net, { port: syn!.srcPort, localPort: 8022, iss: 3000, wscale: 7 });
    guest.take(syn!);
    guest.send(SYN | ACK, undefined, { ack: (syn!.seq + 1) >>> 0, mss: 1400, wscale: 7, window: 64240 });
    expect(s.opened).toHaveLength(1);
    const third = guest.receive();
    expect(third.map((x) => [x.flags, x.ack])).toEqual([[ACK, 3001]]); // the handshake's third segment
    guest.send(ACK, new TextEncoder().encode("SSH-2.0-guest\r\n"));
    expect(s.data.join("")).toBe("SSH-2.0-guest\r\n");
    s.opened[0]!.write(new TextEncoder().encode("SSH-2.0-host\r\n"));
    guest.receive();
    expect(new TextDecoder().decode(guest.received())).toBe("SSH-2.0-host\r\n");
    expect(s.net.stats().connections.map((c) => [c.peer, c.state])).toEqual([["10.0.2.15:8022", "ESTABLISHED"]]);
    expect(() => s.net.saveState()).toThrow(/connections that leave the machine cannot be saved/);
    expect(s.failures).toEqual([]);
  });

  it("is refused by a RST that acknowledges its SYN, and ignores one that does not", () => {
    const s = network();
    open(s, 8022);
    const syn = parseTcpFrame(drain(s.net)[0]!);
    const guest = new TcpPeer(s.net, { port: syn.srcPort, localPort: 8022 });
    guest.send(RST | ACK, undefined, { seq: 0, ack: (syn.seq + 5) >>> 0 }); // not for our SYN: a forgery
    expect(s.failures).toEqual([]);
    guest.send(RST | ACK, undefined, { seq: 0, ack: (syn.seq + 1) >>> 0 });
    expect(s.failures).toEqual(["the guest refused the connection to its port 8022 (nothing listens there)"]);
    expect(s.opened).toEqual([]);
  });

  it("sends the SYN again each SYN_RESEND_MS and gives up after SYN_TRIES", () => {
    const s = network();
    open(s, 9999);
    let syns = drain(s.net).length;
    for (let t = 1; t <= (SYN_TRIES + 1) * SYN_RESEND_MS; t += 100) {
      s.net.tick(1 + t);
      syns += drain(s.net).length;
    }
    expect(syns).toBe(SYN_TRIES);
    expect(s.failures).toEqual(["the guest did not answer on its port 9999"]);
  });

  it("cannot open before the guest has used its card, and says so", () => {
    const net = createHostNetwork();
    const failures: string[] = [];
    net.connectToGuest({ guestPort: 22, service: () => ({ onData() {}, onEnd() {} }), failed: (r) => failures.push(r) });
    expect(failures).toEqual(["the guest has not used its network card yet (no address to send to)"]);
    expect(drain(net)).toEqual([]);
  });
});
