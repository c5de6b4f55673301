// How the fetch network frames what fetch() hands over, with stand-in fetch() answers for what
// a local server cannot make Node's fetch() do: a browser's CORS-filtered headers (where the
// server's Content-Length may count compressed bytes) and a body that breaks its own length.
import { describe, expect, it } from "vitest";
import { READ_AHEAD_BYTES } from "../../src/backends/net/fetch/read-ahead.js";
import { ackUntil, guest, parseResponses, pattern, sha256 } from "../support/fetch-rig.js";

/** A fetch() answering every request with `body` and `headers`, as a browser would with `type`. */
function answering(body: Uint8Array, headers: Record<string, string>, type: ResponseType = "default"): typeof fetch {
  return () => {
    const response = new Response(new Blob([Uint8Array.from(body)]).stream(), { status: 200, headers });
    Object.defineProperty(response, "type", { value: type });
    return Promise.resolve(response);
  };
}

const get = "GET /file HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n";

describe("fetch network: response framing", () => {
  it("does not trust a cross-origin Content-Length (it may count compressed bytes): chunked instead", async () => {
    const body = pattern(3, READ_AHEAD_BYTES * 3);
    const { stream } = guest({ name: "example.com" }, { fetch: answering(body, { "content-length": "1000" }, "cors") });
    stream.send(get);
    await ackUntil(stream, () => stream.ended);
    const [response] = parseResponses(stream.output());
    expect(response!.headers.get("transfer-encoding")).toBe("chunked");
    expect(sha256(response!.body)).toBe(sha256(body));
  });

  it("gives a short body its exact length whatever the headers said", async () => {
    const body = pattern(5, 1234);
    const { stream } = guest({ name: "example.com" }, { fetch: answering(body, { "content-length": "99" }, "cors") });
    stream.send(get);
    await ackUntil(stream, () => stream.ended);
    const [response] = parseResponses(stream.output());
    expect(response!.headers.get("content-length")).toBe("1234");
    expect(sha256(response!.body)).toBe(sha256(body));
  });

  it("resets the guest's connection when a body breaks the length already sent", async () => {
    const body = pattern(9, READ_AHEAD_BYTES * 2);
    const { stream, logs } = guest({ name: "example.com" }, { fetch: answering(body, { "content-length": String(READ_AHEAD_BYTES * 4) }) });
    stream.send(get);
    await ackUntil(stream, () => stream.aborted);
    expect(stream.ended).toBe(false);
    expect(logs.join("\n")).toMatch(/ended after 131072 of the 262144 bytes/);
  });

  it("sends an HTTP/1.0 guest a body of unknown length delimited by the connection's end", async () => {
    const body = pattern(11, READ_AHEAD_BYTES * 2 + 5);
    const { stream } = guest({ name: "example.com" }, { fetch: answering(body, {}) });
    stream.send("GET /file HTTP/1.0\r\n\r\n");
    await ackUntil(stream, () => stream.ended);
    const [response] = parseResponses(stream.output());
    expect(response!.headers.get("connection")).toBe("close");
    expect(response!.headers.has("content-length")).toBe(false);
    expect(sha256(response!.body)).toBe(sha256(body));
  });
});
