import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { STREAM_HIGH_WATER_BYTES } from "../../src/backends/net/stream-service.js";
import { CHARGEN_CYCLE_BYTES, chargenLine, createChargenService } from "../../src/backends/net/services/chargen.js";
import { createDiscardService, type DiscardStats } from "../../src/backends/net/services/discard.js";
import { createEchoService, ECHO_QUEUE_LIMIT_BYTES, ECHO_QUEUE_MAX_BYTES } from "../../src/backends/net/services/echo.js";
import { createStandardServices } from "../../src/backends/net/services/standard-services.js";
import { FakeStream } from "../support/fake-stream.js";

const pattern = (n: number): Uint8Array => new Uint8Array(n).map((_, i) => (i * 7 + (i >> 9)) & 0xff);

describe("discard", () => {
  it("drops and counts everything, writes nothing, closes after the peer's FIN", () => {
    const stats: DiscardStats = { connections: 0, bytes: 0 };
    const service = createDiscardService(stats);
    const a = FakeStream.open(service), b = FakeStream.open(service);
    a.send(pattern(1000));
    b.send(pattern(5));
    a.send(pattern(24));
    expect(stats).toEqual({ connections: 2, bytes: 1029 });
    expect(a.written + b.written).toBe(0);
    expect(a.ended).toBe(false);
    a.sendEnd();
    expect(a.ended).toBe(true);
  });
});

describe("echo", () => {
  it("sends back every byte in order, whatever the pieces, and closes after the peer's FIN", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 20 }), (pieces) => {
        const stream = FakeStream.open(createEchoService());
        for (const p of pieces) stream.send(p);
        stream.sendEnd();
        stream.drain();
        expect(Buffer.compare(Buffer.from(stream.output()), Buffer.concat(pieces))).toBe(0);
        expect(stream.ended).toBe(true);
        stream.verifyChunksUnmodified(); // and the scribbled-over input arrays were copied
      }),
      { numRuns: 200 },
    );
  });

  it("holds at most the high-water mark in the connection, pauses reading at its queue limit, and resumes as the peer reads", () => {
    const stream = FakeStream.open(createEchoService());
    const data = pattern(900 * 1024);
    let at = 0;
    /** Sends 1460-byte pieces until the echo stops reading (a refused piece is sent again later, as TCP would). */
    const sendWhileReading = (): void => {
      while (at < data.length && stream.send(data.subarray(at, at + 1460))) at += 1460;
    };
    sendWhileReading();
    expect(stream.bufferedAmount).toBe(STREAM_HIGH_WATER_BYTES);
    expect(stream.readingPaused).toBe(true);
    // It took what fills the connection and its queue, and not one delivery more.
    expect(at).toBeGreaterThanOrEqual(STREAM_HIGH_WATER_BYTES + ECHO_QUEUE_LIMIT_BYTES);
    expect(at).toBeLessThan(STREAM_HIGH_WATER_BYTES + ECHO_QUEUE_LIMIT_BYTES + 1460);
    let rounds = 0;
    while (at < data.length) {
      stream.ack(); // the peer reads its echo: the queue drains and reading resumes
      expect(stream.readingPaused).toBe(false);
      sendWhileReading();
      expect(++rounds).toBeLessThan(100);
    }
    stream.sendEnd();
    stream.drain();
    expect(stream.maxBuffered).toBeLessThanOrEqual(STREAM_HIGH_WATER_BYTES);
    expect(Buffer.from(stream.output()).equals(data)).toBe(true);
    expect(stream.ended).toBe(true);
    expect(stream.aborted).toBe(false);
  });

  it("keeps no more than its queue limit plus one delivery from a peer that sends without reading", () => {
    const stream = FakeStream.open(createEchoService());
    const piece = pattern(ECHO_QUEUE_MAX_BYTES - ECHO_QUEUE_LIMIT_BYTES);
    let delivered = 0;
    for (let i = 0; i < 100; i++) if (stream.send(piece)) delivered += piece.length;
    expect(stream.readingPaused).toBe(true);
    expect(stream.aborted).toBe(false);
    expect(stream.written).toBe(STREAM_HIGH_WATER_BYTES);
    const queued = delivered - stream.written;
    expect(queued).toBeGreaterThanOrEqual(ECHO_QUEUE_LIMIT_BYTES);
    expect(queued).toBeLessThanOrEqual(ECHO_QUEUE_MAX_BYTES);
    expect(stream.refusedWhilePaused).toBe(100 * piece.length - delivered);
    // Reading the echo lets the queue drain below half its limit, and reading resumes.
    stream.ack();
    expect(stream.readingPaused).toBe(false);
  });
});

describe("chargen", () => {
  const reference = (length: number): string => {
    let text = "";
    for (let n = 0; text.length < length; n++) text += chargenLine(n) + "\r\n";
    return text.slice(0, length);
  };

  it("has the RFC 864 pattern: 72 printable characters rotating by one per line", () => {
    expect(chargenLine(0)).toBe(Array.from({ length: 72 }, (_, k) => String.fromCharCode(32 + k)).join(""));
    expect(chargenLine(1)[0]).toBe("!");
    expect(chargenLine(94)).toBe("~" + chargenLine(0).slice(0, 71));
    expect(chargenLine(95)).toBe(chargenLine(0));
    expect(CHARGEN_CYCLE_BYTES).toBe(95 * 74);
  });

  it("streams the pattern with backpressure until the connection is gone", () => {
    const stream = FakeStream.open(createChargenService());
    expect(stream.bufferedAmount).toBe(STREAM_HIGH_WATER_BYTES);
    stream.send("ignored input");
    stream.sendEnd(); // a half-close does not stop it
    stream.drain(2 * 1024 * 1024);
    expect(stream.maxBuffered).toBeLessThanOrEqual(STREAM_HIGH_WATER_BYTES);
    expect(stream.ended).toBe(false);
    const text = stream.text();
    expect(text.length).toBe(stream.written);
    expect(text === reference(text.length)).toBe(true);
    stream.verifyChunksUnmodified();
    stream.close();
    const written = stream.written;
    stream.ack();
    expect(stream.written).toBe(written);
    expect(stream.writesAfterEnd).toBe(0);
  });
});

describe("standard services", () => {
  it("offers http, echo, discard and chargen on their well-known ports", () => {
    const services = createStandardServices();
    expect([...services.keys()].sort((a, b) => a - b)).toEqual([7, 9, 19, 80]);
    const web = FakeStream.open(services.get(80)!);
    web.send("GET / HTTP/1.1\r\nHost: 10.0.2.2\r\n\r\n");
    expect(web.text()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    const echo = FakeStream.open(services.get(7)!);
    echo.send("ping");
    expect(echo.text()).toBe("ping");
    expect(FakeStream.open(services.get(19)!).written).toBeGreaterThan(0);
  });
});
