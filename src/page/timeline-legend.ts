// The timeline's legend, every kind of event by its glyph and colour in words, and the
// download of its exported trace.
import { KIND_STYLE, type Glyph } from "./timeline-lanes.js";
import { el } from "./inspector-dom.js";

/** The canvas's glyphs as characters, near enough to read the legend by. */
const GLYPH_CHARACTERS: Record<Glyph, string> = { up: "▲", down: "▼", edge: "┃", tick: "╷", box: "■", hollow: "□", cross: "✕", diamond: "◆", level: "⎍" };

function item(words: string, mark: HTMLElement, colour: string): HTMLElement {
  const entry = el("span", "legend-item", words);
  mark.style.setProperty("--c", `var(${colour})`);
  entry.prepend(mark);
  return entry;
}

export function createLegend(): HTMLElement {
  const legend = el("p", "timeline-legend");
  for (const style of Object.values(KIND_STYLE)) {
    if (style.glyph !== "level") legend.append(item(style.words, el("span", "timeline-glyph", GLYPH_CHARACTERS[style.glyph]), style.colour));
  }
  legend.append(item("held by the device (take to return)", el("span", "timeline-glyph band"), "--tl-take"));
  legend.append(item("kicks turned on (high) or off (low)", el("span", "timeline-glyph", "⎍"), "--tl-notify"));
  return legend;
}

/** Hands `bytes` to the browser as a download named `name`. */
export function downloadFile(bytes: Uint8Array, name: string, type: string): void {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type }));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.click();
  // The download has its own reference by the time this runs.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
