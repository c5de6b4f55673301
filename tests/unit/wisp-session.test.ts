import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createWispOutbound, wispUrlProblem } from "../../src/backends/net/wisp/outbound.js";
import { encodeExtensions } from "../../src/backends/net/wisp/packet.js";
import { WispStream } from "../../src/backends/net/wisp/stream.js";
import { FakeStream } from "../support/fake-stream.js";
import { fakeWispDialer as setup } from "../support/wisp-fake-transport.js";

describe("wisp session: handshake", () => {
  it("v1: waits for the server's CONTINUE, then sends CONNECT by name and the guest's held data", () => {
    const { connect, last } = setup();
    const guest = connect(8080);
    expect(last().url).toBe("ws://wisp.test:8080/");
    guest.send("GET / HTTP/1.1\r\n\r\n");
    expect(guest.readingPaused).toBe(true); // no credits before the handshake
    expect(last().sent).toEqual([]);
    last().openV1(4);
    expect(last().take("connect")).toEqual([{ kind: "connect", streamId: 1, streamType: 1, port: 8080, hostname: "files.test" }]);
    const data = last().take("data");
    expect(new TextDecoder().decode(data[0]!.data)).toBe("GET / HTTP/1.1\r\n\r\n");
    expect(guest.readingPaused).toBe(false);
  });

  it("dials the address when the guest used no name", () => {
    const { connect, last } = setup();
    connect(22, null);
    last().openV1();
    expect(last().take("connect")[0]!.hostname).toBe("198.18.0.5");
  });

  it("v2: answers the server's INFO with its own, logs the MOTD, and starts on CONTINUE", () => {
    const { connect, last, logs, outbound } = setup();
    const guest = connect();
    const t = last();
    t.open();
    t.packet({ kind: "info", streamId: 0, major: 2, minor: 0, extensions: encodeExtensions([
      { id: 1, payload: new Uint8Array(0) }, { id: 4, payload: new TextEncoder().encode("hi\x1b[31m there") },
    ]) });
    expect(t.take("info")).toEqual([{ kind: "info", streamId: 0, major: 2, minor: 0, extensions: new Uint8Array(0) }]);
    expect(t.take("connect")).toEqual([]);
    t.packet({ kind: "continue", streamId: 0, bufferRemaining: 8 });
    expect(t.take("connect")).toHaveLength(1);
    expect(outbound.stats()?.version).toBe(2);
    expect(logs.join("\n")).toMatch(/the server says: hi \[31m there/);
    expect(guest.aborted).toBe(false);
  });

  it("refuses a server that requires authentication, resetting the guest's connections", () => {
    const { connect, last, logs } = setup();
    const guest = connect();
    last().open();
    last().packet({ kind: "info", streamId: 0, major: 2, minor: 0, extensions: encodeExtensions([{ id: 2, payload: new Uint8Array([1]) }]) });
    expect(last().take("close")).toEqual([{ kind: "close", streamId: 0, reason: 0x04 }]);
    expect(last().closeCalls).toBe(1);
    expect(guest.aborted).toBe(true);
    expect(logs.join("\n")).toMatch(/requires authentication/);
  });

  it("gives up on a server that never finishes the handshake", () => {
    const { connect, last, runTimers } = setup();
    const guest = connect();
    last().open();
    runTimers();
    expect(guest.aborted).toBe(true);
    expect(last().closeCalls).toBe(1);
  });

  it("names a bad URL, and throws for it at creation", () => {
    expect(wispUrlProblem("http://x/")).toMatch(/"http:\/\/x\/" is not a WebSocket URL/);
    expect(wispUrlProblem("nonsense")).toMatch(/"nonsense" is not a URL/);
    expect(wispUrlProblem("wss://x/wisp")).toMatch(/must end in "\/"/);
    expect(wispUrlProblem("ws://127.0.0.1:5001")).toBeUndefined();
    expect(() => createWispOutbound({ url: "ftp://x/", openTransport: () => { throw new Error("no"); }, log: () => {} })).toThrow(/ftp:\/\/x\//);
  });

  it("a transport that cannot be opened resets the guest's connection with the URL in the error", () => {
    const outbound = createWispOutbound({ url: "ws://x/", openTransport: () => { throw new Error("refused"); }, log: () => {} });
    expect(() => outbound.tcp({ ip: "1.2.3.4", port: 80 }, new FakeStream())).toThrow("wisp: cannot open ws://x/: refused");
  });
});

describe("wisp session: flow control", () => {
  it("sends DATA only while the stream has credits, pausing the guest until CONTINUE", () => {
    const { connect, last } = setup();
    const guest = connect();
    last().openV1(2);
    expect(guest.send("a")).toBe(true);
    expect(guest.send("b")).toBe(true);
    expect(guest.readingPaused).toBe(false);
    expect(guest.send("c")).toBe(true); // delivered, held: no credit left
    expect(guest.readingPaused).toBe(true);
    expect(guest.send("d")).toBe(false); // the guest is told to wait: nothing lost
    expect(last().take("data").map((p) => new TextDecoder().decode(p.data))).toEqual(["a", "b"]);
    last().packet({ kind: "continue", streamId: 1, bufferRemaining: 5 });
    expect(last().take("data").map((p) => new TextDecoder().decode(p.data))).toEqual(["c"]);
    expect(guest.readingPaused).toBe(false);
  });

  it("splits big guest chunks into DATA packets of at most maxDataBytes, one credit each", () => {
    const { connect, last } = setup({ limits: { maxDataBytes: 1000 } });
    const guest = connect();
    last().openV1(2);
    guest.send(new Uint8Array(2500).fill(7));
    expect(last().take("data").map((p) => p.data.length)).toEqual([1000, 1000]);
    expect(guest.readingPaused).toBe(true);
    last().packet({ kind: "continue", streamId: 1, bufferRemaining: 9 });
    expect(last().take("data").map((p) => p.data.length)).toEqual([500]);
  });

  it("takes a hostile CONTINUE of 2^32-1 as maxCredits", () => {
    const { connect, last } = setup({ limits: { maxCredits: 3 } });
    const guest = connect();
    last().openV1(0xffffffff);
    for (let i = 0; i < 5; i++) guest.send("x");
    expect(last().take("data")).toHaveLength(3);
    expect(guest.readingPaused).toBe(true);
  });

  it("holds data while the transport has too much unsent, and tries again later", () => {
    const { connect, last, runTimers } = setup({ limits: { sendHighWaterBytes: 100 } });
    const guest = connect();
    last().openV1(10);
    last().bufferedAmount = 100;
    guest.send("held");
    expect(last().take("data")).toEqual([]);
    expect(guest.readingPaused).toBe(true);
    runTimers();
    expect(last().take("data")).toEqual([]);
    last().bufferedAmount = 0;
    runTimers();
    expect(last().take("data")).toHaveLength(1);
    expect(guest.readingPaused).toBe(false);
  });

  it("writes no more than writableBytes, keeps the rest, and pauses and resumes a pausable transport", () => {
    const limits = { streamPauseBytes: 600_000, totalPauseBytes: 10_000_000 };
    const { connect, last, outbound } = setup({ pausable: true, limits });
    const guest = connect(80, "a.test", false);
    last().openV1();
    for (let i = 0; i < 10; i++) last().packet({ kind: "data", streamId: 1, data: new Uint8Array(100_000).fill(i) });
    expect(guest.maxBuffered).toBeLessThanOrEqual(256 * 1024);
    expect(last().paused).toBe(true);
    expect(outbound.stats()!.backlogBytes).toBe(1_000_000 - guest.written);
    while (guest.bufferedAmount > 0) guest.ack();
    expect(guest.written).toBe(1_000_000);
    expect(last().paused).toBe(false);
    expect(outbound.stats()!.maxStreamBacklogBytes).toBeLessThanOrEqual(1_000_000);
  });

  it("without pause, resets the stream that would pass the hard limit (CLOSE 0x81), and the total limit too", () => {
    // Each guest takes 256 KiB (FakeStream's writableBytes) and reads no more: the rest waits.
    const { connect, last, outbound } = setup({ limits: { streamLimitBytes: 500_000, totalLimitBytes: 400_000 } });
    const a = connect(80, "a.test", false);
    const b = connect(80, "b.test", false);
    const c = connect(80, "c.test", false);
    last().openV1();
    for (let i = 0; i < 8; i++) last().packet({ kind: "data", streamId: 1, data: new Uint8Array(100_000) });
    expect(a.aborted).toBe(true);
    expect(last().take("close")).toEqual([{ kind: "close", streamId: 1, reason: 0x81 }]);
    for (let i = 0; i < 4; i++) last().packet({ kind: "data", streamId: 2, data: new Uint8Array(100_000) });
    for (let i = 0; i < 6; i++) last().packet({ kind: "data", streamId: 3, data: new Uint8Array(100_000) });
    expect(b.aborted).toBe(false);
    expect(c.aborted).toBe(true); // b waits with 138 kB, c passes 400 kB in all: the stream the packet was for goes
    const stats = outbound.stats()!;
    expect(stats.maxStreamBacklogBytes).toBeLessThanOrEqual(500_000);
    expect(stats.maxTotalBacklogBytes).toBeLessThanOrEqual(400_000);
  });
});

describe("wisp session: closing", () => {
  it("a voluntary CLOSE gives the guest what is left, then FIN", () => {
    const { connect, last } = setup();
    const guest = connect();
    last().openV1();
    last().packet({ kind: "data", streamId: 1, data: new Uint8Array(300_000).fill(1) });
    last().packet({ kind: "close", streamId: 1, reason: 0x02 });
    expect(guest.ended).toBe(false);
    guest.drain();
    expect(guest.written).toBe(300_000);
    expect(guest.ended).toBe(true);
    guest.close();
    expect(last().take("close")).toEqual([]); // the server closed it already
  });

  it("any other CLOSE resets the guest's connection, logging why", () => {
    const { connect, last, logs } = setup();
    const guest = connect(81);
    last().openV1();
    last().packet({ kind: "close", streamId: 1, reason: 0x44 });
    expect(guest.aborted).toBe(true);
    expect(logs.join("\n")).toMatch(/files\.test:81: closed by the server: connection refused \(0x44\)/);
  });

  it("the guest closing sends CLOSE voluntary", () => {
    const { connect, last } = setup();
    const guest = connect();
    last().openV1();
    guest.sendEnd();
    expect(last().take("close")).toEqual([]); // no half-close in wisp
    guest.close();
    expect(last().take("close")).toEqual([{ kind: "close", streamId: 1, reason: 0x02 }]);
  });

  it("a dead transport resets every stream, and the next guest connection opens a new one", () => {
    const { connect, last, transports, outbound } = setup();
    const a = connect();
    const b = connect();
    last().openV1();
    last().drop("the server went away");
    expect(a.aborted && b.aborted).toBe(true);
    expect(transports).toHaveLength(1);
    const c = connect();
    expect(transports).toHaveLength(2);
    last().openV1();
    expect(last().take("connect")[0]!.streamId).toBe(1);
    expect(c.aborted).toBe(false);
    outbound.close();
    expect(c.aborted).toBe(true);
    expect(() => connect()).toThrow(/closed/);
  });
});

describe("wisp session: a hostile server", () => {
  it("packets for unknown streams, handshake packets repeated, CONNECT and INFO from the server: counted, ignored", () => {
    const { connect, last, outbound } = setup();
    const guest = connect();
    last().openV1();
    last().packet({ kind: "data", streamId: 99, data: new Uint8Array(10) });
    last().packet({ kind: "continue", streamId: 1234, bufferRemaining: 5 });
    last().packet({ kind: "close", streamId: 77, reason: 1 });
    last().packet({ kind: "continue", streamId: 0, bufferRemaining: 5 });
    last().packet({ kind: "connect", streamId: 1, streamType: 1, port: 1, hostname: "x" });
    last().packet({ kind: "info", streamId: 1, major: 9, minor: 9, extensions: new Uint8Array(3) });
    last().raw(new Uint8Array([3, 1, 0, 0, 0, 1]));
    expect(outbound.stats()).toMatchObject({ strayPackets: 6, malformedPackets: 1 });
    expect(guest.aborted).toBe(false);
  });

  it("a malformed packet during the handshake closes the connection", () => {
    const { connect, last } = setup();
    const guest = connect();
    last().open();
    last().raw(new Uint8Array([3, 0, 0, 0, 0, 1]));
    expect(guest.aborted).toBe(true);
  });

  it("random packets never throw and never keep more than the limits", () => {
    const limits = { streamLimitBytes: 200_000, totalLimitBytes: 300_000 };
    fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 4 }), fc.uint8Array({ maxLength: 12 }), fc.nat(90_000)), { maxLength: 60 }), (script) => {
      const { connect, last, outbound } = setup({ limits });
      const guests = [connect(), connect(), connect()];
      last().openV1(3);
      for (const [type, id, tail, size] of script) {
        if (type === 2) last().packet({ kind: "data", streamId: id, data: new Uint8Array(size) });
        else last().raw(new Uint8Array([type, id, 0, 0, 0, ...tail]));
        guests[size % 3]!.send("x");
        if (size % 5 === 0) guests[size % 3]!.drain();
      }
      const stats = outbound.stats()!;
      expect(stats.maxStreamBacklogBytes).toBeLessThanOrEqual(limits.streamLimitBytes);
      expect(stats.maxTotalBacklogBytes).toBeLessThanOrEqual(limits.totalLimitBytes);
      for (const g of guests) {
        if (g.handler instanceof WispStream) expect(g.handler.queuedFromGuest).toBeLessThanOrEqual(1);
      }
    }), { numRuns: 200 });
  });
});
