// Host network snapshots in the middle of real transfers: a 4 MiB /blob download, a 3 MiB
// /upload and an echo stream are interrupted by saveState -> a JSON file -> restoreState
// into a fresh network on another clock, and must still complete byte for byte. The guest
// is tests/support/tcp-peer.ts, whose TCP state carries on as if restored from the same moment.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { HostNetworkOptions } from "../../src/backends/net/host/host-network.js";
import { createStandardServices } from "../../src/backends/net/services/standard-services.js";
import { fillBlob } from "../../src/backends/net/services/blob.js";
import { ACK, FIN, PSH, TcpPeer, type TcpView } from "../support/tcp-peer.js";
import { SnapshotHost, stateFromFile } from "../support/snapshot-host.js";

const deferred: (() => void)[] = [];
function runDeferred(): void {
  while (deferred.length > 0) deferred.shift()!();
}

function options(): HostNetworkOptions {
  const services = createStandardServices({ http: { defer: (fn) => deferred.push(fn), hashSliceBytes: 256 * 1024 } });
  return { services, initialSequence: () => 0xfffff000 }; // the sequence numbers wrap mid-transfer
}

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const sha256 = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");
const hasNews = (s: TcpView): boolean => s.payload.length > 0 || (s.flags & FIN) !== 0;

function guest(host: SnapshotHost, port: number, localPort = 40000): TcpPeer {
  return new TcpPeer(host, { port, localPort, mss: 1460, wscale: 7, window: 1 << 20 });
}

/**
 * Pull, ACK what came, let 1 ms pass; until `done` (or the round limit, which fails the test).
 * With `resendEveryMs`, the guest also sends again what the host has not acknowledged, that often.
 */
function converse(host: SnapshotHost, peer: TcpPeer, done: () => boolean, drop: (s: TcpView) => boolean = () => false, resendEveryMs = 0): void {
  for (let round = 0; round < 50_000; round++) {
    if (done()) return;
    if (peer.receive(drop).some(hasNews)) peer.ack();
    if (resendEveryMs > 0 && round % resendEveryMs === 0) peer.resend();
    runDeferred();
    host.tick(1);
  }
  throw new Error("the transfer did not finish");
}

/** Splits an HTTP response into its head (text) and body. */
function response(bytes: Uint8Array): { head: string; body: Uint8Array } {
  const end = Buffer.from(bytes).indexOf("\r\n\r\n");
  if (end < 0) throw new Error("no complete response head");
  return { head: Buffer.from(bytes.subarray(0, end)).toString("latin1"), body: bytes.subarray(end + 4) };
}

/** What the restored host says the blob's sha256 is (GET /blob-sha256 on a second connection). */
function hostBlobDigest(host: SnapshotHost, bytes: number, seed: number): string {
  const peer = guest(host, 80, 41000);
  peer.connect();
  peer.send(PSH | ACK, ascii(`GET /blob-sha256?bytes=${bytes}&seed=${seed} HTTP/1.1\r\n\r\n`));
  converse(host, peer, () => peer.finReceived);
  return new TextDecoder().decode(response(peer.received()).body).trim();
}

const BLOB_BYTES = 4 * 1024 * 1024 + 1234;

/** Downloads a blob, calling `interrupt` once after `afterBytes`; checks the result against both digests. */
function download(seed: number, afterBytes: number, interrupt: (host: SnapshotHost, peer: TcpPeer) => void): SnapshotHost {
  const host = new SnapshotHost(options, 1000);
  const peer = guest(host, 80);
  peer.connect();
  peer.send(PSH | ACK, ascii(`GET /blob?bytes=${BLOB_BYTES}&seed=${seed} HTTP/1.1\r\nHost: host\r\n\r\n`));
  converse(host, peer, () => peer.receivedBytes >= afterBytes);
  interrupt(host, peer);
  converse(host, peer, () => peer.finReceived);
  const { head, body } = response(peer.received());
  expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
  expect(body.length).toBe(BLOB_BYTES);
  const expected = new Uint8Array(BLOB_BYTES);
  fillBlob(seed, 0, expected);
  expect(Buffer.compare(body, expected)).toBe(0);
  expect(sha256(body)).toBe(hostBlobDigest(host, BLOB_BYTES, seed));
  expect(host.restores).toBeGreaterThan(0);
  return host;
}

/** Snapshot, and check the restored network reports exactly what the saved one did. */
function snapshotKeepingStats(host: SnapshotHost, newNowMs: number): string {
  const before = host.net.stats();
  const file = host.snapshot(newNowMs);
  expect(host.net.stats()).toEqual(before);
  return file;
}

describe("a /blob download interrupted by save and restore", () => {
  it("right after the handshake, before the request", () => {
    const host = new SnapshotHost(options, 1000);
    const peer = guest(host, 80);
    peer.connect();
    snapshotKeepingStats(host, 5); // a new process: its clock starts near zero
    peer.send(PSH | ACK, ascii(`GET /blob?bytes=${BLOB_BYTES}&seed=11 HTTP/1.1\r\n\r\n`));
    converse(host, peer, () => peer.finReceived);
    const { body } = response(peer.received());
    expect(sha256(body)).toBe(hostBlobDigest(host, BLOB_BYTES, 11));
    expect(body.length).toBe(BLOB_BYTES);
  });

  it("mid-stream, with unacknowledged data in flight (and twice more later)", () => {
    let snapshots = 0;
    download(12, 1024 * 1024, (host, peer) => {
      peer.receive(); // taken in, but not ACKed yet
      expect(host.net.stats().connections[0]!.inFlight).toBeGreaterThan(0);
      snapshotKeepingStats(host, 3_000_000_000);
      snapshots++;
      converse(host, peer, () => peer.receivedBytes >= 2 * 1024 * 1024);
      snapshotKeepingStats(host, 7);
      converse(host, peer, () => peer.receivedBytes >= 3 * 1024 * 1024);
      snapshotKeepingStats(host, 123_456);
      snapshots += 2;
    });
    expect(snapshots).toBe(3);
  });

  it("with a segment lost and its fast retransmission pending", () => {
    download(13, 2 * 1024 * 1024, (host, peer) => {
      let dropped: number | undefined;
      peer.receive((s) => {
        if (dropped !== undefined || s.payload.length === 0) return false;
        dropped = s.seq;
        return true;
      });
      expect(dropped).toBeDefined();
      const fastBefore = host.net.stats().tcp.fastRetransmits;
      for (let i = 0; i < 4; i++) peer.ack(); // duplicate ACKs at the hole
      expect(host.net.stats().tcp.fastRetransmits).toBe(fastBefore + 1);
      snapshotKeepingStats(host, 42);
      const [first] = peer.receive();
      expect(first!.seq).toBe(dropped); // the restored network resends the hole first
      expect(host.net.stats().tcp.retransmittedSegments).toBeGreaterThan(0);
    });
  });

  it("with a whole flight lost, so only the restored network's timers can recover it", () => {
    download(14, 3 * 1024 * 1024, (host, peer) => {
      const lost = peer.receive(() => true);
      expect(lost.length).toBe(0);
      const state = host.net.stats();
      expect(state.connections[0]!.inFlight).toBeGreaterThan(0);
      snapshotKeepingStats(host, 9_999);
      expect(host.net.stats().tcp.retransmittedSegments).toBe(state.tcp.retransmittedSegments);
      converse(host, peer, () => host.net.stats().tcp.retransmittedSegments > state.tcp.retransmittedSegments);
    });
  });

  it("with a tail loss probe out and the guest's answer still to come", () => {
    download(16, 1536 * 1024, (host, peer) => {
      peer.receive(() => true); // the whole flight lost
      const before = host.net.stats().tcp;
      while (host.net.stats().tcp.tailLossProbes === before.tailLossProbes) host.tick(1);
      const probe = peer.receive(); // the guest takes the probe in: it lies past the hole
      expect(probe.length).toBe(1);
      snapshotKeepingStats(host, 333);
      peer.ack(); // a duplicate ACK: the answer that shows the hole
      expect(host.net.stats().tcp.tailLossRecoveries).toBe(before.tailLossRecoveries + 1);
    });
  });

  it("after the retransmission timer fired and backed off, the guest still silent", () => {
    download(15, 1024 * 1024, (host, peer) => {
      const before = host.net.stats().tcp;
      for (let ms = 0; host.net.stats().tcp.timeouts < before.timeouts + 2; ms++) {
        expect(ms).toBeLessThan(5000);
        peer.receive(() => true); // everything lost, retransmissions too
        host.tick(1);
      }
      expect(host.net.stats().tcp.tailLossProbes).toBeGreaterThan(before.tailLossProbes);
      expect(host.net.stats().connections[0]!.rtoMs).toBeGreaterThan(400); // backed off twice
      snapshotKeepingStats(host, 64);
    });
  });
});

describe("an /upload interrupted by save and restore", () => {
  const UPLOAD_BYTES = 3 * 1024 * 1024 + 7;
  const CHUNK = 8 * 1024;

  /** Uploads random data; `at(offset)` runs once when `offset` bytes were sent. Returns the reply. */
  function upload(data: Uint8Array, hooks: Map<number, (host: SnapshotHost, peer: TcpPeer, rewind: (to: number) => void) => void>): string {
    const host = new SnapshotHost(options, 50);
    const peer = guest(host, 80);
    peer.connect();
    peer.send(PSH | ACK, ascii(`POST /upload HTTP/1.1\r\nHost: host\r\nContent-Length: ${data.length}\r\n\r\n`));
    const dataSeq = peer.sndNxt;
    let offset = 0;
    const rewind = (to: number): void => {
      offset = to;
      peer.sndNxt = (dataSeq + to) >>> 0;
    };
    const hostAck = (): number => peer.seen.at(-1)?.ack ?? dataSeq;
    for (let round = 0; !peer.finReceived; round++) {
      if (round > 50_000) throw new Error("the upload did not finish");
      peer.receive();
      while (offset < data.length && ((peer.sndNxt - hostAck()) >>> 0) < 256 * 1024) {
        const hook = [...hooks.keys()].find((at) => offset >= at);
        if (hook !== undefined) {
          const run = hooks.get(hook)!;
          hooks.delete(hook);
          run(host, peer, rewind);
          continue;
        }
        const chunk = data.subarray(offset, offset + CHUNK);
        peer.send(ACK, chunk);
        offset += chunk.length;
      }
      host.tick(1);
    }
    expect(hooks.size).toBe(0);
    const { head, body } = response(peer.received());
    expect(head).toContain(`X-Bytes: ${data.length}`);
    return new TextDecoder().decode(body).trim();
  }

  const data = new Uint8Array(UPLOAD_BYTES);
  for (let i = 0, x = 1; i < data.length; i++) data[i] = (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24;

  it("mid-body: the sha256 reply equals the sent data's", () => {
    const reply = upload(
      data,
      new Map([
        [1024 * 1024, (host: SnapshotHost) => {
          const file = snapshotKeepingStats(host, 77);
          const saved = stateFromFile(file).tcp.connections[0]!.service;
          expect(saved?.service).toBe("http");
          expect(saved?.["phase"]).toBe("body");
        }],
        [2 * 1024 * 1024 + 5, (host: SnapshotHost) => void snapshotKeepingStats(host, 2)],
      ]),
    );
    expect(reply).toBe(sha256(data));
  });

  it("with a segment lost: the guest resends from the hole to the restored network", () => {
    const reply = upload(
      data,
      new Map([
        [1536 * 1024, (host: SnapshotHost, peer: TcpPeer, rewind: (to: number) => void) => {
          const hole = 1536 * 1024;
          rewind(hole + CHUNK); // this chunk never arrives...
          for (let k = 1; k <= 3; k++) peer.send(ACK, data.subarray(hole + k * CHUNK, hole + (k + 1) * CHUNK)); // ...these are out of order
          peer.receive();
          const outOfOrder = host.net.stats().dropped["tcp-out-of-order"];
          expect(outOfOrder).toBeGreaterThanOrEqual(3);
          snapshotKeepingStats(host, 31);
          expect(host.net.stats().dropped["tcp-out-of-order"]).toBe(outOfOrder);
          rewind(hole); // the guest's retransmission timeout: go back to the hole
        }],
      ]),
    );
    expect(reply).toBe(sha256(data));
  });
});

describe("echo interrupted by save and restore", () => {
  it("mid-stream, with echoed bytes unacknowledged and more waiting in the service's queue", () => {
    const host = new SnapshotHost(options, 1);
    const peer = new TcpPeer(host, { port: 7, mss: 1460, wscale: 7, window: 4 << 20 });
    peer.connect();
    const sent = new Uint8Array(900 * 1024);
    for (let i = 0; i < sent.length; i++) sent[i] = (i * 7 + (i >> 10)) & 0xff;
    // Send it all while taking in the echo without ACKing: the echo backs up into its queue
    // and pauses reading (what the host refused meanwhile, the guest sends again later).
    for (let at = 0; at < sent.length; at += 16 * 1024) {
      peer.send(ACK, sent.subarray(at, at + 16 * 1024), { ack: (peer.seen.find((s) => s.flags & ACK)?.seq ?? 0) + 1 });
      peer.receive();
      host.tick(1);
    }
    const file = snapshotKeepingStats(host, 1_000_000);
    const saved = stateFromFile(file).tcp.connections[0]!;
    expect(saved.service?.service).toBe("echo");
    expect((saved.service?.["queue"] as Uint8Array).length).toBeGreaterThan(0);
    expect(saved.sender.unacknowledged.length).toBeGreaterThan(0);
    expect(saved.service?.["readingPaused"]).toBe(true);
    expect(saved.receiver.rcvNxt).not.toBe(peer.sndNxt); // the host took only part of it
    converse(host, peer, () => peer.unacknowledgedBytes === 0, undefined, 20);
    peer.send(FIN | ACK);
    converse(host, peer, () => peer.finReceived);
    expect(Buffer.compare(peer.received(), sent)).toBe(0);
  });
});
