// The machine's worker's side of the instant shell's download worker (state-download.ts,
// started by the page with the machine's own worker: connect.ts), whose reports come
// through a port: progress as it comes, the header as soon as it is out, then the inflated
// file, parsed and checked here.
import { parseStateFile } from "../snapshot/state-file.js";
import { readMachineState, readMachineStateHeader, type MachineSnapshot, type MachineStateHeader } from "../machine/machine-state.js";
import type { StateDownloadReport, StateDownloadReports } from "./state-download-messages.js";
import type { FetchProgress } from "./state-fetch.js";

export type DownloadedState = { sha256: string; snapshot: MachineSnapshot };

/** A download under way: its header as soon as it is in (to build the machine meanwhile), then the whole state. */
export interface ArrivingState {
  header: Promise<MachineStateHeader>;
  whole: Promise<DownloadedState>;
}

/**
 * The download whose reports come from `reports` (a download worker, or a port they are
 * passed on to). Both promises reject with the download's error.
 */
export function downloadedState(reports: StateDownloadReports, progress: FetchProgress): ArrivingState {
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
  let checked: MachineStateHeader | undefined;
  reports.addEventListener("message", (event: MessageEvent<StateDownloadReport>) => {
    const message = event.data;
    try {
      if (message.kind === "length") progress.length(message.bytes);
      else if (message.kind === "bytes") progress.bytes(message.bytes);
      else if (message.kind === "header") settleHeader?.resolve((checked = readMachineStateHeader(message.header)));
      else if (message.kind === "error") fail(new Error(message.message));
      else {
        // The header, from the same file's first bytes, was checked when it came: not again.
        const snapshot = readMachineState(parseStateFile(message.inflated), checked);
        settleHeader?.resolve(snapshot.header);
        settleWhole?.resolve({ sha256: message.sha256, snapshot });
      }
    } catch (err) {
      fail(err);
    }
  });
  return { header, whole };
}
