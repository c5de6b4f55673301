// The instant shell's snapshot's download worker, which the page starts beside the
// machine's worker (connect.ts): it fetches the file, inflates it and takes its sha256 on
// a thread of its own (state-fetch.ts). In the machine's worker the inflating took 45-60 ms
// of the instant shell's ~400 ms path, one after the other with loading the machine's
// code, building v86 and restoring, on a 2-core machine whose other core was free
// meanwhile. Its reports go to the page, which passes them on to the machine's worker; the
// inflated bytes go transferred, not copied, and the machine's worker parses and checks
// them (state-download-client.ts).
//
// A reader who comes back has the inflated state in this browser's storage (state-cache.ts):
// the snapshot's record (shell.state.json, beside it) names the file by its sha256, and a
// state kept under that name is read instead of downloaded. The machine's worker checks the
// sha256 against the record it fetched itself, either way.
import { errorMessage } from "../util/error-message.js";
import { fetchStateFile } from "./state-fetch.js";
import { reportTransfer, stateDownloadUrl, type StateDownloadReport } from "./state-download-messages.js";
import { keepState, openStateCache, readKeptState, type KeptFolder } from "./state-cache.js";
import { readShellStateRecord, SHELL_STATE_RECORD } from "../machine/shell-state.js";

/** Progress goes out at most once per this many bytes: each report is a task for whoever passes it on. */
const REPORT_EVERY_BYTES = 256 * 1024;

function report(message: StateDownloadReport): void {
  self.postMessage(message, { transfer: reportTransfer(message) });
}

/** Said in the worker's console (the browser's devtools show it beside the page's). */
function log(message: string): void {
  console.info(`ringside: ${message}`);
}

/** The sha256 the snapshot's record gives the state, or undefined when the record cannot be read (the machine's worker says why). */
async function recordedSha256(url: string): Promise<string | undefined> {
  try {
    const response = await fetch(new URL(SHELL_STATE_RECORD, url).href);
    return response.ok ? readShellStateRecord(await response.json()).stateSha256 : undefined;
  } catch {
    return undefined;
  }
}

/** The state kept in this browser's storage for the file the record names, if any. */
async function keptState(folder: KeptFolder | undefined, sha256: string | undefined): Promise<Uint8Array | undefined> {
  return folder && sha256 ? readKeptState(folder, sha256, log) : undefined;
}

async function download(url: string): Promise<void> {
  const [folder, sha256] = await Promise.all([openStateCache(), recordedSha256(url)]);
  const kept = await keptState(folder, sha256);
  if (kept && sha256) {
    report({ kind: "length", bytes: kept.length });
    report({ kind: "bytes", bytes: kept.length });
    report({ kind: "done", inflated: kept, sha256 });
    return;
  }
  let unreported = 0;
  const fetched = await fetchStateFile(
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
  // Kept only when it is the state the record vouches for (anything else is never looked up),
  // as a copy: the inflated bytes themselves go to the machine's worker first, transferred.
  const copy = folder && fetched.sha256 === sha256 ? fetched.inflated.slice() : undefined;
  report({ kind: "done", ...fetched });
  if (folder && copy) await keepState(folder, fetched.sha256, copy).catch((err: unknown) => log(`the snapshot could not be kept in this browser's storage: ${errorMessage(err)}`));
}

const url = stateDownloadUrl(self.name);
// One download per worker: it closes once it has said how it went (and kept what it downloaded).
if (url === undefined) {
  report({ kind: "error", message: `a state download worker must be named "ringside-state-download <url>", not ${JSON.stringify(self.name)}` });
  self.close();
} else {
  download(url)
    .catch((err: unknown) => report({ kind: "error", message: errorMessage(err) }))
    .finally(() => self.close());
}
