// The boot progress strip: loading images, firmware, kernel, shell, each with the time it
// was reached. The kernel step covers decompression, kernel init and userspace start; a
// machine restored from a state skips firmware and kernel.
import type { BootPhase } from "../worker/api.js";
import { formatMiB } from "../util/format-bytes.js";

const STEPS: ReadonlyArray<{ label: string; phases: BootPhase[] }> = [
  { label: "Loading images", phases: ["loading"] },
  { label: "Firmware", phases: ["firmware"] },
  { label: "Kernel", phases: ["decompress", "kernel", "userspace"] },
  { label: "Shell", phases: ["shell"] },
];

export interface BootProgressView {
  phase(phase: BootPhase, ms: number): void;
  loadProgress(loaded: number, total: number): void;
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
    return { step, li, detail };
  });
  let current = -1;
  return {
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
      if (index !== current) item.detail.textContent = `${(ms / 1000).toFixed(2)} s`;
      current = index;
      list.dataset.phase = phase;
    },
    loadProgress(loaded, total) {
      const first = items[0];
      if (first) first.detail.textContent = total > 0 ? `${formatMiB(loaded)} / ${formatMiB(total)}` : formatMiB(loaded);
    },
    failed() {
      const item = items[Math.max(current, 0)];
      if (item) item.li.className = "failed";
    },
  };
}
