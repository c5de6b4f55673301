// The fixed parts of a queue card, each label explained (inspector-term.ts): a split
// ring's fields, its legend, and the counters table that is also the chart's legend.
import type { QueueCounters } from "../worker/api.js";
import { formatBytes } from "../util/format-bytes.js";
import { bytesPerSecond, count, rate } from "./inspector-format.js";
import { MARK_COLOURS, SLOT_COLOURS } from "./inspector-ring.js";
import { SERIES_STYLE } from "./inspector-chart.js";
import { RATE_SERIES, type QueueRates, type RateKey } from "./inspector-rates.js";
import { el, setText } from "./inspector-dom.js";
import { termLabel } from "./inspector-term.js";

/** A split ring's fields: key, label, glossary term. */
export const SPLIT_FIELDS = [
  ["desc", "descriptor table", "split.desc"],
  ["avail", "avail ring", "split.avail"],
  ["used", "used ring", "split.used"],
  ["availIdx", "avail idx", "split.availIdx"],
  ["usedIdx", "used idx", "split.usedIdx"],
  ["lastSeen", "device last seen", "split.lastSeen"],
  ["inFlight", "in flight", "split.inFlight"],
  ["usedEvent", "used_event", "split.usedEvent"],
  ["availEvent", "avail_event", "split.availEvent"],
  ["availFlags", "avail flags", "split.availFlags"],
  ["usedFlags", "used flags", "split.usedFlags"],
] as const;
export type SplitField = (typeof SPLIT_FIELDS)[number][0];

/** The legend's entries: slot states, then the three positions (label, term, colour, swatch shape). */
const SPLIT_LEGEND = [
  ...Object.entries(SLOT_COLOURS).map(([state, colour]) => [state, `slot.${state}`, colour, "cell"] as const),
  ["avail idx", "split.availIdx", MARK_COLOURS.avail, "mark"],
  ["device last seen", "split.lastSeen", MARK_COLOURS.device, "mark"],
  ["used idx", "split.usedIdx", MARK_COLOURS.used, "cell"],
] as const;

/** Counter rows: the rate series, and buffers (a total only). */
const COUNTER_TERMS: Record<RateKey | "buffers", string> = {
  kicks: "counter.kicks",
  kicksSuppressed: "counter.kicksSuppressed",
  interrupts: "counter.interrupts",
  interruptsSuppressed: "counter.interruptsSuppressed",
  interruptsMerged: "counter.interruptsMerged",
  bytes: "counter.bytes",
  buffers: "counter.buffers",
};

/** Every term a queue card's fixed parts use (the glossary test checks each has an entry). */
export const QUEUE_TERMS: readonly string[] = [
  ...SPLIT_FIELDS.map(([, , term]) => term), ...SPLIT_LEGEND.map(([, term]) => term), ...Object.values(COUNTER_TERMS),
  "queue.size", "queue.mode", "chart.rates",
];

/** A small colour sample; `kind` is its shape in CSS: "cell", "mark", "line" or "line dashed". */
export function swatch(colour: string, kind: string): HTMLElement {
  const s = el("span", `swatch ${kind}`);
  s.style.setProperty("--c", colour);
  return s;
}

/** A list of ring fields, each label explained (its glossary term), with the value elements by key. */
export function explainedFields<K extends string>(className: string, fields: readonly (readonly [K, string, string])[]): { element: HTMLElement; values: Record<K, HTMLElement> } {
  const element = el("dl", className);
  const values = {} as Record<K, HTMLElement>;
  for (const [key, label, term] of fields) {
    const dd = el("dd");
    values[key] = dd;
    const dt = el("dt");
    dt.append(termLabel(term, label));
    const pair = el("div");
    pair.append(dt, dd);
    element.append(pair);
  }
  return { element, values };
}

export function splitFields(): { element: HTMLElement; values: Record<SplitField, HTMLElement> } {
  return explainedFields("queue-fields", SPLIT_FIELDS);
}

export function splitLegend(): HTMLElement {
  const box = el("p", "ring-legend");
  box.replaceChildren(
    ...SPLIT_LEGEND.map(([label, term, colour, shape]) => {
      const item = el("span", "legend-item");
      item.append(swatch(colour, shape), termLabel(term, label));
      return item;
    }),
  );
  return box;
}

const COUNTER_TOTAL: Record<RateKey, (c: QueueCounters) => number> = {
  kicks: (c) => c.kicks,
  kicksSuppressed: (c) => c.kicksSuppressed,
  interrupts: (c) => c.interrupts,
  interruptsSuppressed: (c) => c.interruptsSuppressed,
  interruptsMerged: (c) => c.interruptsMerged,
  bytes: (c) => c.bytesRead + c.bytesWritten,
};

export interface CounterTable {
  readonly element: HTMLElement;
  show(c: QueueCounters, rates: QueueRates): void;
}

/** Counters with their rates; each row's swatch is its line in the chart. */
export function counterTable(): CounterTable {
  const table = el("table", "queue-counters");
  const body = table.createTBody();
  const cells = {} as Record<RateKey, { rate: HTMLElement; total: HTMLElement }>;
  for (const s of RATE_SERIES) {
    const row = el("tr");
    const name = el("th");
    name.append(swatch(SERIES_STYLE[s.key].stroke, SERIES_STYLE[s.key].dash ? "line dashed" : "line"), termLabel(COUNTER_TERMS[s.key], s.label.replace("/s", "")));
    const rateCell = el("td", "rate");
    const totalCell = el("td", "total");
    cells[s.key] = { rate: rateCell, total: totalCell };
    row.append(name, rateCell, totalCell);
    body.append(row);
  }
  const buffersRow = el("tr");
  const buffersName = el("th");
  buffersName.append(termLabel(COUNTER_TERMS.buffers, "buffers"));
  const buffersTotal = el("td", "total");
  buffersRow.append(buffersName, el("td", "rate"), buffersTotal);
  body.append(buffersRow);
  return {
    element: table,
    show(c, rates) {
      for (const s of RATE_SERIES) {
        const cell = cells[s.key];
        setText(cell.rate, s.key === "bytes" ? bytesPerSecond(rates.bytes) : `${rate(rates[s.key])}/s`);
        const total = COUNTER_TOTAL[s.key](c);
        setText(cell.total, s.key === "bytes" ? formatBytes(total) : count(total));
      }
      setText(buffersTotal, count(c.buffers));
    },
  };
}
