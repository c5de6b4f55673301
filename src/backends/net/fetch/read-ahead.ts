// Before the response head goes out, the first READ_AHEAD_BYTES of the body are read: if the
// body ends within them its exact length is known and the guest gets a Content-Length. That
// matters because across origins a browser hides Content-Encoding from fetch(), so the
// server's Content-Length may count compressed bytes and is not used (response-head.ts):
// short bodies still get an exact length, longer ones go out chunked.

/** Read before the head is sent; no more than the connection would hold anyway. */
export const READ_AHEAD_BYTES = 64 * 1024;

export interface ReadAhead {
  chunks: Uint8Array[];
  bytes: number;
  /** The body ended within the read-ahead: `bytes` is its length. */
  ended: boolean;
}

/** Reads until READ_AHEAD_BYTES are held or the body ends; `stopped()` ends it early (guest gone). */
export async function readAhead(reader: ReadableStreamDefaultReader<Uint8Array>, stopped: () => boolean): Promise<ReadAhead> {
  const out: ReadAhead = { chunks: [], bytes: 0, ended: false };
  while (out.bytes < READ_AHEAD_BYTES && !stopped()) {
    const result = await reader.read();
    if (result.done) {
      out.ended = true;
      break;
    }
    if (result.value.length === 0) continue;
    out.chunks.push(result.value);
    out.bytes += result.value.length;
  }
  return out;
}
