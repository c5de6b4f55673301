// The chain view: the descriptor chain one ring slot points at, as the machine read it
// when the slot was clicked (describeChain), with a hex and ASCII preview of its first
// buffer. A packed ring's buffer (it has a buffer ID) lists ring slots and each
// descriptor's ID field instead of descriptor indexes and next fields. Everything here is
// guest data, so every string goes in through textContent.
import type { ChainView } from "../worker/api.js";
import { address, hex, hexDump } from "./inspector-format.js";
import { el, setText } from "./inspector-dom.js";

export interface ChainPanel {
  readonly element: HTMLElement;
  /** Says which slot is being read while describeChain is under way. */
  loading(label: string): void;
  show(label: string, view: ChainView): void;
  failed(label: string, message: string): void;
  clear(): void;
}

const COLUMNS = ["#", "desc", "address", "length", "flags", "next"] as const;
const PACKED_COLUMNS = ["#", "slot", "address", "length", "flags", "id"] as const;

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
  const headCells = COLUMNS.map((c) => el("th", undefined, c));
  headRow.append(...headCells);
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
    delete root.dataset.bufferId;
  }

  return {
    element: root,
    loading(label) {
      reset(label, "reading the chain…");
      root.dataset.status = "loading";
    },
    show(label, view) {
      const packed = view.bufferId !== undefined;
      const count = `${view.descriptors.length} descriptor${view.descriptors.length === 1 ? "" : "s"}`;
      reset(label, packed ? `buffer ID ${view.bufferId} · starts at slot ${view.head} · ${view.status} · ${count}` : `head descriptor ${view.head} · ${view.status} · ${count}`);
      (packed ? PACKED_COLUMNS : COLUMNS).forEach((c, i) => headCells[i] && setText(headCells[i], c));
      for (const [i, d] of view.descriptors.entries()) {
        const row = el("tr");
        if (d.indirect) row.className = "indirect";
        const flags = d.flagNames.length > 0 ? d.flagNames.join("|") : "0";
        const last = packed ? (d.id === undefined ? "–" : String(d.id)) : d.flagNames.includes("NEXT") ? String(d.next) : "–";
        const cells = [String(i), `${d.index}${d.indirect ? " (ind)" : ""}`, address(d.addr), String(d.len), flags, last];
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
          : packed && view.status === "used"
            ? "no preview: a used descriptor's address means nothing (virtio 1.2, 2.8.4)"
            : "no data to preview";
      preview.textContent = hexDump(view.preview);
      // For tests: what the chain holds without parsing the table.
      root.dataset.status = "shown";
      root.dataset.descriptors = String(view.descriptors.length);
      root.dataset.flags = view.descriptors.map((d) => d.flagNames.join("|") || "0").join(",");
      root.dataset.preview = String(view.preview.length);
      if (packed) root.dataset.bufferId = String(view.bufferId);
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
