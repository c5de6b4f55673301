// The inspector pointed at a demo's subject (a share link's focus): the cards of that kind
// of device are lit, moved first among the devices and scrolled to once they exist, right
// under a small table that puts the
// same counters of each of them side by side, per MiB moved, so two network cards on
// different notification policies (or one disk) can be compared at a glance without
// unfolding anything. It reads the views the panel already fetched: it asks the machine
// nothing itself.
import type { InspectorView, VirtioDeviceView } from "../worker/api.js";
import type { ShareFocus } from "../share/share-focus.js";
import { el, setData, setHidden, setText } from "./inspector-dom.js";
import "./inspector-focus.css";

export interface InspectorFocus {
  readonly element: HTMLElement;
  /** After the panel rendered `view` into `cards` (its device cards' elements). */
  update(view: InspectorView, cards: readonly HTMLElement[]): void;
}

const MiB = 1024 * 1024;

/** One device's totals over all its queues, and per MiB moved. */
export interface FocusFigures {
  mib: number;
  kicks: number;
  interrupts: number;
  kicksPerMiB: number | undefined;
  interruptsPerMiB: number | undefined;
}

export function focusFigures(device: VirtioDeviceView): FocusFigures {
  let bytes = 0;
  let kicks = 0;
  let interrupts = 0;
  for (const q of device.queues) {
    bytes += q.counters.bytesRead + q.counters.bytesWritten;
    kicks += q.counters.kicks;
    interrupts += q.counters.interrupts;
  }
  const mib = bytes / MiB;
  // Below a MiB the ratios say more about setting up than about moving data.
  const per = (n: number): number | undefined => (mib >= 1 ? n / mib : undefined);
  return { mib, kicks, interrupts, kicksPerMiB: per(kicks), interruptsPerMiB: per(interrupts) };
}

const ratio = (n: number | undefined): string => (n === undefined ? "–" : n.toFixed(2));

/** "read 12 · write 40 · flush 2" from a device's figures named `requests` (a disk's requests by type). */
export function requestWords(stats: VirtioDeviceView["stats"]): string | undefined {
  const requests = stats.requests;
  if (requests === null || typeof requests !== "object" || Array.isArray(requests)) return undefined;
  return Object.entries(requests).map(([kind, n]) => `${kind} ${String(n)}`).join(" · ");
}

const COLUMNS = ["device", "mode", "MiB moved", "kicks", "kicks/MiB", "interrupts", "interrupts/MiB"];

export function createInspectorFocus(focus: ShareFocus): InspectorFocus {
  const box = el("section", "inspector-focus");
  box.dataset.device = focus.device;
  const queueWords = focus.queue === undefined ? "" : `, queue ${focus.queue}`;
  box.append(el("h3", "focus-title", `This demo is about ${focus.device}${queueWords}: its counters per MiB moved`));
  const table = el("table", "focus-table");
  const head = el("tr");
  for (const c of COLUMNS) head.append(el("th", undefined, c));
  const body = el("tbody");
  table.append(el("thead"), body);
  table.tHead?.append(head);
  // The link's machine may have lost its subject (a disk another tab holds): say so rather than show an empty table.
  const absent = el("p", "focus-absent", `This machine has no ${focus.device}.`);
  absent.hidden = true;
  box.append(table, absent);
  const rows = new Map<string, HTMLTableCellElement[]>();
  const requests = new Map<string, HTMLElement>();
  /** Updates left during which the panel is scrolled to the focus (the PCI table above settles in the first ones). */
  let scrolls = 3;

  function row(device: VirtioDeviceView): HTMLTableCellElement[] {
    const known = rows.get(device.address);
    if (known) return known;
    const tr = el("tr");
    tr.dataset.address = device.address;
    const cells = COLUMNS.map(() => el("td"));
    tr.append(...cells);
    body.append(tr);
    rows.set(device.address, cells);
    return cells;
  }

  function light(cards: readonly HTMLElement[]): void {
    const lit = cards.filter((c) => c.dataset.name === focus.device);
    for (const card of lit) {
      // A card the panel rebuilt (its queues changed) is lit again; a lit one is left as the reader folded it.
      if (card.classList.contains("focused")) continue;
      card.classList.add("focused");
      if (card instanceof HTMLDetailsElement) card.open = true;
      if (focus.queue !== undefined) card.querySelector(`.queue[data-queue="${focus.queue}"]`)?.classList.add("focused");
    }
    const first = lit[0];
    if (!first || scrolls === 0) return;
    // The table and the lit cards first among the devices, in their order: what sits above them no longer moves them.
    const devices = first.parentElement;
    devices?.prepend(box, ...lit);
    scrolls--;
    box.scrollIntoView({ block: "start" });
    box.dataset.lit = String(lit.length);
  }

  return {
    element: box,
    update(view, cards) {
      light(cards);
      const subjects = view.devices.filter((d) => d.name === focus.device);
      const lost = view.devices.length > 0 && subjects.length === 0;
      setHidden(absent, !lost);
      setHidden(table, lost);
      for (const device of subjects) {
        const f = focusFigures(device);
        const mode = typeof device.stats.policy === "string" ? device.stats.policy : "";
        const texts = [device.label, mode, f.mib.toFixed(1), String(f.kicks), ratio(f.kicksPerMiB), String(f.interrupts), ratio(f.interruptsPerMiB)];
        row(device).forEach((cell, i) => setText(cell, texts[i] ?? ""));
        const tr = rows.get(device.address)?.[0]?.parentElement;
        if (tr) {
          setData(tr, "kicksPerMib", ratio(f.kicksPerMiB));
          setData(tr, "interruptsPerMib", ratio(f.interruptsPerMiB));
        }
        const words = requestWords(device.stats);
        if (words === undefined) continue;
        let line = requests.get(device.address);
        if (!line) {
          line = el("p", "focus-requests");
          requests.set(device.address, line);
          box.append(line);
        }
        setText(line, `${device.label} requests by type: ${words}`);
      }
    },
  };
}
