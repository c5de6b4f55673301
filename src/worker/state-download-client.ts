// The machine's worker's side of a state file's download on a worker of its own
// (state-download.ts): progress as it comes, then the inflated file, parsed and checked
// here. The instant shell's download worker is started by the page, with the machine's
// own worker (connect.ts), and its reports come through a port; otherwise this worker
// starts one. Where no worker can be started (a browser without nested workers),
// undefined: the caller downloads on its own thread.
import { parseStateFile } from "../snapshot/state-file.js";
import { readMachineState, readMachineStateHeader, type MachineSnapshot, type MachineStateHeader } from "../machine/machine-state.js";
import { stateDownloadName, type StateDownloadReport, type StateDownloadReports } from "./state-download-messages.js";

/** Reports a download's length once known, and its bytes as they arrive. */
export interface FetchProgress {
  length(bytes: number): void;
  bytes(bytes: number): void;
}

export type DownloadedState = { sha256: string; snapshot: MachineSnapshot };

/** A download under way: its header as soon as it is in (to build the machine meanwhile), then the whole state. */
export interface ArrivingState {
  header: Promise<MachineStateHeader>;
  whole: Promise<DownloadedState>;
}

/** The state file at `url`, downloaded and inflated on a worker this one starts. */
export function downloadStateElsewhere(url: string, progress: FetchProgress): ArrivingState | undefined {
  if (typeof Worker === "undefined") return undefined;
  const worker = new Worker(new URL("./state-download.ts", import.meta.url), { type: "module", name: stateDownloadName(url) });
  const arriving = downloadedState(worker, progress);
  worker.addEventListener("error", (event) => {
    event.preventDefault();
    arriving.fail(`cannot download ${url}: its worker failed (${event.message || "it could not start"})`);
  });
  void arriving.whole.catch(() => {}).finally(() => worker.terminate());
  return arriving;
}

/**
 * The download whose reports come from `reports` (a download worker, or a port they are
 * passed on to). Both promises reject with the download's error; `fail` rejects them
 * from outside (the worker itself failed).
 */
export function downloadedState(reports: StateDownloadReports, progress: FetchProgress): ArrivingState & { fail(why: string): void } {
  let settleHeader: { resolve(h: MachineStateHeader): void; reject(e: unknown): void } | undefined;
  let settleWhole: { resolve(s: DownloadedState): void; reject(e: unknown): void } | undefined;
  const header = new Promise<MachineStateHeader>((resolve, reject) => (settleHeader = { resolve, reject }));
  const whole = new Promise<DownloadedState>((resolve, reject) => (settleWhole = { resolve, reject }));
  // Whoever awaits one may never await the other: neither is an unhandled rejection.
  header.catch(() => {});
  whole.catch(() => {});
  const fail = (err: unknown): void => {
    settleHeader?.reject(err);
    settleWhole?.reject(err);
  };
  reports.addEventListener("message", (event: MessageEvent<StateDownloadReport>) => {
    const message = event.data;
    try {
      if (message.kind === "length") progress.length(message.bytes);
      else if (message.kind === "bytes") progress.bytes(message.bytes);
      else if (message.kind === "header") settleHeader?.resolve(readMachineStateHeader(message.header));
      else if (message.kind === "error") fail(new Error(message.message));
      else {
        const snapshot = readMachineState(parseStateFile(message.inflated));
        settleHeader?.resolve(snapshot.header);
        settleWhole?.resolve({ sha256: message.sha256, snapshot });
      }
    } catch (err) {
      fail(err);
    }
  });
  return { header, whole, fail: (why) => fail(new Error(why)) };
}
