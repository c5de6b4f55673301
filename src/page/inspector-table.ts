// A table of plain-data rows for the inspector (the PCI functions, the virtio-mmio
// windows): a header of column names, and a body rebuilt only when the rows' content
// differs from what is shown, since these lists change rarely and rebuilding costs the
// page a relayout that the machine's worker shares the CPU with. Each column's heading
// explains itself on hover and focus (inspector-term.ts).
import { termLabel } from "./inspector-term.js";

export interface DataTable<T> {
  readonly element: HTMLElement;
  update(items: readonly T[]): void;
}

export function cell(text: string, className?: string): HTMLTableCellElement {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

/** A cell with one line per entry (a function's BARs, a window's queues), or `empty` when there are none. */
export function linesCell(lines: readonly string[], empty = ""): HTMLTableCellElement {
  const td = cell(lines.length === 0 ? empty : "", "bars");
  for (const text of lines) td.append(Object.assign(document.createElement("div"), { textContent: text }));
  return td;
}

/** A column's heading and the glossary term that explains it. */
export type Column = readonly [label: string, term: string];

export function createDataTable<T>(className: string, columns: readonly Column[], rowOf: (item: T) => HTMLTableRowElement): DataTable<T> {
  const table = document.createElement("table");
  table.className = className;
  const headRow = document.createElement("tr");
  for (const [label, term] of columns) {
    const th = document.createElement("th");
    th.append(termLabel(term, label));
    headRow.append(th);
  }
  table.createTHead().append(headRow);
  const body = table.createTBody();
  let shown = "";
  return {
    element: table,
    update(items) {
      const key = JSON.stringify(items);
      if (key === shown) return;
      shown = key;
      body.replaceChildren(...items.map(rowOf));
    },
  };
}
