// The bytes under a share link: deflate-raw compression (CompressionStream, in Chromium and
// Node 20) and base64url text. Decoding never trusts the input: base64 must be canonical,
// and inflation is fed a little at a time and stopped as soon as the output passes a
// limit, so a small link that would inflate to gigabytes (a decompression bomb) costs
// no more than the limit.
import { ShareLinkError } from "./share-config.js";
import { concatBytes } from "../util/concat-bytes.js";

const BASE64URL = /^[A-Za-z0-9_-]*$/;
/**
 * Compressed bytes fed to the inflater per step. Deflate expands at most about 1032:1, so
 * one step can produce at most ~64 KiB before the limit is checked again.
 */
const FEED_BYTES = 64;

export function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  if (!BASE64URL.test(text)) {
    const bad = [...text].find((c) => !BASE64URL.test(c)) ?? "";
    throw new ShareLinkError(`the link's data is not base64url: it has the character ${JSON.stringify(bad)}`);
  }
  if (text.length % 4 === 1) throw new ShareLinkError("the link's data is not base64url: its length is impossible (cut short?)");
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  // Unused low bits in the last character must be zero: one link, one spelling.
  if (toBase64Url(bytes) !== text) throw new ShareLinkError("the link's data is not base64url: its last character is not canonical");
  return bytes;
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
  }
  return concatBytes(chunks);
}


export async function deflateRaw(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const stream = new CompressionStream("deflate-raw");
  const writer = stream.writable.getWriter();
  void writer.write(bytes).catch(() => {});
  void writer.close().catch(() => {});
  return collect(stream.readable);
}

/**
 * Reads `reader` until it ends, failing as soon as more than `limit` bytes have come:
 * then it cancels the stream, which stops whatever produces it.
 */
export async function readAtMost(reader: ReadableStreamDefaultReader<Uint8Array>, limit: number, tooLong: () => Error): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return concatBytes(chunks);
    total += value.length;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      throw tooLong();
    }
    chunks.push(value);
  }
}

/**
 * Inflates deflate-raw `bytes` to at most `limit` bytes. `onFed` (for tests) learns how
 * many compressed bytes were handed to the inflater, to show that a bomb stops early.
 */
export async function inflateRawAtMost(bytes: Uint8Array<ArrayBuffer>, limit: number, onFed?: (fedBytes: number) => void): Promise<Uint8Array> {
  const stream = new DecompressionStream("deflate-raw");
  const writer = stream.writable.getWriter();
  let stopped = false;
  // Written step by step while the output is read: each write waits for the inflater to
  // take the previous bytes, and the inflater waits for the reader (backpressure).
  const feeding = (async () => {
    for (let at = 0; at < bytes.length && !stopped; at += FEED_BYTES) {
      const piece = bytes.subarray(at, at + FEED_BYTES);
      await writer.write(piece);
      onFed?.(Math.min(at + FEED_BYTES, bytes.length));
    }
    if (!stopped) await writer.close();
  })();
  // A failed write shows up as a failed read below; this only keeps it from going unhandled.
  feeding.catch(() => {});
  try {
    const out = await readAtMost(stream.readable.getReader(), limit, () => {
      stopped = true;
      return new ShareLinkError(`the link's data inflates to more than ${limit} bytes (the limit): it is refused`);
    });
    await feeding;
    return out;
  } catch (err) {
    stopped = true;
    void writer.abort().catch(() => {});
    if (err instanceof ShareLinkError) throw err;
    throw new ShareLinkError("the link's data is not valid deflate-compressed data (damaged or cut short?)");
  }
}
