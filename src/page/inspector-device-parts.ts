// A device header's explained parts: the status byte as its six bits (the ones set lit),
// and the features offered as chips (the negotiated ones lit). Each bit and feature
// explains itself on hover and focus (inspector-term.ts).
import type { VirtioDeviceView } from "../worker/api.js";
import { hex } from "./inspector-format.js";
import { el, setText } from "./inspector-dom.js";
import { termLabel } from "./inspector-term.js";

/** The status bits in the order a driver sets them, then the two that say something failed. */
export const STATUS_BITS = ["ACKNOWLEDGE", "DRIVER", "FEATURES_OK", "DRIVER_OK", "DEVICE_NEEDS_RESET", "FAILED"] as const;

/** Every fixed term the device header uses (the glossary test checks each has an entry). */
export const DEVICE_HEADER_TERMS: readonly string[] = [
  ...STATUS_BITS.map((b) => `status:${b}`), "device.status", "device.configGeneration", "device.features", "device.config", "device.lastError",
];

export interface StatusLine {
  readonly element: HTMLElement;
  update(view: VirtioDeviceView): void;
}

export function createStatusLine(): StatusLine {
  const element = el("div", "device-status-box");
  const bitsLine = el("p", "device-status");
  const value = el("span", "mono");
  const bits = new Map<string, HTMLElement>(STATUS_BITS.map((b) => [b, termLabel(`status:${b}`, b)]));
  for (const chip of bits.values()) chip.classList.add("status-bit");
  const extra = el("span", "status-extra");
  const generation = el("span", "mono");
  bitsLine.append(termLabel("device.status", "status"), value, ...bits.values(), extra);
  const generationLine = el("p", "device-generation");
  generationLine.append(termLabel("device.configGeneration", "config generation"), " ", generation);
  element.append(bitsLine, generationLine);
  return {
    element,
    update(view) {
      setText(value, hex(view.status, 2));
      for (const [name, chip] of bits) {
        const on = view.statusNames.includes(name);
        if (chip.classList.contains("on") !== on) chip.classList.toggle("on", on);
      }
      // Bits the spec reserves ("bit 4"), should a guest set them.
      setText(extra, view.statusNames.filter((n) => !bits.has(n)).join(" "));
      setText(generation, String(view.configGeneration));
    },
  };
}

/** Offered features as chips: negotiated ones lit, the rest dimmed, so both lists read as one. */
export function featureChips(offered: readonly string[], negotiated: readonly string[]): HTMLElement[] {
  const on = new Set(negotiated);
  const all = [...offered, ...negotiated.filter((n) => !offered.includes(n))];
  return all.map((name) => {
    const chip = termLabel(`feature:${name}`, name);
    chip.classList.add("feature");
    if (on.has(name)) chip.classList.add("on");
    chip.dataset.negotiated = String(on.has(name));
    return chip;
  });
}
