// The guest is hostile: whatever bytes it sends, in whatever pieces, the fetch network neither
// throws nor holds more than its bounds, and a request it can read is carried exactly.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ackUntil, guest, parseResponses, sha256 } from "../support/fetch-rig.js";

/** A fetch() that answers with the request's method, URL and body hash, and counts its calls. */
function echoFetch(calls: { n: number }): typeof fetch {
  return async (input, init) => {
    calls.n++;
    const body = init?.body instanceof Uint8Array ? init.body : new Uint8Array(0);
    return new Response(`${init?.method ?? "GET"} ${String(input)} ${body.length} ${sha256(body)}`);
  };
}

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

describe("fetch network: a hostile guest", () => {
  it("decodes a body sent as 20000 one-byte chunks", async () => {
    const calls = { n: 0 };
    const { stream } = guest({ name: "h.test" }, { fetch: echoFetch(calls) });
    stream.send("POST /up HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
    const body = new Uint8Array(20_000).map((_, i) => i & 0xff);
    for (let i = 0; i < body.length; i += 1000) {
      let text = "";
      for (let j = i; j < i + 1000; j++) text += `1;x\r\n${String.fromCharCode(body[j]!)}\r\n`;
      stream.send(Uint8Array.from(text, (c) => c.charCodeAt(0)));
    }
    stream.send("0\r\n\r\n");
    await ackUntil(stream, () => stream.ended);
    expect(parseResponses(stream.output())[0]!.body.toString()).toBe(`POST http://h.test/up 20000 ${sha256(body)}`);
  });

  it("never throws or writes without bound, whatever bytes arrive in whatever pieces", { timeout: 60_000 }, async () => {
    const request = fc.constantFrom(
      "GET /a HTTP/1.1\r\nHost: x\r\n\r\n",
      "POST /b HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
      "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n",
      "HEAD /d HTTP/1.0\r\n\r\n",
      "GET http://elsewhere.test:8080/e HTTP/1.1\r\n\r\n",
    );
    const noise = fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.constantFrom("\r\n", "\n\n", "Content-Length: 99999999999\r\n", "ffffffff\r\n", ": x\r\n", "GET", " "));
    const piece = fc.oneof(request.map((r) => new TextEncoder().encode(r)), noise.map((n) => (typeof n === "string" ? new TextEncoder().encode(n) : n)));
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { maxLength: 12 }), fc.boolean(), async (pieces, fin) => {
        const calls = { n: 0 };
        const { stream } = guest({ name: "h.test" }, { fetch: echoFetch(calls) });
        for (const p of pieces) {
          // A paused reader gets nothing (FakeStream refuses it, as the stack would).
          stream.send(p);
          await settle();
          stream.ack();
        }
        if (fin) stream.sendEnd();
        for (let i = 0; i < 5; i++) (await settle(), stream.ack());
        expect(stream.writesAfterEnd).toBe(0);
        expect(stream.maxBuffered).toBeLessThan(256 * 1024);
        // Each fetch comes from one complete request: never more fetches than requests sent.
        expect(calls.n).toBeLessThanOrEqual(pieces.length);
        stream.verifyChunksUnmodified();
        stream.close();
      }),
      { numRuns: 150 },
    );
  });
});
