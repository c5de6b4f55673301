// Where a boot stopped, shown when the kernel panics or the boot makes no progress
// (boot-watchdog.ts): the panic's line, the last boot phase, the serial port's last lines,
// the way back to the bundled images when the page booted other ones and the plain page. The machine is
// left as it is (a guest that is only slow carries on, and the report goes away when it
// prints again). Guest text is set with textContent, never parsed as HTML.
import type { BootPhase, BootReport } from "../worker/api.js";
import { plainPageLink } from "./way-out.js";

export interface BootReportActions {
  /** Present when the page booted something other than the bundled images. */
  useBundled?: () => void;
}

export interface BootReportView {
  stalled(report: BootReport | null, seconds: number): void;
  panicked(report: BootReport): void;
  /** The guest printed again after a stall. */
  progressed(): void;
}

const PHASE_WORDS: Record<BootPhase, string> = {
  loading: "loading the images",
  firmware: "the firmware (SeaBIOS): the kernel printed nothing yet",
  decompress: "the kernel's decompressor",
  kernel: "the kernel's start-up",
  userspace: "userspace (/init)",
  shell: "the shell",
};

/** "the kernel's start-up" for a phase; the words for no phase at all. */
export function phaseWords(phase: BootPhase | undefined): string {
  return phase ? PHASE_WORDS[phase] : "before the firmware";
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function createBootReportView(section: HTMLElement, actions: BootReportActions): BootReportView {
  let panicked = false;

  function show(kind: "stalled" | "panic", title: string, report: BootReport | null, lines: string[]): void {
    const parts: HTMLElement[] = [el("h2", "boot-report-title", title)];
    for (const line of lines) parts.push(el("p", "boot-report-line", line));
    if (report) {
      parts.push(el("p", "boot-report-phase", `Last boot phase: ${phaseWords(report.phase)}.`));
      parts.push(el("p", "boot-report-label", "The serial port's last lines:"));
      parts.push(el("pre", "boot-report-tail", report.serialTail.length > 0 ? report.serialTail.join("\n") : "(nothing)"));
    }
    const buttons = el("div", "boot-report-actions");
    if (actions.useBundled) {
      const back = el("button", "boot-report-bundled", "Use the bundled images");
      back.type = "button";
      const go = actions.useBundled;
      back.addEventListener("click", () => go());
      buttons.append(back);
    }
    buttons.append(plainPageLink("boot-report-plain"));
    const hide = el("button", "boot-report-hide", "Hide");
    hide.type = "button";
    hide.addEventListener("click", () => (section.hidden = true));
    buttons.append(hide);
    section.replaceChildren(...parts, buttons);
    section.dataset.kind = kind;
    section.hidden = false;
  }

  return {
    stalled(report, seconds) {
      if (panicked) return;
      show("stalled", `The boot has made no progress for ${seconds} s`, report, [
        "No new boot phase and nothing new on the serial port or the terminal: the guest may be stuck, or waiting for input where the page cannot see it.",
        "A kernel whose command line lacks console=ttyS0 prints nothing on the serial port.",
      ]);
    },
    panicked(report) {
      panicked = true;
      show("panic", "The kernel panicked", report, [report.panic ?? "Kernel panic"]);
    },
    progressed() {
      if (section.dataset.kind === "stalled") section.hidden = true;
    },
  };
}
