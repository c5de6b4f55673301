// What the state file's download worker (state-download.ts) and the machine's worker
// (state-download-client.ts) say to each other. The worker's name says what to download,
// so that it starts at once: a message to a worker that is still starting waits on the
// page's side until the page's main thread is free to pass it on, and while the instant
// shell starts that thread is busy with the page's own code.
import { carriedByName, nameCarrying } from "./worker-name.js";

/** The download worker's name: this prefix, a space, and the state file's address. */
export const STATE_DOWNLOAD_NAME = "ringside-state-download";

export function stateDownloadName(url: string): string {
  return nameCarrying(STATE_DOWNLOAD_NAME, url);
}

/** The address in a download worker's name, or undefined when the name is not one. */
export function stateDownloadUrl(name: string): string | undefined {
  return carriedByName(STATE_DOWNLOAD_NAME, name);
}

/** From the download worker: its progress, then the file inflated or why not. */
export type StateDownloadReport =
  | { kind: "length"; bytes: number }
  | { kind: "bytes"; bytes: number }
  /** The file's header (its JSON, byte arrays still placeholders), as soon as it is inflated. */
  | { kind: "header"; header: unknown }
  /** The inflated file (its buffer transferred, not copied) and the sha256 of the file as it came. */
  | { kind: "done"; inflated: Uint8Array; sha256: string }
  | { kind: "error"; message: string };

/** A download worker's reports, as they reach whoever reads them: from the worker itself, or passed on through a port. */
export interface StateDownloadReports {
  addEventListener(type: "message", listener: (event: MessageEvent<StateDownloadReport>) => void): void;
}

/** The transfer list that passes `report` on without copying its bytes. */
export function reportTransfer(report: StateDownloadReport): Transferable[] {
  return report.kind === "done" ? [report.inflated.buffer as ArrayBuffer] : [];
}
