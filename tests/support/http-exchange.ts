// Helpers shared by the HTTP service tests: a service whose deferred work runs when the
// test says so, one request/response exchange over a FakeStream, and request builders.
import { fillBlob } from "../../src/backends/net/services/blob.js";
import { createHttpService } from "../../src/backends/net/services/http-server.js";
import { deferQueue, FakeStream, parseHttpResponse, playExchange, type HttpResponse } from "./fake-stream.js";

export const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

/** An HTTP service whose deferred work (blob hashing slices) runs when the test says so. */
export function service(sliceBytes = 1 << 20) {
  const queue = deferQueue();
  const http = createHttpService({ defer: queue.defer, hashSliceBytes: sliceBytes });
  return { http, pending: queue.pending, runDeferred: queue.run };
}

/** Sends the pieces, runs deferred work, acks everything and parses the response. */
export function exchange(pieces: (string | Uint8Array)[], opts: { fin?: boolean } = {}): { stream: FakeStream; response: HttpResponse } {
  const { http, runDeferred } = service();
  const stream = playExchange(http, pieces, { ...opts, settle: runDeferred });
  return { stream, response: parseHttpResponse(stream.output()) };
}

/** A GET the way busybox wget sends it. */
export const get = (target: string): string => `GET ${target} HTTP/1.1\r\nHost: 10.0.2.2\r\nUser-Agent: Wget\r\nConnection: close\r\n\r\n`;

export const blobBytes = (length: number, seed: number): Uint8Array => {
  const out = new Uint8Array(length);
  fillBlob(seed, 0, out);
  return out;
};
