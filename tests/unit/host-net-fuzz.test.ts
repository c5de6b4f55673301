// Property tests: whatever bytes the guest transmits, the host network never throws, never
// hits its internal-error path, and everything it sends back is well formed. FUZZ_RUNS
// sets the number of runs (default 500 per property).
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { NetFrame, FrameOffload } from "../../src/backends/net/net-backend.js";
import type { StreamConnection } from "../../src/backends/net/stream-service.js";
import { createHostNetwork, type HostNetwork } from "../../src/backends/net/host/host-network.js";
import { ACK, BROADCAST_MAC, drain, FIN, GUEST_MAC, parseIpv4Frame, parseTcpFrame, PSH, ROUTER_MAC, RST, SYN, TcpPeer, tcpFrame, udpFrame, type TcpView } from "../support/tcp-peer.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 500);

const offload: fc.Arbitrary<FrameOffload | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.record({ partialChecksum: fc.record({ start: fc.nat({ max: 100 }), offset: fc.nat({ max: 20 }) }) }),
  fc.record({ checksumValid: fc.boolean(), tcpSegmentSize: fc.option(fc.nat({ max: 70_000 }), { nil: undefined }) }),
);

/** Valid frames of every kind the stack understands: the seeds that mutations start from. */
function seeds(): Uint8Array[] {
  const arp = new Uint8Array(42);
  arp.set(BROADCAST_MAC, 0);
  arp.set(GUEST_MAC, 6);
  arp.set([0x08, 0x06, 0, 1, 0x08, 0x00, 6, 4, 0, 1], 12);
  arp.set([10, 0, 2, 2], 38);
  const dhcp = new Uint8Array(300);
  dhcp.set([1, 1, 6], 0);
  dhcp.set([0x63, 0x82, 0x53, 0x63, 53, 1, 1, 255], 236);
  const dns = new Uint8Array([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 4, 104, 111, 115, 116, 0, 0, 1, 0, 1]);
  return [
    arp,
    udpFrame({ srcPort: 68, dstPort: 67, payload: dhcp, src: 0, dst: 0xffffffff, dstMac: BROADCAST_MAC }),
    udpFrame({ srcPort: 1000, dstPort: 53, payload: dns }),
    udpFrame({ srcPort: 1000, dstPort: 7, payload: new Uint8Array(20) }),
    tcpFrame({ srcPort: 40000, dstPort: 80, seq: 1000, ack: 0, flags: SYN, window: 65535, mss: 1460, wscale: 7 }).bytes,
    tcpFrame({ srcPort: 40000, dstPort: 80, seq: 1001, ack: 5001, flags: ACK | PSH, window: 512, payload: new Uint8Array(100) }).bytes,
  ];
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("extend" as const), bytes: fc.uint8Array({ maxLength: 64 }) }),
);

function mutate(seed: Uint8Array, steps: ReadonlyArray<typeof mutation extends fc.Arbitrary<infer T> ? T : never>): Uint8Array {
  let bytes = seed.slice();
  for (const step of steps) {
    if (step.kind === "flip" && bytes.length > 0) bytes[step.at % bytes.length] = step.value;
    else if (step.kind === "truncate") bytes = bytes.slice(0, step.at % (bytes.length + 1));
    else if (step.kind === "extend") bytes = Uint8Array.from([...bytes, ...step.bytes]);
  }
  return bytes;
}

/** Everything the stack sends is a well-formed frame from the router; TCP goes to its peer. */
function checkOutput(net: HostNetwork, peers: TcpPeer[] = []): void {
  for (const frame of drain(net)) {
    expect(frame.bytes.length).toBeGreaterThanOrEqual(60);
    expect(frame.bytes.length).toBeLessThanOrEqual(14 + 65_535);
    expect(Array.from(frame.bytes.subarray(6, 12))).toEqual(Array.from(ROUTER_MAC));
    const type = (frame.bytes[12]! << 8) | frame.bytes[13]!;
    if (type !== 0x0800) continue;
    const packet = parseIpv4Frame(frame.bytes);
    expect(packet.headerChecksumOk).toBe(true);
    if (packet.protocol === 6 && frame.offload === undefined) {
      expect(frame.bytes.length).toBeLessThanOrEqual(1514);
      expect(parseTcpFrame(frame).checksumsOk).toBe(true);
    }
    if (packet.protocol === 6) {
      const view = parseTcpFrame(frame);
      peers.find((p) => p.localPort === view.dstPort)?.take(view);
    }
  }
}

function echoService(net: HostNetwork): void {
  net.listen(80, (c: StreamConnection) => ({
    onData: (bytes) => c.write(bytes.slice()),
    onEnd: () => c.end(),
  }));
}

describe("host network fuzz", () => {
  it("random bytes with random offload flags never throw", () => {
    const net = createHostNetwork();
    echoService(net);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1600 }), offload, (bytes, off) => {
        const frame: NetFrame = off === undefined ? { bytes } : { bytes, offload: off };
        net.receiveFromGuest(frame);
        checkOutput(net);
      }),
      { numRuns: RUNS },
    );
    expect(net.stats().dropped["internal-error"]).toBe(0);
  });

  it("mutated valid frames never throw and never get malformed replies", () => {
    const all = seeds();
    fc.assert(
      fc.property(fc.nat({ max: all.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), offload, fc.nat({ max: 5000 }), (which, steps, off, time) => {
        const net = createHostNetwork({ initialSequence: () => 5000 });
        echoService(net);
        net.setGuestCapabilities(time % 2 === 0 ? undefined : { tso4: true, checksumOffload: true, maxFrameBytes: 65_550 });
        // A live connection so mutated segments can hit an established state too.
        new TcpPeer(net, { port: 80 }).connect();
        drain(net);
        const bytes = mutate(all[which]!, steps);
        net.receiveFromGuest(off === undefined ? { bytes } : { bytes, offload: off });
        net.tick(time);
        checkOutput(net);
        expect(net.stats().dropped["internal-error"]).toBe(0);
      }),
      { numRuns: RUNS },
    );
  });

  it("random segment sequences against live connections keep the stack consistent", () => {
    const segment = fc.record({
      flags: fc.oneof(fc.constantFrom(ACK, ACK | PSH, ACK | FIN, RST, SYN, ACK | RST, SYN | ACK, 0), fc.integer({ min: 0, max: 63 })),
      seqDelta: fc.oneof(fc.constant(0), fc.integer({ min: -3000, max: 3000 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 })),
      ackDelta: fc.oneof(fc.constant(0), fc.integer({ min: -3000, max: 70_000 }), fc.nat()),
      window: fc.oneof(fc.constant(0), fc.nat({ max: 0xffff })),
      payload: fc.nat({ max: 3000 }),
      port: fc.constantFrom(40000, 40001),
      tick: fc.nat({ max: 3000 }),
      write: fc.nat({ max: 100_000 }),
      end: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 40 }), fc.boolean(), (segments, tso) => {
        const net = createHostNetwork({ initialSequence: () => 5000 });
        const connections: StreamConnection[] = [];
        net.listen(80, (c) => {
          connections.push(c);
          return { onData: () => undefined, onEnd: () => undefined };
        });
        if (tso) net.setGuestCapabilities({ tso4: true, checksumOffload: true, maxFrameBytes: 65_550 });
        const peers = [new TcpPeer(net, { port: 80, wscale: 3 }), new TcpPeer(net, { port: 80, localPort: 40001 })];
        for (const p of peers) p.connect();
        checkOutput(net, peers);
        let now = 1;
        for (const s of segments) {
          const peer = s.port === 40000 ? peers[0]! : peers[1]!;
          // With seqDelta 0 the peer behaves (its sequence numbers advance); otherwise it lies.
          peer.send(s.flags, new Uint8Array(s.payload), {
            ...(s.seqDelta === 0 ? {} : { seq: (peer.sndNxt + s.seqDelta) >>> 0 }),
            ack: (peer.rcvNxt + s.ackDelta) >>> 0,
            window: s.window,
            mss: (s.flags & SYN) !== 0 ? 1460 : undefined,
          });
          const c = connections[s.write % Math.max(1, connections.length)];
          if (c !== undefined && s.write % 3 === 0) c.write(new Uint8Array(s.write));
          if (c !== undefined && s.end) c.end();
          net.tick((now += s.tick));
          checkOutput(net, peers);
        }
        const stats = net.stats();
        expect(stats.dropped["internal-error"]).toBe(0);
        for (const info of stats.connections) expect(info.inFlight).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: Math.max(50, Math.floor(RUNS / 5)) },
    );
  });

  it("a guest with random windows, losses and delays gets every byte, and never more than its window allows", () => {
    const round = fc.record({
      window: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 4000 }), fc.integer({ min: 4000, max: 200_000 })),
      dropEvery: fc.integer({ min: 0, max: 6 }), // 0: no loss this round
      acks: fc.integer({ min: 0, max: 3 }),
      tick: fc.integer({ min: 0, max: 300 }),
    });
    fc.assert(
      fc.property(fc.array(round, { minLength: 1, maxLength: 60 }), fc.boolean(), fc.integer({ min: 1, max: 300_000 }), (rounds, tso, size) => {
        const net = createHostNetwork({ initialSequence: () => 0xfffff000 });
        let connection: StreamConnection | undefined;
        net.listen(80, (c) => {
          connection = c;
          return { onData: () => undefined, onEnd: () => undefined };
        });
        if (tso) net.setGuestCapabilities({ tso4: true, checksumOffload: true, maxFrameBytes: 65_550 });
        const peer = new TcpPeer(net, { port: 80, wscale: 2, window: 100_000 });
        peer.connect();
        const data = new Uint8Array(size).map((_, i) => (i * 7 + (i >>> 8)) & 0xff);
        connection!.write(data);
        connection!.end();
        // What the stack has been told: it may send up to lastAck + the window given with it.
        let limit = (peer.rcvNxt + peer.windowField() * 4) >>> 0;
        const check = (s: TcpView): boolean => {
          const end = (s.seq + s.payload.length) >>> 0;
          if (s.payload.length > 0) expect(((end - limit) | 0) <= 0).toBe(true);
          return false;
        };
        const ack = (): void => {
          peer.ack();
          limit = (peer.rcvNxt + peer.windowField() * 4) >>> 0;
        };
        let now = 1;
        let n = 0;
        const play = (r: { window: number; dropEvery: number; acks: number; tick: number }): void => {
          peer.window = r.window;
          peer.receive((s) => check(s) || (r.dropEvery > 0 && ++n % r.dropEvery === 0));
          for (let i = 0; i < r.acks; i++) ack();
          net.tick((now += r.tick));
        };
        for (const r of rounds) play(r);
        // Then a kind network: wide open, no loss, time passing, until the FIN arrives.
        for (let i = 0; i < 400 && !peer.finReceived; i++) play({ window: 1 << 20, dropEvery: 0, acks: 1, tick: 250 });
        expect(peer.finReceived).toBe(true);
        expect(Buffer.compare(peer.received(), data)).toBe(0);
        expect(net.stats().dropped["internal-error"]).toBe(0);
      }),
      { numRuns: Math.max(30, Math.floor(RUNS / 10)) },
    );
  });
});
