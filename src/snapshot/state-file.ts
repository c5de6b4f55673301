// The machine's state as a file: what the page downloads and uploads and the CLI writes
// with --save and reads with --restore.
//
// Layout (before compression): the magic "RINGSIDE-STATE\n", a little-endian u32 header
// length, the header (UTF-8 JSON), then the byte arrays the header refers to, one after
// another. In the header a byte array is {"$bytes": index, "length": n}: JSON stays small
// and readable (`gunzip -c x.state | head -c 4000` shows it) while guest RAM and disk data
// stay binary. The whole file is gzip-compressed: guest RAM is mostly zeros and text.
//
// Reading is strict: a file that is not ours, truncated, too large or of another version
// gives an Error that says so, before anything is restored.
import type { PlainData } from "./state-reader.js";
import { errorMessage } from "../util/error-message.js";

const MAGIC = new TextEncoder().encode("RINGSIDE-STATE\n");
/** Beyond this a file is refused before it is inflated any further (guest RAM + disk + slack). */
export const MAX_STATE_BYTES = 3 * 1024 * 1024 * 1024;
const MAX_HEADER_BYTES = 64 * 1024 * 1024;

export class StateFileError extends Error {
  override name = "StateFileError";
}

/** Serializes plain data (byte arrays kept aside) and compresses it. */
export async function encodeStateFile(state: PlainData): Promise<Uint8Array> {
  const blobs: Uint8Array[] = [];
  const header = JSON.stringify(state, (_key, value: unknown) => {
    if (value instanceof Uint8Array) {
      blobs.push(value);
      return { $bytes: blobs.length - 1, length: value.length };
    }
    return value;
  });
  const headerBytes = new TextEncoder().encode(header);
  const lengthBytes = new Uint8Array(4);
  new DataView(lengthBytes.buffer).setUint32(0, headerBytes.length, true);
  const parts = [MAGIC, lengthBytes, headerBytes, ...blobs];
  return gzip(parts);
}

/** Inflates and parses a state file; the result is still unchecked plain data. */
export async function decodeStateFile(file: Uint8Array): Promise<unknown> {
  if (file.length < 2 || file[0] !== 0x1f || file[1] !== 0x8b) throw notGzip();
  return parseStateFile(await gunzip(new Blob([file as BlobPart]).stream(), MAX_STATE_BYTES));
}

/**
 * decodeStateFile for a file still arriving (a download's body), in two halves: this one
 * inflates as the bytes come (refusing what is not gzip or inflates past MAX_STATE_BYTES),
 * possibly on another thread than the one that parses with parseStateFile. `onHeader` gets the file's header (its JSON, byte arrays still placeholders) as soon as it
 * has been inflated, long before the byte arrays (guest RAM) are: enough to build the
 * machine the state goes into while the rest arrives.
 */
export function inflateStateStream(file: ReadableStream<Uint8Array<ArrayBuffer>>, onHeader?: (header: unknown) => void): Promise<Uint8Array> {
  const watch = onHeader && ((start: Uint8Array): number => {
    const header = readHeader(start, false);
    if ("need" in header) return header.need;
    onHeader(header.json);
    return 0;
  });
  return gunzip(file.pipeThrough(gzipOnly()), MAX_STATE_BYTES, watch);
}

function notGzip(): StateFileError {
  return new StateFileError("this is not a ringside state file (it is not gzip-compressed)");
}

/** Passes a stream on unchanged once its first two bytes are gzip's magic; errors with notGzip otherwise. */
function gzipOnly(): TransformStream<Uint8Array<ArrayBuffer>, Uint8Array<ArrayBuffer>> {
  const magic = [0x1f, 0x8b];
  let seen = 0;
  return new TransformStream({
    transform(chunk, controller) {
      for (let i = 0; seen < magic.length && i < chunk.length; i++, seen++) {
        if (chunk[i] !== magic[seen]) throw notGzip();
      }
      controller.enqueue(chunk);
    },
    flush() {
      if (seen < magic.length) throw notGzip();
    },
  });
}

/**
 * The header at the start of an inflated file: its JSON and where the byte arrays begin.
 * With `whole` false, `raw` may be the file's first bytes only, and `need` says how many
 * the header takes when they are not all there yet; a file that is not a state, or a
 * header that cannot be one, throws either way.
 */
function readHeader(raw: Uint8Array, whole: false): { json: unknown; end: number } | { need: number };
function readHeader(raw: Uint8Array, whole: true): { json: unknown; end: number };
function readHeader(raw: Uint8Array, whole: boolean): { json: unknown; end: number } | { need: number } {
  const notOurs = (): StateFileError => new StateFileError("this is not a ringside state file (its first line is not RINGSIDE-STATE)");
  const runsPast = (): StateFileError => new StateFileError("the state file is truncated or damaged (its header runs past the end)");
  if (!MAGIC.subarray(0, Math.min(raw.length, MAGIC.length)).every((b, i) => raw[i] === b)) throw notOurs();
  const headerStart = MAGIC.length + 4;
  if (raw.length < headerStart) {
    if (whole) throw notOurs();
    return { need: headerStart };
  }
  const headerLength = new DataView(raw.buffer, raw.byteOffset + MAGIC.length, 4).getUint32(0, true);
  if (headerLength > MAX_HEADER_BYTES) throw runsPast();
  if (headerStart + headerLength > raw.length) {
    if (whole) throw runsPast();
    return { need: headerStart + headerLength };
  }
  try {
    return { json: JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(raw.subarray(headerStart, headerStart + headerLength))), end: headerStart + headerLength };
  } catch (e) {
    throw new StateFileError(`the state file's header is damaged: ${errorMessage(e)}`);
  }
}

/** Parses an inflated state file (inflateStateStream's result); the result is still unchecked plain data. */
export function parseStateFile(raw: Uint8Array): unknown {
  const { json: header, end } = readHeader(raw, true);
  let at = end;
  let expected = 0;
  const revive = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(revive);
    if (typeof value !== "object" || value === null) return value;
    const record = value as Record<string, unknown>;
    if ("$bytes" in record) {
      const { $bytes: index, length } = record;
      if (index !== expected || typeof length !== "number" || !Number.isSafeInteger(length) || length < 0 || at + length > raw.length) {
        throw new StateFileError("the state file is truncated or damaged (a byte array is missing or out of order)");
      }
      expected++;
      const bytes = raw.subarray(at, at + length);
      at += length;
      return bytes;
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(record)) out[k] = revive(v);
    return out;
  };
  const state = revive(header);
  if (at !== raw.length) throw new StateFileError(`the state file has ${raw.length - at} bytes more than its header describes`);
  return state;
}

async function gzip(parts: Uint8Array[]): Promise<Uint8Array> {
  const stream = new Blob(parts as BlobPart[]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * Inflates `file`, refusing output beyond `limit` bytes as soon as it is reached (a small
 * file may inflate hugely). `onStart` is shown the inflated bytes so far
 * once there are at least as many as it last asked for (at first, any), and answers how
 * many it needs next, or 0 for none: the header's few bytes are joined a few times at
 * most, never the whole file at every piece.
 */
async function gunzip(file: ReadableStream<BufferSource>, limit: number, onStart?: (start: Uint8Array) => number): Promise<Uint8Array> {
  const reader = file.pipeThrough(new DecompressionStream("gzip")).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let wanted = onStart ? 1 : 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > limit) {
        await reader.cancel();
        throw new StateFileError(`the state file inflates to more than ${limit} bytes`);
      }
      chunks.push(value);
      if (onStart && wanted > 0 && total >= wanted) wanted = onStart(chunks.length === 1 ? value : joinChunks(chunks, total));
    }
  } catch (e) {
    if (e instanceof StateFileError) throw e;
    throw new StateFileError(`the state file is damaged (gzip: ${errorMessage(e)})`);
  }
  return joinChunks(chunks, total);
}

function joinChunks(chunks: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
