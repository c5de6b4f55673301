// The boot watchdog (boot-watchdog.ts) reporting in the page: a stall or a panic in the boot
// report section (with the ways out), no prompt through `noPrompt`; a panic is the page's
// failure (page-failure.ts), so the progress marks its step and the inspector stops.
import type { BootReport } from "../worker/api.js";
import { createBootReportView } from "./boot-report-view.js";
import { startBootWatch, WATCH_LIMITS, type BootWatch } from "./boot-watchdog.js";
import { reportPageFailure } from "./page-failure.js";

export function watchBootInPage(section: HTMLElement, backToBundled: (() => Promise<void>) | undefined, report: () => Promise<BootReport | null>, noPrompt: () => void): BootWatch {
  const view = createBootReportView(section, backToBundled ? { useBundled: () => void backToBundled() } : {});
  return startBootWatch(report, {
    noPrompt,
    stalled: (r) => view.stalled(r, WATCH_LIMITS.stallMs / 1000),
    progressed: () => view.progressed(),
    panicked: (r) => {
      document.body.dataset.boot = "panic";
      view.panicked(r);
      reportPageFailure(`the kernel panicked: ${r.panic ?? "Kernel panic"}`);
    },
  });
}
