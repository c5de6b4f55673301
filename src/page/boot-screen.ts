// What the terminal shows while it is still blank: the machine's boot in words (each step
// with the time it was reached), what the page is doing that the guest cannot print
// (fetching the images, opening or creating the disk in this browser's storage) and the
// kernel log's last lines from the serial port. It goes away at the guest's first console
// output, so a reader never stares at an empty black box wondering whether anything runs.
// Guest text is set with textContent, never parsed as HTML.
import type { BootPhase } from "../worker/api.js";
import { formatMiB } from "../util/format-bytes.js";
import { el } from "./inspector-dom.js";
import { onPageFailure } from "./page-failure.js";
import "./boot-screen.css";

/** What a start loads first: the images for a boot, the shipped snapshot, or a state file. */
export type StartingFrom = "images" | "snapshot" | "state";

export interface BootScreen {
  /** Says what the loading step fetches for this start (the images until told otherwise). */
  startsFrom(what: StartingFrom): void;
  phase(phase: BootPhase, ms: number): void;
  loadProgress(loaded: number, total: number): void;
  /** A line from the machine itself (the worker's log: the disk being opened). */
  note(text: string): void;
  serial(bytes: Uint8Array): void;
  /** The guest's console printed: the terminal is no longer blank. */
  consoleStarted(): void;
  failed(why: string): void;
}

const PHASE_WORDS: Record<BootPhase, string> = {
  loading: "fetching the images (kernel, initrd, firmware)",
  firmware: "firmware (SeaBIOS) started",
  decompress: "the kernel is decompressing itself",
  kernel: "the kernel started",
  userspace: "userspace started (/init)",
  shell: "the shell is up",
};

const LOADING_WORDS: Record<StartingFrom, string> = {
  images: PHASE_WORDS.loading,
  snapshot: "fetching the instant shell's snapshot and the firmware",
  state: "reading the saved state, fetching the firmware",
};

/** Kernel log lines kept on screen: the latest ones, as a tail. */
const SERIAL_LINES = 8;

/** "at 0.42 s": when a step was reached, counted from the start of the boot. */
export function reachedAt(ms: number): string {
  return `at ${(ms / 1000).toFixed(2)} s`;
}

export function createBootScreen(terminal: HTMLElement): BootScreen {
  const screen = el("div", "boot-screen");
  screen.setAttribute("role", "status");
  screen.setAttribute("aria-label", "What the machine is doing");
  const steps = el("ol", "boot-screen-steps");
  const log = el("pre", "boot-screen-log");
  screen.append(el("p", "boot-screen-title", "Starting the machine: the console is still blank"), steps, log);
  terminal.append(screen);
  document.body.dataset.bootScreen = "shown";
  const decoder = new TextDecoder();
  let serialText = "";
  let gone = false;
  let loadingLine: HTMLElement | undefined;
  let loadingWords = PHASE_WORDS.loading;

  function line(text: string, kind: string): HTMLElement {
    const item = el("li", kind, text);
    steps.append(item);
    return item;
  }

  const view: BootScreen = {
    startsFrom(what) {
      loadingWords = LOADING_WORDS[what];
    },
    phase(phase, ms) {
      if (gone) return;
      const item = line(`${phase === "loading" ? loadingWords : PHASE_WORDS[phase]} ${reachedAt(ms)}`, "boot-screen-step");
      item.dataset.phase = phase;
      if (phase === "loading") loadingLine = item;
    },
    loadProgress(loaded, total) {
      if (gone || !loadingLine) return;
      const amount = total > 0 ? `${formatMiB(loaded)} of ${formatMiB(total)}` : formatMiB(loaded);
      loadingLine.dataset.progress = amount;
    },
    note(text) {
      if (!gone) line(text, "boot-screen-note");
    },
    serial(bytes) {
      if (gone) return;
      serialText = (serialText + decoder.decode(bytes, { stream: true }).replace(/\r/g, "")).slice(-4000);
      log.textContent = serialText.split("\n").filter((l) => l.trim() !== "").slice(-SERIAL_LINES).join("\n");
    },
    consoleStarted() {
      if (gone) return;
      gone = true;
      screen.remove();
      document.body.dataset.bootScreen = "gone";
    },
    failed(why) {
      if (gone) return;
      screen.classList.add("failed");
      line(`failed: ${why}`, "boot-screen-failed");
    },
  };
  onPageFailure((why) => view.failed(why));
  return view;
}
