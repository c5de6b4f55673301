// One virtio device in the inspector: status bits, features offered and negotiated by
// name, config space in hex, and a card per queue. A fold (<details>) so a reader can
// keep the devices they watch open; a folded device skips drawing but keeps its rates.
import type { VirtioDeviceView } from "../worker/api.js";
import { configRows, hex, pciAddress } from "./inspector-format.js";
import { createQueueCard, type QueueCard } from "./inspector-queue.js";
import { configFieldRows, figureRows } from "./inspector-fields.js";
import { el, setData, setHidden, setText } from "./inspector-dom.js";

export interface DeviceCard {
  readonly element: HTMLDetailsElement;
  readonly queues: readonly QueueCard[];
  /** False when the device's queues changed in number: the panel builds a new card. */
  fits(view: VirtioDeviceView): boolean;
  /** Takes a view and redraws the queues' canvases; no DOM writes (see QueueCard.write). */
  update(view: VirtioDeviceView, takenAtMs: number): void;
  /** Writes the latest view into the DOM, after every card has drawn. */
  write(): void;
  resize(width: number): void;
  destroy(): void;
}

/** Offered features as chips: negotiated ones lit, the rest dimmed, so both lists read as one. */
function featureChips(offered: readonly string[], negotiated: readonly string[]): HTMLElement[] {
  const on = new Set(negotiated);
  const all = [...offered, ...negotiated.filter((n) => !offered.includes(n))];
  return all.map((name) => {
    const chip = el("span", on.has(name) ? "feature on" : "feature", name);
    chip.title = on.has(name) ? "offered and negotiated" : "offered, not taken by the driver";
    return chip;
  });
}

export function createDeviceCard(initial: VirtioDeviceView, onSlotClick: (queue: number, slot: number) => void, open: boolean): DeviceCard {
  const details = el("details", "device");
  details.open = open;
  details.dataset.address = initial.address;
  details.dataset.name = initial.name;
  const summary = el("summary");
  const name = el("strong", undefined, initial.label === initial.name ? initial.name : `${initial.label} (${initial.name})`);
  const where = el("span", "device-address", pciAddress(initial.address));
  const state = el("span", "device-state");
  summary.append(name, where, state);

  const status = el("p", "device-status");
  const problem = el("p", "device-problem");
  const features = el("div", "device-features");
  const featureLabel = el("p", "device-label");
  const configLabel = el("p", "device-label");
  const fields = el("pre", "device-config device-config-fields");
  const config = el("pre", "device-config");
  const figuresLabel = el("p", "device-label");
  const figures = el("pre", "device-config device-figures");
  const queueBox = el("div", "device-queues");
  details.append(summary, status, problem, featureLabel, features, configLabel, fields, config, figuresLabel, figures, queueBox);

  const queues = initial.queues.map((q) => createQueueCard(initial.name, q, (slot) => onSlotClick(q.index, slot)));
  queueBox.append(...queues.map((q) => q.element));
  let featureKey = "";
  let latest: VirtioDeviceView | undefined;

  return {
    element: details,
    queues,
    fits: (view) => view.queues.length === queues.length && view.name === initial.name,
    update(view, takenAtMs) {
      latest = view;
      view.queues.forEach((q, i) => queues[i]?.update(q, takenAtMs, details.open));
    },
    write() {
      const view = latest;
      if (!view) return;
      setData(details, "status", String(view.status));
      setText(state, view.active ? "active" : view.status === 0 ? "reset" : "setting up");
      if (state.classList.contains("active") !== view.active) state.classList.toggle("active", view.active);
      for (const q of queues) q.write();
      if (!details.open) return;
      setText(status, `status ${hex(view.status, 2)}: ${view.statusNames.join(" | ") || "(reset)"} · config generation ${view.configGeneration}`);
      setHidden(problem, !view.lastError);
      setText(problem, view.lastError ? `last error: ${view.lastError}` : "");
      const key = `${view.featuresOfferedNames.join()}/${view.featuresNegotiatedNames.join()}`;
      if (key !== featureKey) {
        featureKey = key;
        featureLabel.textContent = `features: ${view.featuresOfferedNames.length} offered, ${view.featuresNegotiatedNames.length} negotiated (lit)`;
        features.replaceChildren(...featureChips(view.featuresOfferedNames, view.featuresNegotiatedNames));
      }
      setText(configLabel, "device config space, field by field as the device lays it out, then in hex");
      setText(fields, configFieldRows(view.configFields));
      setText(config, configRows(view.config));
      setText(figuresLabel, `what ${view.label} counts`);
      setText(figures, figureRows(view.stats));
    },
    resize(width) {
      for (const q of queues) q.resize(width);
    },
    destroy() {
      for (const q of queues) q.destroy();
    },
  };
}
