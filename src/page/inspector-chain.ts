// The chain view: the descriptor chain one ring slot points at, as the machine read it
// when the slot was clicked (describeChain), with a hex and ASCII preview of its first
// buffer. A packed ring's buffer (it has a buffer ID) lists ring slots and each
// descriptor's ID field instead of descriptor indexes and next fields. Everything here is
// guest data, so every string goes in through textContent. Decoded headers and messages
// and stale buffers: inspector-decoded.ts.
import type { ChainView } from "../worker/api.js";
import { address, hex, hexDump } from "./inspector-format.js";
import { el, setText } from "./inspector-dom.js";
import { createDecodedView, STALE_WORDS } from "./inspector-decoded.js";

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
  const decoded = createDecodedView();
  const staleLine = el("p", "chain-stale");
  const previewLabel = el("summary", "chain-preview-label");
  const preview = el("pre", "chain-preview");
  const previewBox = el("details", "chain-preview-box");
  previewBox.append(previewLabel, preview);
  root.append(head, summary, table, staleLine, decoded.element, previewBox);

  function reset(label: string, text: string): void {
    root.hidden = false;
    title.textContent = label;
    summary.textContent = text;
    summary.classList.remove("problem");
    body.replaceChildren();
    decoded.clear();
    staleLine.textContent = "";
    staleLine.hidden = true;
    previewLabel.textContent = "";
    preview.textContent = "";
    delete root.dataset.descriptors;
    delete root.dataset.flags;
    delete root.dataset.preview;
    delete root.dataset.bufferId;
    delete root.dataset.stale;
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
        if (d.stale) {
          row.classList.add("stale");
          row.title = STALE_WORDS;
          row.cells[4]?.append(el("span", "stale-tag", "stale"));
        }
        body.append(row);
      }
      if (view.problem) {
        summary.textContent += ` · ${view.problem}`;
        summary.classList.add("problem");
      }
      const stale = view.descriptors.flatMap((d, i) => (d.stale ? [i] : []));
      staleLine.textContent = stale.length > 0 ? `${STALE_WORDS} (#${stale.join(", #")})` : "";
      staleLine.hidden = stale.length === 0;
      decoded.show(view);
      // The buffer previewed (chain-view.ts: preview): the first that is not an indirect table's
      // descriptor, past a packed used descriptor unless that is the whole buffer.
      const skipUsed = packed && view.status === "used" && view.descriptors.length > 1 ? 1 : 0;
      const first = view.descriptors.slice(skipUsed).find((d) => !d.flagNames.includes("INDIRECT") && d.len > 0);
      previewLabel.classList.toggle("stale", first?.stale === true);
      previewLabel.textContent =
        view.preview.length > 0 && first
          ? `first ${view.preview.length} bytes of the buffer at ${address(first.addr)} (flags ${hex(first.flags)})${first.stale ? " · stale: from before the device wrote it" : ""}`
          : packed && view.status === "used"
            ? "no preview: a used descriptor's address means nothing (virtio 1.2, 2.8.4)"
            : "no data to preview";
      preview.textContent = hexDump(view.preview);
      // The hex dump stays one click away once the bytes are decoded.
      previewBox.open = (view.decoded ?? []).length === 0 && view.preview.length > 0;
      // For tests: what the chain holds without parsing the table.
      root.dataset.status = "shown";
      root.dataset.descriptors = String(view.descriptors.length);
      root.dataset.flags = view.descriptors.map((d) => d.flagNames.join("|") || "0").join(",");
      root.dataset.preview = String(view.preview.length);
      if (packed) root.dataset.bufferId = String(view.bufferId);
      root.dataset.stale = stale.join(",");
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
