// The wisp dialer against a real wisp server (@mercuryworkshop/wisp-js) on 127.0.0.1, reaching
// a local HTTP server by a name the wisp server resolves. FakeStream plays the guest's TCP
// connection; "acking" is the guest reading.
import { createHash } from "node:crypto";
import { setImmediate as tick } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_WISP_LIMITS } from "../../src/backends/net/wisp/limits.js";
import { createWispOutbound, type WispOutbound } from "../../src/backends/net/wisp/outbound.js";
import { WispStream } from "../../src/backends/net/wisp/stream.js";
import { FakeStream } from "../support/fake-stream.js";
import {
  FILES_HOST, openWsTransport, patternSha256, startFileServer, startWispServer, type FileServer, type LocalWispServer,
} from "../support/wisp-server.js";

const MiB = 1024 * 1024;

/** The guest's side of one HTTP exchange: the response head is parsed, the body hashed. */
class GuestHttp extends FakeStream {
  head = "";
  private headBytes: number[] = [];
  readonly body = createHash("sha256");
  bodyBytes = 0;
  bodyText = "";

  constructor() {
    super({ record: false });
  }

  override write(bytes: Uint8Array): void {
    super.write(bytes);
    let at = 0;
    while (!this.head && at < bytes.length) {
      this.headBytes.push(bytes[at++]!);
      if (this.headBytes.length >= 4 && this.headBytes.slice(-4).join() === "13,10,13,10") this.head = Buffer.from(this.headBytes).toString("latin1");
    }
    const rest = bytes.subarray(at);
    this.body.update(rest);
    this.bodyBytes += rest.length;
    if (this.bodyBytes <= 200) this.bodyText += Buffer.from(rest).toString("latin1");
  }

  get contentLength(): number {
    return Number(/content-length: (\d+)/i.exec(this.head)?.[1] ?? NaN);
  }
}

let wisp: LocalWispServer;
let files: FileServer;
let outbound: WispOutbound;
const logs: string[] = [];
/** The largest backlogs any session saw, checked against the limits at the end. */
let maxStream = 0;
let maxTotal = 0;
const noteStats = () => {
  const s = outbound.stats();
  if (s) (maxStream = Math.max(maxStream, s.maxStreamBacklogBytes), (maxTotal = Math.max(maxTotal, s.maxTotalBacklogBytes)));
};

beforeAll(async () => {
  wisp = await startWispServer();
  files = await startFileServer();
  outbound = createWispOutbound({ url: wisp.url, openTransport: (url) => openWsTransport(url), log: (m) => logs.push(m) });
});
afterAll(async () => {
  outbound.close();
  await wisp.kill();
  await files.close();
});

function connect(through: WispOutbound = outbound): GuestHttp {
  const guest = new GuestHttp();
  guest.handler = through.tcp({ ip: "198.18.0.9", port: files.port, name: FILES_HOST }, guest);
  return guest;
}

/** The guest reads (acks) whatever arrives until `done`, yielding to the event loop between reads. */
async function readUntil(guests: GuestHttp[], done: () => boolean, timeoutMs = 50_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > until) throw new Error(`timed out; ${logs.slice(-5).join(" | ")}`);
    for (const g of guests) if (g.bufferedAmount > 0) g.ack();
    noteStats();
    await tick();
  }
}

/**
 * Sends `bytes` as the guest would: while the connection is paused it waits (a guest's TCP
 * sees a zero window). Returns how many times it had to wait.
 */
async function sendAll(guest: GuestHttp, bytes: Uint8Array, chunk = 64 * 1024): Promise<number> {
  let waits = 0;
  for (let at = 0; at < bytes.length; ) {
    if (guest.aborted) throw new Error("aborted while sending");
    if (!guest.readingPaused && guest.send(bytes.subarray(at, at + chunk))) at += chunk;
    else (waits++, await tick());
    if (guest.handler instanceof WispStream) expect(guest.handler.queuedFromGuest).toBeLessThanOrEqual(chunk);
  }
  return waits;
}

/** Whether the whole body arrived (then the guest closes, as wget does: the server lingers). */
function complete(guest: GuestHttp): boolean {
  const done = guest.head !== "" && guest.bodyBytes >= guest.contentLength;
  if (done && !guest.closed) guest.close();
  return done || guest.aborted;
}

async function download(bytes: number, through?: WispOutbound): Promise<GuestHttp> {
  const guest = connect(through);
  guest.send(`GET /bytes/${bytes} HTTP/1.1\r\nHost: ${FILES_HOST}\r\nConnection: close\r\n\r\n`);
  await readUntil([guest], () => complete(guest));
  return guest;
}

describe("wisp against a real server", () => {
  it("downloads 64 MiB by name with a matching sha256, the backlog within its limits", async () => {
    const started = performance.now();
    const guest = await download(64 * MiB);
    const seconds = (performance.now() - started) / 1000;
    console.log(`wisp download: 64 MiB in ${seconds.toFixed(2)} s, ${(64 / seconds).toFixed(1)} MiB/s; ${outbound.stats()!.pauses} transport pauses, largest backlog ${maxStream} bytes`);
    expect(guest.aborted).toBe(false);
    expect(guest.head).toMatch(/^HTTP\/1\.1 200/);
    expect(guest.contentLength).toBe(64 * MiB);
    expect(guest.bodyBytes).toBe(64 * MiB);
    expect(guest.body.digest("hex")).toBe(patternSha256(64 * MiB));
    expect(guest.maxBuffered).toBeLessThanOrEqual(256 * 1024);
    expect(outbound.stats()!.version).toBe(2);
  }, 60_000);

  it("uploads 64 MiB with a matching sha256, never holding more than one chunk of the guest's", async () => {
    const body = new Uint8Array(64 * MiB);
    for (let i = 0; i < body.length; i += 4096) body[i] = (i / 4096) & 0xff;
    const guest = connect();
    guest.send(`POST /upload HTTP/1.1\r\nHost: ${FILES_HOST}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`);
    const started = performance.now();
    const waits = await sendAll(guest, body);
    await readUntil([guest], () => guest.ended || guest.aborted);
    const seconds = (performance.now() - started) / 1000;
    console.log(`wisp upload: 64 MiB in ${seconds.toFixed(2)} s, ${(64 / seconds).toFixed(1)} MiB/s; the guest was paused (no credits or the socket backed up) ${waits} times`);
    expect(waits).toBeGreaterThan(0);
    expect(guest.aborted).toBe(false);
    expect(guest.bodyText).toBe(createHash("sha256").update(body).digest("hex"));
  }, 60_000);

  it("carries 60 connections at once, each with its own bytes", async () => {
    const sizes = Array.from({ length: 60 }, (_, i) => 256 * 1024 + i * 7919);
    const guests = sizes.map((size) => {
      const g = connect();
      g.send(`GET /bytes/${size} HTTP/1.1\r\nHost: ${FILES_HOST}\r\nConnection: close\r\n\r\n`);
      return g;
    });
    await readUntil(guests, () => guests.map(complete).every(Boolean));
    guests.forEach((g, i) => {
      expect(g.aborted).toBe(false);
      expect(g.bodyBytes).toBe(sizes[i]);
      expect(g.body.digest("hex")).toBe(patternSha256(sizes[i]!));
    });
  }, 60_000);

  it("a refused destination resets the guest's connection with the server's reason", async () => {
    const guest = new GuestHttp();
    guest.handler = outbound.tcp({ ip: "198.18.0.10", port: 80, name: "nowhere.test" }, guest);
    await readUntil([guest], () => guest.aborted, 10_000);
    expect(logs.join("\n")).toMatch(/nowhere\.test:80: closed by the server/);
  }, 20_000);

  it("speaks v1 to the same server when it does not ask for v2", async () => {
    const v1 = createWispOutbound({ url: wisp.url, openTransport: (url) => openWsTransport(url, true), log: (m) => logs.push(m) });
    const guest = await download(4 * MiB, v1);
    expect(guest.body.digest("hex")).toBe(patternSha256(4 * MiB));
    expect(v1.stats()!.version).toBe(1);
    v1.close();
  }, 30_000);

  it("the server going away mid-transfer resets the guest; a later connection reaches the server once it is back", async () => {
    const guest = connect();
    guest.send(`GET /bytes/${64 * MiB} HTTP/1.1\r\nHost: ${FILES_HOST}\r\nConnection: close\r\n\r\n`);
    await readUntil([guest], () => guest.bodyBytes > 4 * MiB);
    await wisp.kill();
    await readUntil([guest], () => guest.aborted, 10_000);
    expect(guest.aborted).toBe(true);
    expect(guest.bodyBytes).toBeLessThan(64 * MiB);
    expect(logs.join("\n")).toMatch(/wisp: connection lost/);
    await wisp.restart();
    const again = await download(1 * MiB);
    expect(again.aborted).toBe(false);
    expect(again.body.digest("hex")).toBe(patternSha256(1 * MiB));
  }, 60_000);

  it("with a transport that cannot pause (as in a browser), a guest that stops reading is reset at the hard limit", async () => {
    const limits = { streamLimitBytes: 4 * MiB, totalLimitBytes: 6 * MiB };
    const unpausable = createWispOutbound({
      url: wisp.url,
      openTransport: (url) => {
        const t = openWsTransport(url);
        delete t.pause;
        delete t.resume;
        return t;
      },
      log: (m) => logs.push(m),
      limits,
    });
    const stuck = connect(unpausable);
    stuck.send(`GET /bytes/${64 * MiB} HTTP/1.1\r\nHost: ${FILES_HOST}\r\nConnection: close\r\n\r\n`);
    const until = Date.now() + 20_000;
    while (!stuck.aborted && Date.now() < until) await tick(); // never reads
    expect(stuck.aborted).toBe(true);
    expect(logs.join("\n")).toMatch(/the server sent more than the guest reads/);
    expect(unpausable.stats()!.maxStreamBacklogBytes).toBeLessThanOrEqual(limits.streamLimitBytes);
    // The connection itself carries on.
    const fine = await download(1 * MiB, unpausable);
    expect(fine.body.digest("hex")).toBe(patternSha256(1 * MiB));
    unpausable.close();
  }, 40_000);

  it("kept the backlog toward the guest within the limits throughout", () => {
    console.log(`largest backlog: one stream ${maxStream} bytes, all streams ${maxTotal} bytes`);
    // The pause marks plus what was already on its way when the transport paused (at most a
    // few of the server's DATA packets, each at most one 64 KiB socket read).
    expect(maxStream).toBeLessThanOrEqual(DEFAULT_WISP_LIMITS.streamPauseBytes + 2 * MiB);
    expect(maxTotal).toBeLessThanOrEqual(DEFAULT_WISP_LIMITS.totalPauseBytes + 2 * MiB);
    expect(maxStream).toBeLessThanOrEqual(DEFAULT_WISP_LIMITS.streamLimitBytes);
  });
});
