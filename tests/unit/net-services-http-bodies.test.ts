// The HTTP service's bodies: /blob streamed with backpressure, /blob-sha256 hashed in slices,
// POST /upload hashed as it arrives. Everything is checked against node:crypto.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { STREAM_HIGH_WATER_BYTES, STREAM_LOW_WATER_BYTES } from "../../src/backends/net/stream-service.js";
import { FakeStream, parseHttpResponse } from "../support/fake-stream.js";
import { ascii, blobBytes, exchange, get, service } from "../support/http-exchange.js";

const nodeSha256 = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

describe("HTTP service: /blob and /blob-sha256", () => {
  it("validates bytes and seed", () => {
    for (const q of ["", "bytes=", "bytes=-1", "bytes=1e3", "bytes=4294967296", "bytes=abc", "bytes=1&seed=4294967296", "bytes=1&bytes=2", "bytes=1&seed=x"]) {
      const { response } = exchange([get(`/blob?${q}`)]);
      expect(response.status, q).toBe(400);
      expect(response.body.toString()).toMatch(/bytes|seed/);
      expect(exchange([get(`/blob-sha256?${q}`)]).response.status, q).toBe(400);
    }
    const empty = exchange([get("/blob?bytes=0&seed=00012")]);
    expect(empty.response.status).toBe(200);
    expect(empty.response.headers.get("content-length")).toBe("0");
    expect(empty.stream.ended).toBe(true);
  });

  it("accepts up to 4 GiB - 1 bytes, holding no more than the high-water mark", () => {
    const { http } = service();
    const stream = FakeStream.open(http, { record: false });
    stream.send(get("/blob?bytes=4294967295&seed=9"));
    expect(stream.written).toBeLessThanOrEqual(STREAM_HIGH_WATER_BYTES);
    for (let i = 0; i < 10; i++) stream.ack();
    expect(stream.maxBuffered).toBeLessThanOrEqual(STREAM_HIGH_WATER_BYTES);
    expect(stream.ended).toBe(false);
    stream.close();
    const written = stream.written;
    stream.ack();
    expect(stream.written).toBe(written);
  });

  it("streams with backpressure: stops at the high-water mark, resumes on onWritable", () => {
    const length = 3 * 1024 * 1024 + 17;
    const { http } = service();
    const stream = FakeStream.open(http);
    stream.send(get(`/blob?bytes=${length}&seed=42`));
    expect(stream.bufferedAmount).toBe(STREAM_HIGH_WATER_BYTES);
    // Acks that leave more than the low-water mark wake nothing, and nothing is written.
    const before = stream.written;
    stream.ack(STREAM_HIGH_WATER_BYTES - STREAM_LOW_WATER_BYTES);
    expect(stream.onWritableCalls).toBe(0);
    expect(stream.written).toBe(before);
    stream.ack(1); // crosses the low-water mark
    expect(stream.onWritableCalls).toBe(1);
    expect(stream.bufferedAmount).toBe(STREAM_HIGH_WATER_BYTES);
    expect(stream.ended).toBe(false);
    stream.drain();
    expect(stream.ended).toBe(true);
    expect(stream.maxBuffered).toBeLessThanOrEqual(STREAM_HIGH_WATER_BYTES);
    stream.verifyChunksUnmodified();
    const response = parseHttpResponse(stream.output());
    expect(response.headers.get("content-type")).toBe("application/octet-stream");
    expect(Number(response.headers.get("content-length"))).toBe(length);
    expect(response.body.equals(blobBytes(length, 42))).toBe(true);
  });

  it("gives the sha256 of the /blob bytes, computed in slices between which the machine runs", () => {
    const length = 5 * 1024 * 1024 + 3, seed = 77;
    const body = exchange([get(`/blob?bytes=${length}&seed=${seed}`)]).response.body;
    const { http, pending, runDeferred } = service(1 << 20);
    const stream = FakeStream.open(http);
    stream.send(get(`/blob-sha256?bytes=${length}&seed=${seed}`));
    expect(stream.written).toBe(0);
    expect(pending.length).toBe(1);
    expect(runDeferred()).toBe(5);
    const response = parseHttpResponse(stream.output());
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(response.body.toString()).toBe(`${nodeSha256(body)}\n`);
  });

  it("stops hashing when the connection goes away", () => {
    const { http, pending, runDeferred } = service(1 << 20);
    const stream = FakeStream.open(http);
    stream.send(get("/blob-sha256?bytes=20000000&seed=1234"));
    pending.shift()!();
    stream.close();
    expect(runDeferred()).toBeLessThanOrEqual(1);
    expect(stream.written).toBe(0);
    expect(stream.writesAfterEnd).toBe(0);
  });
});

describe("HTTP service: POST /upload", () => {
  const wgetPost = (length: number): string =>
    `POST /upload HTTP/1.1\r\nHost: 10.0.2.2\r\nUser-Agent: Wget\r\nConnection: close\r\n` +
    `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${length}\r\n\r\n`;

  it("hashes a body arriving in random pieces (sometimes with the head) like node:crypto", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), fc.array(fc.nat({ max: 6000 }), { maxLength: 8 }), (body, cuts) => {
        const all = Buffer.concat([ascii(wgetPost(body.length)), body, ascii("trailing junk")]);
        const points = [...new Set(cuts.map((c) => c % (all.length + 1)))].sort((a, b) => a - b);
        const pieces = [...points, all.length].map((p, i, a) => all.subarray(i === 0 ? 0 : a[i - 1]!, p));
        const { response } = exchange(pieces);
        expect(response.status).toBe(200);
        expect(response.body.toString()).toBe(`${nodeSha256(body)}\n`);
        expect(response.headers.get("x-bytes")).toBe(String(body.length));
      }),
      { numRuns: 300 },
    );
  });

  it("hashes 8 MiB uploads without keeping them", () => {
    const body = blobBytes(8 << 20, 5);
    const pieces = [ascii(wgetPost(body.length))];
    for (let at = 0; at < body.length; at += 1460) pieces.push(body.subarray(at, at + 1460));
    expect(exchange(pieces).response.body.toString()).toBe(`${nodeSha256(body)}\n`);
  });

  it("sends 100 Continue when asked, refuses a missing length, and 400s a short body", () => {
    const r = exchange(["POST /upload HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n", "abc"]).response;
    expect(r.interim).toEqual([100]);
    expect(r.body.toString()).toBe(`${nodeSha256(ascii("abc"))}\n`);
    expect(exchange(["POST /upload HTTP/1.1\r\n\r\n"]).response.status).toBe(411);
    const empty = exchange([wgetPost(0)]).response;
    expect(empty.body.toString()).toBe(`${nodeSha256(new Uint8Array(0))}\n`);
    const short = exchange([wgetPost(10), "abc"], { fin: true }).response;
    expect(short.status).toBe(400);
    expect(short.body.toString()).toContain("3 of 10");
  });
});

describe("HTTP service: POST /discard", () => {
  it("answers with the byte count of a body in pieces, and refuses a missing length", () => {
    const body = blobBytes(3 << 20, 7);
    const pieces = [ascii(`POST /discard HTTP/1.1\r\nHost: 10.0.2.2\r\nContent-Length: ${body.length}\r\n\r\n`)];
    for (let at = 0; at < body.length; at += 65_000) pieces.push(body.subarray(at, at + 65_000));
    const { response } = exchange(pieces);
    expect(response.status).toBe(200);
    expect(response.body.toString()).toBe(`${body.length}\n`);
    expect(response.headers.get("x-bytes")).toBe(String(body.length));
    expect(exchange(["POST /discard HTTP/1.1\r\n\r\n"]).response.status).toBe(411);
    expect(exchange(["POST /discard HTTP/1.1\r\nContent-Length: 10\r\n\r\n", "abc"], { fin: true }).response.status).toBe(400);
  });
});
