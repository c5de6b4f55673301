// One virtio device in the inspector: status bits, features offered and negotiated by
// name, config space field by field (hex one click away), and a card per queue, every
// label explained on hover and focus. A fold (<details>) so a reader can keep the devices
// they watch open; a folded device skips drawing but keeps its rates.
import type { VirtioDeviceView } from "../worker/api.js";
import { pciAddress } from "./inspector-format.js";
import { createQueueCard, type QueueCard } from "./inspector-queue.js";
import { createConfigTable, figureRows } from "./inspector-fields.js";
import { createStatusLine, featureChips } from "./inspector-device-parts.js";
import { termLabel } from "./inspector-term.js";
import { el, setData, setHidden, setText } from "./inspector-dom.js";
import "./inspector-device.css";

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

/** A label line ("features: 3 offered, 2 negotiated (lit)") whose first word explains itself. */
function labelLine(term: string, word: string): { element: HTMLElement; rest: HTMLElement } {
  const element = el("p", "device-label");
  const rest = el("span");
  element.append(termLabel(term, word), rest);
  return { element, rest };
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

  const status = createStatusLine();
  const problem = el("p", "device-problem");
  const problemText = el("span");
  problem.append(termLabel("device.lastError", "last error"), ": ", problemText);
  const features = el("div", "device-features");
  const featureLabel = labelLine("device.features", "features");
  const configLabel = labelLine("device.config", "device config space");
  configLabel.rest.textContent = ", field by field as the device lays it out";
  const config = createConfigTable(initial.name);
  const figuresLabel = el("p", "device-label");
  figuresLabel.append(termLabel(`figures:${initial.name}`, `what ${initial.label} counts`));
  const figures = el("pre", "device-config device-figures");
  const queueBox = el("div", "device-queues");
  details.append(summary, status.element, problem, featureLabel.element, features, configLabel.element, config.element, figuresLabel, figures, queueBox);

  const owner = { name: initial.name, label: initial.label, address: initial.address };
  const queues = initial.queues.map((q) => createQueueCard(owner, q, (slot) => onSlotClick(q.index, slot)));
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
      status.update(view);
      setHidden(problem, !view.lastError);
      setText(problemText, view.lastError ?? "");
      const key = `${view.featuresOfferedNames.join()}/${view.featuresNegotiatedNames.join()}`;
      if (key !== featureKey) {
        featureKey = key;
        featureLabel.rest.textContent = `: ${view.featuresOfferedNames.length} offered, ${view.featuresNegotiatedNames.length} negotiated (lit)`;
        features.replaceChildren(...featureChips(view.featuresOfferedNames, view.featuresNegotiatedNames));
      }
      config.update(view.configFields, view.config);
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
