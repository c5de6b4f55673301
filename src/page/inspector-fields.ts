// The device's own words in the inspector: its config space field by field (as the device
// describes its layout, in a table) and its live figures.
import type { VirtioDeviceView } from "../worker/api.js";
import { configRows } from "./inspector-format.js";
import { el } from "./inspector-dom.js";
import { termLabel } from "./inspector-term.js";

type Fields = VirtioDeviceView["configFields"];
type Stats = VirtioDeviceView["stats"];

/** The device's figures flattened to "path value" rows ("tx.frames 123"), at most `max` rows. */
export function figureRows(stats: Stats, max = 40): string {
  const rows: [string, string][] = [];
  const walk = (value: unknown, path: string): void => {
    if (rows.length >= max) return;
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      for (const [key, inner] of Object.entries(value)) walk(inner, path ? `${path}.${key}` : key);
    } else if (value !== undefined) {
      rows.push([path, Array.isArray(value) ? value.join(", ") : String(value)]);
    }
  };
  walk(stats, "");
  const width = Math.max(0, ...rows.map(([p]) => p.length));
  return rows.map(([p, v]) => `${p.padEnd(width)}  ${v}`).join("\n");
}

export interface ConfigTable {
  readonly element: HTMLElement;
  update(fields: Fields, hex: string): void;
}

/**
 * The config space decoded field by field from the device's own description (name,
 * offset, size, value, and what it means, each name explained on hover and focus), with
 * the raw bytes in hex one click away. Rebuilt only when something in it changed.
 */
export function createConfigTable(device: string): ConfigTable {
  const element = el("div", "device-config-box");
  const table = el("table", "config-fields");
  const head = el("tr");
  for (const name of ["field", "offset", "size", "value", "meaning"]) head.append(el("th", undefined, name));
  table.createTHead().append(head);
  const body = table.createTBody();
  const empty = el("p", "config-empty", "this device has no configuration space");
  const raw = el("details", "config-raw");
  const dump = el("pre", "device-config");
  raw.append(el("summary", undefined, "raw bytes (hex)"), dump);
  element.append(table, empty, raw);
  let shown = "";
  return {
    element,
    update(fields, hex) {
      const key = JSON.stringify(fields) + hex;
      if (key === shown) return;
      shown = key;
      table.hidden = fields.length === 0;
      empty.hidden = fields.length > 0;
      body.replaceChildren(
        ...fields.map((f) => {
          const row = el("tr");
          row.dataset.field = f.name;
          const name = el("td", "config-name");
          name.append(termLabel(`config:${device}.${f.name}`, f.name, "span", f.about));
          row.append(name, el("td", "mono", `0x${f.offset.toString(16).padStart(2, "0")}`), el("td", "mono", String(f.size)), el("td", "mono config-value", f.value), el("td", "config-about", f.about ?? ""));
          return row;
        }),
      );
      dump.textContent = configRows(hex);
    },
  };
}
