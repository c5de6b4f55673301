// The chain view: the descriptor chain one ring slot points at, as the machine read it
// when the slot was clicked (describeChain), with a hex and ASCII preview of its first
// buffer. Everything here is guest data, so every string goes in through textContent.
import type { ChainView } from "../worker/api.js";
import { address, hex, hexDump } from "./inspector-format.js";
import { el } from "./inspector-dom.js";

export interface ChainPanel {
  readonly element: HTMLElement;
  /** Says which slot is being read while describeChain is under way. */
  loading(label: string): void;
  show(label: string, view: ChainView): void;
  failed(label: string, message: string): void;
  clear(): void;
}

const COLUMNS = ["#", "desc", "address", "length", "flags", "next"] as const;

export function createChainPanel(onClose: () => void): ChainPanel {
  const root = el("section", "chain-view");
  root.hidden = true;
  root.setAttribute("aria-label", "Descriptor chain");
  const head = el("div", "chain-head");
  const title = el("h4", "chain-title");
  const close = el("button", "chain-close", "×");
  close.type = "button";
  close.title = "Close the chain view";
  close.addEventListener("click", () => onClose());
  head.append(title, close);
  const summary = el("p", "chain-summary");
  const table = el("table", "chain-descriptors");
  const body = el("tbody");
  const headRow = el("tr");
  for (const c of COLUMNS) headRow.append(el("th", undefined, c));
  table.append(el("thead"), body);
  table.tHead?.append(headRow);
  const previewLabel = el("p", "chain-preview-label");
  const preview = el("pre", "chain-preview");
  root.append(head, summary, table, previewLabel, preview);

  function reset(label: string, text: string): void {
    root.hidden = false;
    title.textContent = label;
    summary.textContent = text;
    summary.classList.remove("problem");
    body.replaceChildren();
    previewLabel.textContent = "";
    preview.textContent = "";
    delete root.dataset.descriptors;
    delete root.dataset.flags;
    delete root.dataset.preview;
  }

  return {
    element: root,
    loading(label) {
      reset(label, "reading the chain…");
      root.dataset.status = "loading";
    },
    show(label, view) {
      reset(label, `head descriptor ${view.head} · ${view.status} · ${view.descriptors.length} descriptor${view.descriptors.length === 1 ? "" : "s"}`);
      for (const [i, d] of view.descriptors.entries()) {
        const row = el("tr");
        if (d.indirect) row.className = "indirect";
        const flags = d.flagNames.length > 0 ? d.flagNames.join("|") : "0";
        const next = d.flagNames.includes("NEXT") ? String(d.next) : "–";
        const cells = [String(i), `${d.index}${d.indirect ? " (ind)" : ""}`, address(d.addr), String(d.len), flags, next];
        for (const text of cells) row.append(el("td", undefined, text));
        body.append(row);
      }
      if (view.problem) {
        summary.textContent += ` · ${view.problem}`;
        summary.classList.add("problem");
      }
      const first = view.descriptors[0];
      previewLabel.textContent =
        view.preview.length > 0 && first
          ? `first ${view.preview.length} bytes of the buffer at ${address(first.addr)} (flags ${hex(first.flags)})`
          : "no data to preview";
      preview.textContent = hexDump(view.preview);
      // For tests: what the chain holds without parsing the table.
      root.dataset.status = "shown";
      root.dataset.descriptors = String(view.descriptors.length);
      root.dataset.flags = view.descriptors.map((d) => d.flagNames.join("|") || "0").join(",");
      root.dataset.preview = String(view.preview.length);
    },
    failed(label, message) {
      reset(label, `cannot read the chain: ${message}`);
      summary.classList.add("problem");
      root.dataset.status = "failed";
    },
    clear() {
      root.hidden = true;
      delete root.dataset.status;
    },
  };
}
