// The machine's worker's side of a state file's download on a worker of its own
// (state-download.ts): progress as it comes, then the inflated file, parsed and checked
// here. The instant shell's download worker is started by the page, with the machine's
// own worker (connect.ts), and its reports come through a port; otherwise this worker
// starts one. Where no worker can be started (a browser without nested workers),
// undefined: the caller downloads on its own thread.
import { parseStateFile } from "../snapshot/state-file.js";
import { readMachineState, type MachineSnapshot } from "../machine/machine-state.js";
import { stateDownloadName, type StateDownloadReport, type StateDownloadReports } from "./state-download-messages.js";

/** Reports a download's length once known, and its bytes as they arrive. */
export interface FetchProgress {
  length(bytes: number): void;
  bytes(bytes: number): void;
}

export type DownloadedState = { sha256: string; snapshot: MachineSnapshot };

/** The state file at `url`, downloaded and inflated on a worker this one starts. */
export function downloadStateElsewhere(url: string, progress: FetchProgress): Promise<DownloadedState> | undefined {
  if (typeof Worker === "undefined") return undefined;
  const worker = new Worker(new URL("./state-download.ts", import.meta.url), { type: "module", name: stateDownloadName(url) });
  const failed = new Promise<never>((_, reject) => {
    worker.addEventListener("error", (event) => {
      event.preventDefault();
      reject(new Error(`cannot download ${url}: its worker failed (${event.message || "it could not start"})`));
    });
  });
  const downloaded = downloadedState(worker, progress);
  return Promise.race([downloaded, failed]).finally(() => worker.terminate());
}

/** The download whose reports come from `reports` (a download worker, or a port they are passed on to). */
export function downloadedState(reports: StateDownloadReports, progress: FetchProgress): Promise<DownloadedState> {
  return new Promise<DownloadedState>((resolve, reject) => {
    reports.addEventListener("message", (event: MessageEvent<StateDownloadReport>) => {
      const message = event.data;
      if (message.kind === "length") progress.length(message.bytes);
      else if (message.kind === "bytes") progress.bytes(message.bytes);
      else if (message.kind === "error") reject(new Error(message.message));
      else {
        try {
          resolve({ sha256: message.sha256, snapshot: readMachineState(parseStateFile(message.inflated)) });
        } catch (err) {
          reject(err);
        }
      }
    });
  });
}
