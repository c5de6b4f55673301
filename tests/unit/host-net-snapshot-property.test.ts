// Property: saving and restoring the host network at any moment changes nothing the guest
// can see. One scripted guest (a /blob download that loses some segments and ACKs lazily, and
// an echo stream beside it, on random offloads, windows and MSS) runs twice: once straight
// through, once with snapshots (through a JSON file, onto another clock) at random rounds.
// Every frame the guest receives must be the same, byte for byte, and so must the data and,
// at the end, the network's counters and per-connection estimates (RTT, RTO, windows).
// SNAPSHOT_RUNS sets the number of runs (default 100).
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { HostNetworkStats } from "../../src/backends/net/host/host-network.js";
import type { GuestNetCapabilities } from "../../src/backends/net/net-backend.js";
import { fillBlob } from "../../src/backends/net/services/blob.js";
import { createStandardServices } from "../../src/backends/net/services/standard-services.js";
import { ACK, FIN, parseTcpFrame, PSH, SYN, TcpPeer } from "../support/tcp-peer.js";
import { SnapshotHost } from "../support/snapshot-host.js";

const RUNS = Number(process.env.SNAPSHOT_RUNS ?? 100);

interface Script {
  blobBytes: number;
  seed: number;
  window: number;
  wscale: number | undefined;
  mss: number;
  caps: GuestNetCapabilities | undefined;
  /** Which data segments of the download the guest's NIC loses (by arrival index). */
  drops: number[];
  /** The guest ACKs only every this many rounds. */
  ackEvery: number;
  /** Rounds during which the echo and discard guests send (then FIN). */
  chunks: number;
  /** How long each round lasts, in ms, cycling (so RTT samples and deadlines vary). */
  roundMs: number[];
}

interface Outcome {
  rounds: number;
  /** Rounds in which the guest received something: the moments worth interrupting. */
  busyRounds: number[];
  /** sha256 over every frame the guest received (bytes and offload marks). */
  framesDigest: string;
  /** Each frame in short, so a failure shows the first one that differs. */
  frames: string[];
  download: Uint8Array;
  echo: Uint8Array;
  /** The network's counters and connections (RTT estimates, windows) at the end. */
  stats: HostNetworkStats;
}

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Where a snapshot goes: a round, a moment in it, and the restored network's clock. */
interface SnapshotPoint {
  round: number;
  /** Before the guest pulls frames, after it pulled them (before its ACKs), or after it sent. */
  moment: 0 | 1 | 2;
  clock: number;
}

/** Runs the script, with snapshots at the given points. */
function play(script: Script, snapshots: SnapshotPoint[] = []): Outcome {
  const host = new SnapshotHost(() => ({ services: createStandardServices(), initialSequence: () => 0xabcdef00 }), 10_000);
  host.setGuestCapabilities(script.caps);
  const peer = (port: number, localPort: number): TcpPeer => new TcpPeer(host, { port, localPort, mss: script.mss, wscale: script.wscale, window: script.window });
  const blob = peer(80, 40000); // downloads, losing some segments
  const echo = peer(7, 40001); // sends and reads back
  const sink = peer(9, 40002); // only sends: the host's segments to it are bare ACKs
  const peers = [blob, echo, sink];
  const frames = createHash("sha256");
  const log: string[] = [];
  let dataSegments = 0;
  for (const p of peers) p.send(SYN, undefined, { mss: script.mss, wscale: script.wscale, window: Math.min(0xffff, script.window) });
  /** Peers that owe an ACK (they send it on their next ACK round). */
  const news = new Set<TcpPeer>();
  const busyRounds: number[] = [];
  let round = 0;
  for (; !peers.every((p) => p.finReceived); round++) {
    if (round > 50_000) throw new Error("the script did not finish");
    const snapshotAt = (moment: number): void => {
      for (const point of snapshots) if (point.round === round && point.moment === moment) host.snapshot(point.clock);
    };
    snapshotAt(0);
    for (let frame = host.nextForGuest(); frame !== undefined; frame = host.nextForGuest()) {
      frames.update(withoutIpIdentification(frame.bytes)).update(JSON.stringify(frame.offload ?? null));
      const segment = parseTcpFrame(frame);
      if (busyRounds.at(-1) !== round) busyRounds.push(round);
      log.push(`round ${round} to ${segment.dstPort}: seq ${segment.seq} ack ${segment.ack} flags ${segment.flags} window ${segment.window} bytes ${segment.payload.length}`);
      const to = peers.find((p) => p.localPort === segment.dstPort)!;
      if (to === blob && segment.payload.length > 0 && script.drops.includes(dataSegments++)) continue;
      const handshaking = to.rcvNxt === 0;
      to.take(segment);
      if (handshaking && to.rcvNxt !== 0) {
        to.send(ACK); // the handshake's last step, then the request
        if (to === blob) to.send(PSH | ACK, ascii(`GET /blob?bytes=${script.blobBytes}&seed=${script.seed} HTTP/1.1\r\n\r\n`));
      } else if (segment.payload.length > 0 || (segment.flags & FIN) !== 0) news.add(to);
    }
    snapshotAt(1);
    if (round % script.ackEvery === 0) {
      for (const p of news) p.ack();
      news.clear();
    }
    for (const p of [echo, sink]) {
      if (p.rcvNxt === 0 || round > script.chunks) continue;
      p.send(round < script.chunks ? PSH | ACK : FIN | ACK, round < script.chunks ? chunk(round) : undefined);
    }
    snapshotAt(2);
    host.tick(script.roundMs[round % script.roundMs.length]!);
  }
  return { rounds: round, busyRounds, framesDigest: frames.digest("hex"), frames: log, download: blob.received(), echo: echo.received(), stats: host.net.stats() };
}

/**
 * The frame with its IPv4 identification (and so its header checksum) zeroed: that counter
 * is one per process, not per network, so the straight run and the interrupted one (run
 * after it) number their packets differently. Our packets say "don't fragment", where the
 * field means nothing (RFC 6864).
 */
function withoutIpIdentification(bytes: Uint8Array): Uint8Array {
  expect(bytes[20]! & 0x40).toBe(0x40); // DF
  const copy = bytes.slice();
  copy.fill(0, 18, 20);
  copy.fill(0, 24, 26);
  return copy;
}

/** What the echo and discard guests send in a round. */
function chunk(round: number): Uint8Array {
  return new Uint8Array(700 + (round % 5) * 300).fill(round & 0xff);
}

const script: fc.Arbitrary<Script> = fc.record({
  blobBytes: fc.integer({ min: 1, max: 300_000 }),
  seed: fc.nat(),
  window: fc.constantFrom(4096, 65_535, 1 << 20),
  wscale: fc.constantFrom(undefined, 0, 7),
  mss: fc.constantFrom(536, 1460),
  caps: fc.constantFrom<GuestNetCapabilities | undefined>(
    undefined,
    { checksumOffload: true, tso4: false, maxFrameBytes: 1514 },
    { checksumOffload: true, tso4: true, maxFrameBytes: 65_550 },
  ),
  drops: fc.uniqueArray(fc.nat({ max: 200 }), { maxLength: 5 }),
  ackEvery: fc.integer({ min: 1, max: 4 }),
  chunks: fc.integer({ min: 0, max: 60 }),
  roundMs: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 6 }),
});

const point = fc.record({
  at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
  busy: fc.boolean(),
  moment: fc.constantFrom<0 | 1 | 2>(0, 1, 2),
  clock: fc.nat({ max: 4e9 }),
});

describe("snapshots never change what the guest receives", () => {
  it("at random moments, onto random clocks", () => {
    fc.assert(
      fc.property(script, fc.array(point, { minLength: 1, maxLength: 4 }), (s, points) => {
        const straight = play(s);
        const expected = new Uint8Array(s.blobBytes);
        fillBlob(s.seed, 0, expected);
        expect(Buffer.compare(straight.download.subarray(-s.blobBytes), expected)).toBe(0);
        const sent = Array.from({ length: s.chunks }, (_, round) => chunk(round));
        expect(Buffer.compare(straight.echo, Buffer.concat(sent))).toBe(0);
        // Half of them in rounds where something happens (data in flight, ACKs due).
        const snapshots = points.map(({ at, busy, moment, clock }) => ({
          round: busy ? straight.busyRounds[Math.floor(at * straight.busyRounds.length)]! : Math.floor(at * straight.rounds),
          moment,
          clock,
        }));
        const interrupted = play(s, snapshots);
        expect(interrupted.frames).toEqual(straight.frames);
        expect(interrupted.framesDigest).toBe(straight.framesDigest);
        expect(interrupted.rounds).toBe(straight.rounds);
        expect(Buffer.compare(interrupted.download, straight.download)).toBe(0);
        expect(Buffer.compare(interrupted.echo, straight.echo)).toBe(0);
        expect(interrupted.stats).toEqual(straight.stats);
      }),
      { numRuns: RUNS },
    );
  }, 60_000 + RUNS * 500); // hundreds of transfers: seconds, more on a busy machine
});
