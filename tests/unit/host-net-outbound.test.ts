// The host network's way out: DNS hands any name a pool address, TCP connections to
// addresses outside the segment go to the outbound dialer with the name the guest looked
// up, UDP datagrams leave and their replies come back from the address the guest sent to,
// and a connection that leaves the machine is never written into a saved state.
import { describe, expect, it } from "vitest";
import { createHostNetwork, type HostNetwork } from "../../src/backends/net/host/host-network.js";
import { NamePool } from "../../src/backends/net/host/name-pool.js";
import type { OutboundTarget, OutboundUdp, UdpFlow } from "../../src/backends/net/outbound.js";
import type { StreamConnection } from "../../src/backends/net/stream-service.js";
import { ACK, drain, GUEST_IP, ip, parseUdpFrame, RST, SYN, TcpPeer, udpFrame } from "../support/tcp-peer.js";

function dnsQuery(name: string, type = 1): Uint8Array {
  const q: number[] = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
  for (const label of name.split(".")) q.push(label.length, ...Array.from(label, (c) => c.charCodeAt(0)));
  q.push(0, type >>> 8, type & 0xff, 0, 1);
  return new Uint8Array(q);
}

/** The A record the network answers for `name`, dotted, or the rcode when there is none. */
function lookUp(net: HostNetwork, name: string, type = 1): string | number {
  net.receiveFromGuest({ bytes: udpFrame({ srcPort: 41000, dstPort: 53, payload: dnsQuery(name, type) }) });
  const reply = parseUdpFrame(drain(net)[0]!.bytes).data;
  const answers = (reply[6]! << 8) | reply[7]!;
  if (answers === 0) return reply[3]! & 0xf;
  return Array.from(reply.subarray(reply.length - 4)).join(".");
}

interface Dialed {
  target: OutboundTarget;
  connection: StreamConnection;
  data: string[];
}

function dialing(options: { routerIsHost?: boolean; udp?: OutboundUdp } = {}): { net: HostNetwork; dialed: Dialed[] } {
  const dialed: Dialed[] = [];
  const net = createHostNetwork({
    initialSequence: () => 7000,
    outbound: {
      namePool: true,
      ...options,
      tcp: (target, connection) => {
        const entry: Dialed = { target, connection, data: [] };
        dialed.push(entry);
        return { onData: (bytes) => entry.data.push(new TextDecoder().decode(bytes)), onEnd: () => connection.end() };
      },
    },
  });
  net.tick(1);
  return { net, dialed };
}

describe("the name pool", () => {
  it("answers any name with a pool address, the same one when asked again, and AAAA with no records", () => {
    const { net } = dialing();
    expect(lookUp(net, "example.com")).toBe("198.18.0.1");
    expect(lookUp(net, "files.test")).toBe("198.18.0.2");
    expect(lookUp(net, "EXAMPLE.com")).toBe("198.18.0.1");
    expect(lookUp(net, "example.com", 28)).toBe(0); // NOERROR, no records: the resolver uses A
    expect(lookUp(net, "host")).toBe("10.0.2.2"); // the router's own names stay
    expect(net.namePool?.entries().map((e) => e.name)).toEqual(["files.test", "example.com"]); // most recently asked last
  });

  it("without a dialer unknown names stay NXDOMAIN", () => {
    expect(lookUp(createHostNetwork(), "example.com")).toBe(3);
  });

  it("is bounded: a full pool gives the address of the name asked for longest ago to the new one", () => {
    const pool = new NamePool(2);
    const a = pool.addressFor("a.test");
    const b = pool.addressFor("b.test");
    pool.addressFor("a.test"); // asked again: b is now the oldest
    const c = pool.addressFor("c.test");
    expect(c).toBe(b);
    expect(pool.nameFor(c!)).toBe("c.test");
    expect(pool.nameFor(a!)).toBe("a.test");
    expect(pool.entries()).toHaveLength(2);
    expect(pool.addressFor("x".repeat(300))).toBeUndefined();
  });
});

describe("TCP that leaves the machine", () => {
  it("dials a looked-up name with its name, and the guest talks to the pool address", () => {
    const { net, dialed } = dialing();
    const address = lookUp(net, "files.test") as string;
    const peer = new TcpPeer(net, { port: 8080, dst: ip(address) });
    const synAck = peer.connect();
    expect(synAck.flags).toBe(SYN | ACK);
    expect(synAck.checksumsOk).toBe(true); // summed over the pool address, not the router's
    expect(dialed.map((d) => d.target)).toEqual([{ ip: address, port: 8080, name: "files.test" }]);
    peer.send(ACK, new TextEncoder().encode("GET / HTTP/1.1\r\n\r\n"));
    expect(dialed[0]!.data.join("")).toBe("GET / HTTP/1.1\r\n\r\n");
    dialed[0]!.connection.write(new TextEncoder().encode("hello from outside"));
    const segments = peer.receive();
    expect(segments.every((s) => s.checksumsOk)).toBe(true);
    expect(new TextDecoder().decode(peer.received())).toBe("hello from outside");
    expect(net.stats().connections.map((c) => `${c.localIp}:${c.localPort}`)).toEqual([`${address}:8080`]);
  });

  it("dials an address outside the segment by its address", () => {
    const { net, dialed } = dialing();
    new TcpPeer(net, { port: 443, dst: ip("93.184.215.14") }).connect();
    expect(dialed.map((d) => d.target)).toEqual([{ ip: "93.184.215.14", port: 443 }]);
  });

  it("refuses a pool address nobody looked up, and the router's free ports unless the router is the host", () => {
    const { net, dialed } = dialing();
    const stray = new TcpPeer(net, { port: 80, dst: ip("198.18.3.3") });
    stray.send(SYN, undefined, { mss: 1460 });
    expect(stray.receive().map((s) => s.flags)).toEqual([RST | ACK]);
    const router = new TcpPeer(net, { port: 5201 });
    router.send(SYN, undefined, { mss: 1460 });
    expect(router.receive().map((s) => s.flags)).toEqual([RST | ACK]);
    expect(dialed).toEqual([]);

    const host = dialing({ routerIsHost: true });
    new TcpPeer(host.net, { port: 5201 }).connect();
    expect(host.dialed.map((d) => d.target)).toEqual([{ ip: "10.0.2.2", port: 5201 }]);
  });

  it("never saves a connection that leaves the machine, and says which", () => {
    const { net } = dialing();
    new TcpPeer(net, { port: 443, dst: ip("93.184.215.14"), localPort: 40001 }).connect();
    expect(() => net.saveState()).toThrow("cannot save the connection from 10.0.2.15:40001 to 93.184.215.14:443: connections that leave the machine cannot be saved");
  });

  it("without a dialer, TCP to another address is dropped as before", () => {
    const net = createHostNetwork();
    const peer = new TcpPeer(net, { port: 80, dst: ip("93.184.215.14") });
    peer.send(SYN, undefined, { mss: 1460 });
    expect(peer.receive()).toEqual([]);
    expect(net.stats().dropped["not-for-us"]).toBe(1);
  });
});

describe("UDP that leaves the machine", () => {
  function carrier(): { udp: OutboundUdp; sent: { flow: UdpFlow; text: string; reply: (payload: Uint8Array) => void }[]; resets: number } {
    const state = {
      sent: [] as { flow: UdpFlow; text: string; reply: (payload: Uint8Array) => void }[],
      resets: 0,
      udp: {
        send: (flow: UdpFlow, payload: Uint8Array, reply: (payload: Uint8Array) => void) => state.sent.push({ flow, text: new TextDecoder().decode(payload), reply }),
        reset: () => void state.resets++,
      },
    };
    return state;
  }

  it("carries a datagram out and its reply back from the address the guest sent to", () => {
    const out = carrier();
    const { net } = dialing({ udp: out.udp });
    net.receiveFromGuest({ bytes: udpFrame({ srcPort: 45000, dstPort: 5000, dst: ip("192.0.2.7"), payload: new TextEncoder().encode("ping") }) });
    expect(out.sent.map((s) => [s.flow, s.text])).toEqual([[{ guestPort: 45000, target: { ip: "192.0.2.7", port: 5000 } }, "ping"]]);
    out.sent[0]!.reply(new TextEncoder().encode("pong"));
    const reply = parseUdpFrame(drain(net)[0]!.bytes);
    expect([reply.src, reply.dst, reply.srcPort, reply.dstPort, reply.checksumOk]).toEqual([ip("192.0.2.7"), GUEST_IP, 5000, 45000, true]);
    expect(new TextDecoder().decode(reply.data)).toBe("pong");
    net.guestReset();
    expect(out.resets).toBe(1);
  });

  it("keeps the router's own UDP services, and sends its free ports out only when the router is the host", () => {
    const out = carrier();
    const { net } = dialing({ udp: out.udp });
    net.receiveFromGuest({ bytes: udpFrame({ srcPort: 45000, dstPort: 9999, payload: new Uint8Array([1]) }) });
    expect(out.sent).toEqual([]);
    expect(net.stats().dropped["udp-closed-port"]).toBe(1);
    const host = dialing({ udp: out.udp, routerIsHost: true });
    host.net.receiveFromGuest({ bytes: udpFrame({ srcPort: 45000, dstPort: 9999, payload: new Uint8Array([1]) }) });
    expect(out.sent.map((s) => s.flow.target)).toEqual([{ ip: "10.0.2.2", port: 9999 }]);
    expect(lookUp(host.net, "host")).toBe("10.0.2.2"); // DNS is still ours
  });
});
