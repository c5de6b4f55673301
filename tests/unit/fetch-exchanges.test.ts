// The fetch network against a real local HTTP server, through Node's own fetch(): what a
// guest sends on port 80 comes back as the server answered, headers and bodies both ways.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ackUntil, guest, parseResponses, pattern, sha256, startServer, type TestServer } from "../support/fetch-rig.js";

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

const get = (path: string, extra = ""): string => `GET ${server.base}${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: Wget\r\n${extra}\r\n`;

describe("fetch network: exchanges", () => {
  it("carries a GET with its headers both ways", async () => {
    const { stream } = guest();
    stream.send(get("/hello", "Accept: text/plain\r\nX-Guest: 42\r\nConnection: close\r\nCookie: a=b\r\n"));
    await ackUntil(stream, () => stream.ended);
    const [response, ...more] = parseResponses(stream.output());
    expect(more).toEqual([]);
    expect(response!.status).toBe(200);
    expect(response!.headers.get("x-test")).toBe("yes");
    expect(response!.headers.get("connection")).toBe("close");
    const seen = JSON.parse(response!.body.toString()) as { method: string; headers: Record<string, string> };
    expect(seen.method).toBe("GET");
    expect(seen.headers["x-guest"]).toBe("42");
    expect(seen.headers["accept"]).toBe("text/plain");
    // The browser's business, not the guest's: dropped before fetch().
    expect(seen.headers["cookie"]).toBeUndefined();
    expect(seen.headers["user-agent"]).not.toBe("Wget");
    stream.verifyChunksUnmodified();
  });

  it("carries a POST body (Content-Length, with 100-continue) and a chunked upload", async () => {
    const body = pattern(7, 300_000);
    const { stream } = guest();
    stream.send(`POST ${server.base}/upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-test\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\n\r\n`);
    expect(stream.text()).toBe("HTTP/1.1 100 Continue\r\n\r\n");
    // Copies: FakeStream scribbles over what it delivered (a Buffer's slice() is a view).
    for (let i = 0; i < body.length; i += 40_000) stream.send(Uint8Array.from(body.subarray(i, i + 40_000)));
    const chunked = [`POST ${server.base}/upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`, "5\r\nhello\r\n", "7;ext=1\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n"];
    await ackUntil(stream, () => parseSafe(stream.output()).length === 1);
    for (const piece of chunked) stream.send(piece);
    await ackUntil(stream, () => stream.ended);
    const [first, second] = parseResponses(stream.output());
    expect(first!.body.toString()).toBe(`${body.length} ${sha256(body)} application/x-test`);
    expect(second!.body.toString()).toBe(`12 ${sha256(Buffer.from("hello, world"))} `);
  });

  it("passes a chunked response on chunked, and a decompressed body with its real length", async () => {
    const { stream } = guest();
    stream.send(get("/chunked"));
    await ackUntil(stream, () => parseSafe(stream.output()).length === 1);
    stream.send(get("/gzip", "Connection: close\r\n"));
    await ackUntil(stream, () => stream.ended);
    const [chunked, gzip] = parseResponses(stream.output());
    expect(chunked!.body.toString()).toBe("first,second,third");
    const expected = "hello compressed world\n".repeat(100);
    expect(gzip!.headers.get("content-encoding")).toBeUndefined();
    expect(gzip!.headers.get("content-length")).toBe(String(expected.length));
    expect(gzip!.body.toString()).toBe(expected);
  });

  it("streams a long chunked body to a slow guest (one that acks late) in order", async () => {
    const n = 3 * 1024 * 1024 + 17;
    const { stream } = guest();
    stream.send(get("/big?n=" + n, "Connection: close\r\n"));
    await ackUntil(stream, () => stream.ended);
    const [response] = parseResponses(stream.output());
    expect(response!.headers.get("transfer-encoding")).toBe("chunked");
    expect(sha256(response!.body)).toBe(sha256(pattern(0, n)));
  });

  it("keeps the connection for several requests, one after the other and pipelined", async () => {
    const { stream } = guest();
    stream.send(get("/hello"));
    await ackUntil(stream, () => parseSafe(stream.output()).length === 1);
    expect(stream.ended).toBe(false);
    // Two more in one segment: the second waits for the first's response.
    stream.send(get("/chunked") + get("/hello", "Connection: close\r\n"));
    await ackUntil(stream, () => stream.ended);
    const responses = parseResponses(stream.output());
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(responses[1]!.body.toString()).toBe("first,second,third");
    expect(responses.map((r) => r.headers.get("connection"))).toEqual(["keep-alive", "keep-alive", "close"]);
  });

  it("answers HEAD with the length and no body", async () => {
    const { stream } = guest();
    stream.send(`HEAD ${server.base}/big?n=5000&length HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    await ackUntil(stream, () => stream.ended);
    const text = stream.text();
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(text).toContain("content-length: 5000\r\n");
    expect(text.endsWith("\r\n\r\n")).toBe(true);
  });
});

function parseSafe(bytes: Uint8Array): ReturnType<typeof parseResponses> {
  try {
    return parseResponses(bytes);
  } catch {
    return [];
  }
}
