// A state file's download: fetched, inflated as it arrives, and its sha256 (of the file as
// it came, what the shipped snapshot's record vouches for) taken as soon as the last byte
// is in, while the inflating catches up. The one way to download a state, whichever
// thread does it: the instant shell's download worker (state-download.ts) or the machine's
// own thread when no download worker was started (state-boot.ts).
import { inflateStateStream } from "../snapshot/state-file.js";
import { concatBytes } from "../util/concat-bytes.js";
import { sha256Hex } from "../util/sha256-hex.js";
import { openDownload } from "./load-images.js";

/** Reports a download's length once known, and its bytes as they arrive. */
export interface FetchProgress {
  length(bytes: number): void;
  bytes(bytes: number): void;
}

/**
 * The inflated file at `url` (not yet parsed: state-file.ts, parseStateFile) and the
 * sha256 of the file as it came. `onHeader` gets the file's header as soon as it is
 * inflated (inflateStateStream).
 */
export async function fetchStateFile(url: string, progress: FetchProgress, onHeader?: (header: unknown) => void): Promise<{ inflated: Uint8Array; sha256: string }> {
  const response = await openDownload(url);
  progress.length(Number(response.headers.get("content-length") ?? 0));
  const body = response.body ?? new Blob([await response.arrayBuffer()]).stream();
  const parts: Uint8Array[] = [];
  let sha256: Promise<string> | undefined;
  const kept = new TransformStream<Uint8Array<ArrayBuffer>, Uint8Array<ArrayBuffer>>({
    transform(chunk, controller) {
      parts.push(chunk);
      progress.bytes(chunk.length);
      controller.enqueue(chunk);
    },
    flush() {
      sha256 = sha256Hex(concatBytes(parts));
    },
  });
  const inflated = await inflateStateStream(body.pipeThrough(kept), onHeader);
  // The inflating read the download to its end, so the flush has run.
  if (!sha256) throw new Error(`${url}: the state file ended before its download did`);
  return { inflated, sha256: await sha256 };
}
