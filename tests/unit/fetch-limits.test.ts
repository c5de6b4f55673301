// The fetch network's bounds and failures: a large body goes through without being held, a
// malformed or oversized request is refused, a fetch the browser refuses becomes an error page,
// and a guest that goes away stops the fetch.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFetchOutbound } from "../../src/backends/net/fetch/fetch-outbound.js";
import { MAX_UPLOAD_BYTES } from "../../src/backends/net/fetch/request-body.js";
import { STREAM_HIGH_WATER_BYTES } from "../../src/backends/net/stream-service.js";
import { FakeStream } from "../support/fake-stream.js";
import { ackUntil, closedPort, guest, parseResponses, pattern, startServer, type TestServer } from "../support/fetch-rig.js";

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

const until = async (cond: () => boolean, ms = 5000): Promise<void> => {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 2));
  }
};

describe("fetch network: bounds", () => {
  it("streams a 32 MiB body, never holding more than writableBytes outstanding", { timeout: 60_000 }, async () => {
    const n = 32 * 1024 * 1024;
    const { stream } = guest({}, { record: false });
    // The head goes out in one write; everything after it is the body.
    const body = createHash("sha256");
    let head = "";
    const write = stream.write.bind(stream);
    stream.write = (bytes: Uint8Array): void => {
      if (stream.writeCalls === 0) head = Buffer.from(bytes).toString("latin1");
      else body.update(bytes);
      write(bytes);
    };
    stream.send(`GET ${server.base}/big?n=${n}&length HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    await ackUntil(stream, () => stream.ended, 50_000);
    expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*content-length: 33554432\r\n[^]*\r\n\r\n$/);
    expect(stream.written - head.length).toBe(n);
    expect(body.digest("hex")).toBe(createHash("sha256").update(pattern(0, n)).digest("hex"));
    expect(stream.maxBuffered).toBeLessThanOrEqual(STREAM_HIGH_WATER_BYTES);
    expect(stream.onWritableCalls).toBeGreaterThan(100);
  });

  it("answers a malformed request 400 and closes", async () => {
    for (const bad of ["GET /x\r\n\r\n", "GET / HTTP/1.1\r\nBad Header\r\n\r\n", `POST ${server.base}/upload HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n`, `POST ${server.base}/upload HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n`]) {
      const { stream, logs } = guest();
      stream.send(bad);
      const [response] = parseResponses(stream.output());
      expect(response!.status, bad).toBe(400);
      expect(stream.ended).toBe(true);
      expect(logs.join("\n")).toMatch(/400/);
    }
    expect(server.seen.filter((s) => s.startsWith("POST"))).toEqual([]);
  });

  it("refuses heads that are too long, bodies over the cap, and methods fetch() cannot send", async () => {
    const cases: [string, number][] = [
      [`GET / HTTP/1.1\r\nX: ${"a".repeat(20_000)}\r\n\r\n`, 431],
      [`GET / HTTP/1.1\r\n${"X-A: b\r\n".repeat(101)}\r\n`, 431],
      [`POST ${server.base}/upload HTTP/1.1\r\nContent-Length: ${MAX_UPLOAD_BYTES + 1}\r\nExpect: 100-continue\r\n\r\n`, 413],
      [`TRACE / HTTP/1.1\r\n\r\n`, 501],
      [`CONNECT example.com:443 HTTP/1.1\r\n\r\n`, 501],
      [`GET / HTTP/2.0\r\n\r\n`, 505],
    ];
    for (const [request, status] of cases) {
      const { stream } = guest();
      stream.send(request);
      expect(parseResponses(stream.output())[0]!.status, request.slice(0, 40)).toBe(status);
      expect(stream.ended).toBe(true);
    }
  });

  it("refuses a chunked upload that grows past the cap, without holding more", async () => {
    const { stream } = guest();
    stream.send(`POST ${server.base}/upload HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n`);
    const piece = new Uint8Array(1 << 20);
    for (let i = 0; i < 16; i++) stream.send(concat("100000\r\n", piece, "\r\n"));
    expect(stream.written).toBe(0);
    stream.send("1\r\n");
    expect(parseResponses(stream.output())[0]!.status).toBe(413);
  });

  it("holds at most the shared budget for uploads of all connections (503 beyond), and gives it back", () => {
    const post = `POST ${server.base}/upload HTTP/1.1\r\nContent-Length: ${MAX_UPLOAD_BYTES}\r\n\r\n`;
    const outbound = createFetchOutbound({ fetch, log: () => undefined });
    const open = () => FakeStream.open((c) => outbound({ ip: "198.18.0.9", port: 80 }, c));
    const holding = [open(), open(), open(), open()];
    for (const s of holding) s.send(post);
    const fifth = open();
    fifth.send(post);
    expect(parseResponses(fifth.output())[0]!.status).toBe(503);
    holding[0]!.close(); // a guest that goes away gives its share back
    const sixth = open();
    sixth.send(post);
    expect(sixth.written).toBe(0);
    for (const s of [...holding.slice(1), sixth]) s.close();
  });

  it("resets connections to other ports than 80", () => {
    const { stream } = guest({ port: 443 });
    expect(stream.aborted).toBe(true);
  });
});

describe("fetch network: failures", () => {
  it("turns a refused fetch into a 502 page naming the URL, the reason and CORS", async () => {
    const port = await closedPort();
    const { stream, logs } = guest();
    stream.send(`GET http://127.0.0.1:${port}/file HTTP/1.1\r\nHost: x\r\n\r\n`);
    await ackUntil(stream, () => stream.ended);
    const [response] = parseResponses(stream.output());
    expect(response!.status).toBe(502);
    expect(response!.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = response!.body.toString();
    expect(text).toContain(`http://127.0.0.1:${port}/file`);
    expect(text).toMatch(/ECONNREFUSED/);
    expect(text).toContain("Access-Control-Allow-Origin");
    expect(text).toContain("http://page.test");
    expect(text).toContain("The server did not answer the browser");
    expect(logs.join("\n")).toMatch(/failed/);
  });

  it("tells a CORS refusal from no answer by an opaque HEAD probe", async () => {
    const asked: string[] = [];
    const browserLike: typeof fetch = (_input, init) => {
      asked.push(`${init?.method} ${init?.mode ?? "cors"}`);
      // What a browser does for a server without Access-Control-Allow-Origin.
      if (init?.mode === "no-cors") return Promise.resolve(new Response(null, { status: 200 }));
      return Promise.reject(new TypeError("Failed to fetch"));
    };
    const { stream, logs } = guest({ name: "no-cors.test" }, { fetch: browserLike });
    stream.send("GET /x HTTP/1.1\r\nHost: no-cors.test\r\n\r\n");
    await ackUntil(stream, () => stream.ended);
    const text = parseResponses(stream.output())[0]!.body.toString();
    expect(asked).toEqual(["GET cors", "HEAD no-cors"]);
    expect(text).toContain("reason: TypeError: Failed to fetch");
    expect(text).toContain("The server answered, but the browser keeps its response from this page: CORS");
    expect(logs.join("\n")).toMatch(/CORS/);
  });

  it("fetches origin-form requests from the name the guest looked up", async () => {
    const urls: string[] = [];
    const fake: typeof fetch = (input) => {
      urls.push(String(input));
      return Promise.resolve(new Response("ok", { status: 200 }));
    };
    const { stream } = guest({ name: "example.com" }, { fetch: fake });
    stream.send("GET /a/b?c=d HTTP/1.1\r\nHost: example.com\r\n\r\n");
    await ackUntil(stream, () => parseResponses(stream.output()).length === 1);
    const { stream: byIp } = guest({ ip: "93.184.215.14" }, { fetch: fake });
    byIp.send("GET / HTTP/1.0\r\n\r\n");
    await ackUntil(byIp, () => byIp.ended);
    expect(urls).toEqual(["http://example.com/a/b?c=d", "http://93.184.215.14/"]);
    const { stream: bad } = guest({ name: "a/b@c" }, { fetch: fake });
    bad.send("GET / HTTP/1.1\r\n\r\n");
    expect(parseResponses(bad.output())[0]!.status).toBe(400);
  });

  it("aborts the fetch when the guest goes away mid-body", async () => {
    const before = server.abortedResponses;
    const { stream } = guest();
    stream.send(`GET ${server.base}/stall HTTP/1.1\r\nHost: x\r\n\r\n`);
    await ackUntil(stream, () => stream.written > 100_000);
    stream.close();
    await until(() => server.abortedResponses > before);
    expect(stream.writesAfterEnd).toBe(0);
  });
});

function concat(head: string, body: Uint8Array, tail: string): Uint8Array {
  const a = new TextEncoder().encode(head);
  const c = new TextEncoder().encode(tail);
  const out = new Uint8Array(a.length + body.length + c.length);
  out.set(a);
  out.set(body, a.length);
  out.set(c, a.length + body.length);
  return out;
}
