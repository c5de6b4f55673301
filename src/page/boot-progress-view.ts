// The boot progress strip: loading images, firmware, kernel, shell, each with the time it
// was reached ("at 0.42 s" since the boot began: a time on one clock, not how long the step
// took). Each step's text has a fixed width (boot-screen.css), so the header keeps its size. The kernel step covers decompression, kernel init and userspace start; a
// machine restored from a state skips firmware and kernel.
import type { BootPhase } from "../worker/api.js";
import { formatMiB } from "../util/format-bytes.js";
import { reachedAt, type StartingFrom } from "./boot-screen.js";

const STEPS: ReadonlyArray<{ label: string; phases: BootPhase[] }> = [
  { label: "Loading images", phases: ["loading"] },
  { label: "Firmware", phases: ["firmware"] },
  { label: "Kernel", phases: ["decompress", "kernel", "userspace"] },
  { label: "Shell", phases: ["shell"] },
];

const LOADING_LABEL: Record<StartingFrom, string> = { images: "Loading images", snapshot: "Loading snapshot", state: "Loading state" };

export interface BootProgressView {
  /** Names the first step for what this start loads ("Loading images" until told otherwise). */
  startsFrom(what: StartingFrom): void;
  phase(phase: BootPhase, ms: number): void;
  loadProgress(loaded: number, total: number): void;
  /** Marks the step the boot was in when it failed (the one reached last, never the next). */
  failed(): void;
}

export function createBootProgressView(list: HTMLElement): BootProgressView {
  const items = STEPS.map((step) => {
    const li = document.createElement("li");
    const label = document.createElement("span");
    label.textContent = step.label;
    const detail = document.createElement("span");
    detail.className = "detail";
    li.append(label, detail);
    list.append(li);
    return { step, li, label, detail };
  });
  let current = -1;
  const step = (item: { step: { label: string } }): string => item.step.label;
  return {
    startsFrom(what) {
      const first = items[0];
      if (!first) return;
      first.step = { ...first.step, label: LOADING_LABEL[what] };
      first.label.textContent = LOADING_LABEL[what];
    },
    phase(phase, ms) {
      const index = items.findIndex((i) => i.step.phases.includes(phase));
      if (index < current) return;
      // A step passed over without ever being entered did not run (a restored machine
      // goes from loading straight to its shell): it shows as skipped, not done.
      items.forEach((item, i) => {
        if (i < index) item.li.className = i > current ? "skipped" : "done";
      });
      const item = items[index];
      if (!item) return;
      item.li.className = phase === "shell" ? "done" : "active";
      if (index !== current) {
        item.detail.textContent = reachedAt(ms);
        item.li.title = `${step(item)} reached ${reachedAt(ms)} after the boot began`;
      }
      current = index;
      list.dataset.phase = phase;
    },
    loadProgress(loaded, total) {
      const first = items[0];
      if (!first) return;
      // A percentage fits the step's fixed width; the amounts are in its tooltip.
      first.detail.textContent = total > 0 ? `${Math.floor((100 * loaded) / total)} %` : formatMiB(loaded);
      first.li.title = total > 0 ? `${formatMiB(loaded)} of ${formatMiB(total)} fetched` : `${formatMiB(loaded)} fetched`;
    },
    failed() {
      // Before the first step (a refused link, a worker that never started) no step failed.
      const item = items[current];
      if (!item) return;
      item.li.className = "failed";
      list.dataset.failed = item.step.label;
    },
  };
}
