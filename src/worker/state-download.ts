// A worker of the machine's worker, for one state file's download (the instant shell's
// snapshot): it fetches the file, inflates it and takes its sha256 on a thread of its own.
// In the machine's worker the inflating took 45-60 ms of the instant shell's ~300 ms path,
// one after the other with loading the machine's code, building v86 and restoring, on a
// 2-core machine whose other core was free meanwhile. The inflated bytes come back
// transferred, not copied; the machine's worker parses and checks them
// (state-download-client.ts).
import { inflateStateStream } from "../snapshot/state-file.js";
import { concatBytes } from "../util/concat-bytes.js";
import { errorMessage } from "../util/error-message.js";
import { sha256Hex } from "../util/sha256-hex.js";
import { openDownload } from "./load-images.js";
import { reportTransfer, stateDownloadUrl, type StateDownloadReport } from "./state-download-messages.js";

/** Progress goes out at most once per this many bytes: each report is a task for whoever passes it on. */
const REPORT_EVERY_BYTES = 256 * 1024;

function report(message: StateDownloadReport): void {
  self.postMessage(message, { transfer: reportTransfer(message) });
  // One download per worker: done once it has said how it went.
  if (message.kind === "done" || message.kind === "error") self.close();
}

async function download(url: string): Promise<void> {
  const response = await openDownload(url);
  report({ kind: "length", bytes: Number(response.headers.get("content-length") ?? 0) });
  const body = response.body ?? new Blob([await response.arrayBuffer()]).stream();
  const parts: Uint8Array[] = [];
  let unreported = 0;
  const kept = new TransformStream<Uint8Array<ArrayBuffer>, Uint8Array<ArrayBuffer>>({
    transform(chunk, controller) {
      parts.push(chunk);
      unreported += chunk.length;
      if (unreported >= REPORT_EVERY_BYTES) {
        report({ kind: "bytes", bytes: unreported });
        unreported = 0;
      }
      controller.enqueue(chunk);
    },
    flush() {
      if (unreported > 0) report({ kind: "bytes", bytes: unreported });
    },
  });
  const inflated = await inflateStateStream(body.pipeThrough(kept), (header) => report({ kind: "header", header }));
  // The inflating read the download to its end: every part is in.
  const sha256 = await sha256Hex(concatBytes(parts));
  report({ kind: "done", inflated, sha256 });
}

const url = stateDownloadUrl(self.name);
if (url === undefined) report({ kind: "error", message: `a state download worker must be named "ringside-state-download <url>", not ${JSON.stringify(self.name)}` });
else download(url).catch((err: unknown) => report({ kind: "error", message: errorMessage(err) }));
