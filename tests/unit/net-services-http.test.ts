// The HTTP service's request handling: incremental parsing (split anywhere), routing, and
// malformed or random input always answered with a well-formed error, never a throw.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { MAX_HEAD_BYTES } from "../../src/backends/net/services/http-request.js";
import { FakeStream, parseHttpResponse } from "../support/fake-stream.js";
import { ascii, blobBytes, exchange, get, service } from "../support/http-exchange.js";

describe("HTTP service: requests", () => {
  it("serves the home page listing the routes, then closes", () => {
    const { stream, response } = exchange([get("/")]);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(response.headers.get("connection")).toBe("close");
    expect(Number(response.headers.get("content-length"))).toBe(response.body.length);
    for (const path of ["/blob", "/blob-sha256", "/upload"]) expect(response.body.toString()).toContain(path);
    expect(stream.ended).toBe(true);
  });

  it("parses a request split at every byte boundary, and byte by byte", () => {
    const request = ascii(get("/blob?bytes=300&seed=3"));
    const whole = exchange([request]).stream.text();
    for (let cut = 0; cut <= request.length; cut++) {
      expect(exchange([request.subarray(0, cut), request.subarray(cut)]).stream.text(), `cut at ${cut}`).toBe(whole);
    }
    expect(exchange([...request].map((b) => Uint8Array.of(b))).stream.text()).toBe(whole);
    expect(parseHttpResponse(Buffer.from(whole, "latin1")).body.equals(blobBytes(300, 3))).toBe(true);
  });

  it("accepts bare LF line ends, leading blank lines, absolute-form targets and HTTP/1.0", () => {
    for (const raw of [
      "GET /blob?bytes=5 HTTP/1.1\nHost: x\n\n",
      "\r\nGET /blob?bytes=5 HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET http://10.0.2.2/blob?bytes=5 HTTP/1.1\r\n\r\n",
      "GET /blob?seed=0&bytes=5#frag HTTP/1.0\r\n\r\n",
    ]) {
      const { response } = exchange([raw]);
      expect(response.status, JSON.stringify(raw)).toBe(200);
      expect(response.body.equals(blobBytes(5, 0))).toBe(true);
    }
  });

  it("answers 404 and 405 (with Allow)", () => {
    expect(exchange([get("/nope")]).response.status).toBe(404);
    const r = exchange(["DELETE /blob HTTP/1.1\r\n\r\n"]).response;
    expect(r.status).toBe(405);
    expect(r.headers.get("allow")).toBe("GET, HEAD");
    expect(exchange(["GET /upload HTTP/1.1\r\n\r\n"]).response.headers.get("allow")).toBe("POST");
  });

  it("answers HEAD with the head only", () => {
    const { response } = exchange(["HEAD /blob?bytes=1000 HTTP/1.1\r\n\r\n"]);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-length")).toBe("1000");
    expect(response.body.length).toBe(0);
  });

  it("refuses malformed requests with a 4xx/5xx reason", () => {
    const cases: [string, number][] = [
      ["GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", 400], // bare CR
      ["GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400],
      ["GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400],
      ["GET /  HTTP/1.1\r\n\r\n", 400],
      ["GET / HTTP/2.0\r\n\r\n", 505],
      ["GET / FTP/1.0\r\n\r\n", 400],
      ["G(T / HTTP/1.1\r\n\r\n", 400],
      ["GET nopath HTTP/1.1\r\n\r\n", 400],
      ["GET /blob?bytes=%zz HTTP/1.1\r\n\r\n", 400],
      ["\r\n\r\n", 400],
      ["GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400],
      ["GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400],
      ["POST /upload HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 501],
      ["POST /upload HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 400],
    ];
    for (const [raw, status] of cases) {
      const { stream, response } = exchange([raw]);
      expect(response.status, JSON.stringify(raw)).toBe(status);
      expect(response.body.length).toBeGreaterThan(0);
      expect(stream.ended).toBe(true);
    }
  });

  it("answers 431 to a head longer than 16 KiB and holds no more of it", () => {
    const { http } = service();
    const stream = FakeStream.open(http);
    stream.send("GET / HTTP/1.1\r\n");
    const filler = `X-Filler: ${"a".repeat(1000)}\r\n`;
    for (let i = 0; i < 100 && !stream.ended; i++) stream.send(filler);
    expect(stream.ended).toBe(true);
    expect(parseHttpResponse(stream.output()).status).toBe(431);
    expect(stream.written).toBeLessThan(1000);
    expect(MAX_HEAD_BYTES).toBe(16 * 1024);
  });

  it("answers one request per connection: a pipelined second request is ignored", () => {
    const { stream, response } = exchange([get("/blob?bytes=10") + get("/")]);
    expect(response.body.equals(blobBytes(10, 0))).toBe(true);
    expect(stream.ended).toBe(true);
  });

  it("closes quietly on FIN with no request, and answers 400 to a truncated head", () => {
    const { http } = service();
    const quiet = FakeStream.open(http);
    quiet.sendEnd();
    expect(quiet.ended).toBe(true);
    expect(quiet.written).toBe(0);
    expect(exchange(["GET / HTTP/1.1\r\nHost"], { fin: true }).response.status).toBe(400);
  });

  it("never throws and always answers well-formed on random input", () => {
    const valid = ascii(get("/blob?bytes=10&seed=1"));
    const mutated = fc
      .array(fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 })
      .map((edits) => {
        const copy = valid.slice();
        for (const [at, byte] of edits) copy[at] = byte;
        return copy;
      });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 400 }), mutated), fc.nat({ max: 400 }), (input, cut) => {
        const at = cut % (input.length + 1);
        const { stream, response } = exchange([input.subarray(0, at), input.subarray(at)], { fin: true });
        expect([200, 400, 404, 405, 411, 501, 505]).toContain(response.status);
        expect(Number(response.headers.get("content-length"))).toBe(response.body.length);
        expect(stream.ended).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});
