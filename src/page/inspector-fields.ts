// The device's own words in the inspector: its config space field by field (as the device
// describes its layout) and its live figures, as aligned text rows.
import type { VirtioDeviceView } from "../worker/api.js";

type Fields = VirtioDeviceView["configFields"];
type Stats = VirtioDeviceView["stats"];

/** "capacity           16384   512-byte sectors", one field per row. */
export function configFieldRows(fields: Fields): string {
  const width = Math.max(0, ...fields.map((f) => f.name.length));
  return fields.map((f) => `${f.name.padEnd(width)}  ${f.value}${f.about ? `   ${f.about}` : ""}`).join("\n");
}

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
