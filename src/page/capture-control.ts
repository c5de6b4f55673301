// The inspector's packet capture: Start, Stop and Download of a pcapng file holding every
// frame of the machine's network cards, as the guest sees them. The file is kept in the
// worker up to a fixed size (the control says so, and how many frames a full capture
// dropped); Download works while it runs too (the file so far). The figures are polled only
// while a capture runs. All text is set with textContent.
import type { CaptureView } from "../worker/api.js";
import { errorMessage } from "../util/error-message.js";
import { formatBytes } from "../util/format-bytes.js";
import { el, setText } from "./inspector-dom.js";

/** What the control asks the worker; main.ts wires these to the worker API. */
export interface CaptureSource {
  startCapture(): Promise<CaptureView>;
  stopCapture(): Promise<CaptureView>;
  captureStatus(): Promise<CaptureView>;
  captureFile(): Promise<Uint8Array | null>;
}

export const CAPTURE_FILE_NAME = "ringside-eth0.pcapng";
/** Often enough to watch the count grow, rarely enough to cost the guest nothing. */
const POLL_MS = 1000;

/** One line on the capture: what is in the file and whether it is still growing. */
export function captureSummary(view: CaptureView): string {
  const full = view.dropped > 0 ? `; full: ${view.dropped} frames not recorded` : "";
  const size = `${view.frames} frames, ${formatBytes(view.bytes)} of ${formatBytes(view.limitBytes)}`;
  if (view.running) return `Capturing: ${size}${full}.`;
  if (view.bytes > 0) return `Stopped: ${size}${full}.`;
  if (view.cards === 0) return "No network card to capture.";
  return "Capture every frame of the network cards, as the guest sees them, to a pcapng file.";
}

/** Which buttons make sense now. */
export function captureButtons(view: CaptureView): { start: boolean; stop: boolean; download: boolean } {
  return { start: !view.running && view.cards > 0, stop: view.running, download: view.bytes > 0 };
}

export interface CaptureControl {
  element: HTMLElement;
  /** Asks the worker for the capture's figures (the inspector does on opening: a machine may have booted since). */
  refresh(): void;
}

export function createCaptureControl(source: CaptureSource): CaptureControl {
  const box = el("div", "capture-control");
  const title = el("span", "capture-title", "Packet capture");
  const start = el("button", "capture-start", "Start");
  const stop = el("button", "capture-stop", "Stop");
  const download = el("button", "capture-download", "Download");
  for (const b of [start, stop, download]) b.type = "button";
  const status = el("span", "capture-status");
  status.setAttribute("role", "status");
  box.append(title, start, stop, download, status);

  let polling: ReturnType<typeof setTimeout> | undefined;
  const show = (view: CaptureView): void => {
    const buttons = captureButtons(view);
    start.disabled = !buttons.start;
    stop.disabled = !buttons.stop;
    download.disabled = !buttons.download;
    box.dataset.running = String(view.running);
    box.dataset.frames = String(view.frames);
    box.dataset.cards = String(view.cards);
    setText(status, captureSummary(view));
    clearTimeout(polling);
    polling = view.running ? setTimeout(refresh, POLL_MS) : undefined;
  };
  const failed = (what: string, err: unknown): void => setText(status, `${what}: ${errorMessage(err)}.`);
  function refresh(): void {
    source.captureStatus().then(show, (err: unknown) => failed("No answer from the machine", err));
  }

  start.addEventListener("click", () => {
    source.startCapture().then(show, (err: unknown) => failed("Not started", err));
  });
  stop.addEventListener("click", () => {
    source.stopCapture().then(show, (err: unknown) => failed("Not stopped", err));
  });
  download.addEventListener("click", () => {
    source.captureFile().then((bytes) => {
      if (!bytes) return;
      const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: "application/octet-stream" }));
      const link = document.createElement("a");
      link.href = url;
      link.download = CAPTURE_FILE_NAME;
      link.click();
      // The download has its own reference by the time this runs.
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    }, (err: unknown) => failed("Not downloaded", err));
  });
  show({ running: false, cards: 0, frames: 0, dropped: 0, bytes: 0, limitBytes: 0 });
  return { element: box, refresh };
}
