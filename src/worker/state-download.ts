// The instant shell's snapshot's download worker, which the page starts beside the
// machine's worker (connect.ts): it fetches the file, inflates it and takes its sha256 on
// a thread of its own (state-fetch.ts). In the machine's worker the inflating took 45-60 ms
// of the instant shell's ~400 ms path, one after the other with loading the machine's
// code, building v86 and restoring, on a 2-core machine whose other core was free
// meanwhile. Its reports go to the page, which passes them on to the machine's worker; the
// inflated bytes go transferred, not copied, and the machine's worker parses and checks
// them (state-download-client.ts).
import { errorMessage } from "../util/error-message.js";
import { fetchStateFile } from "./state-fetch.js";
import { reportTransfer, stateDownloadUrl, type StateDownloadReport } from "./state-download-messages.js";

/** Progress goes out at most once per this many bytes: each report is a task for whoever passes it on. */
const REPORT_EVERY_BYTES = 256 * 1024;

function report(message: StateDownloadReport): void {
  self.postMessage(message, { transfer: reportTransfer(message) });
  // One download per worker: done once it has said how it went.
  if (message.kind === "done" || message.kind === "error") self.close();
}

async function download(url: string): Promise<void> {
  let unreported = 0;
  const { inflated, sha256 } = await fetchStateFile(
    url,
    {
      length: (bytes) => report({ kind: "length", bytes }),
      bytes: (bytes) => {
        unreported += bytes;
        if (unreported < REPORT_EVERY_BYTES) return;
        report({ kind: "bytes", bytes: unreported });
        unreported = 0;
      },
    },
    (header) => report({ kind: "header", header }),
  );
  if (unreported > 0) report({ kind: "bytes", bytes: unreported });
  report({ kind: "done", inflated, sha256 });
}

const url = stateDownloadUrl(self.name);
if (url === undefined) report({ kind: "error", message: `a state download worker must be named "ringside-state-download <url>", not ${JSON.stringify(self.name)}` });
else download(url).catch((err: unknown) => report({ kind: "error", message: errorMessage(err) }));
