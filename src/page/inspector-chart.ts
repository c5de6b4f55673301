// A queue's live chart: notification rates (kicks, interrupts and the ones suppression
// saved) on the left axis and bytes per second on the right, over the last half minute.
// Both axes are titled with their unit (the right one's follows the scale: B/s, KiB/s,
// MiB/s), and a caption under the chart says which axis is which; the counters beside it
// are the series' legend. uPlot draws it: it is made for redrawing a time series many
// times a second on a canvas.
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { RATE_SERIES, type RateHistory, type RateKey } from "./inspector-rates.js";
import { clock, rate } from "./inspector-format.js";
import { termLabel } from "./inspector-term.js";
import { cssColour, onThemeChange } from "./theme-colours.js";

/**
 * Line style per series; the counters next to the chart use the same colours. CSS colours
 * (theme.css: the light theme's are darker, to stay visible on white); the chart resolves them.
 */
export const SERIES_STYLE: Record<RateKey, { stroke: string; dash?: number[] }> = {
  kicks: { stroke: "var(--series-kicks)" },
  kicksSuppressed: { stroke: "var(--series-kicks-suppressed)", dash: [4, 3] },
  interrupts: { stroke: "var(--series-interrupts)" },
  interruptsSuppressed: { stroke: "var(--series-interrupts-suppressed)", dash: [4, 3] },
  interruptsMerged: { stroke: "var(--series-interrupts-merged)", dash: [2, 2] },
  bytes: { stroke: "var(--series-bytes)" },
};

const HEIGHT = 130;
// Axis colours are the page's (theme.css), looked up at each draw so they follow a theme change.
const AXIS = {
  stroke: () => cssColour("var(--chart-axis)"),
  grid: { stroke: () => cssColour("var(--chart-grid)"), width: 1 },
  ticks: { stroke: () => cssColour("var(--chart-tick)"), width: 1 },
  font: "10px system-ui, sans-serif",
  labelFont: "10px system-ui, sans-serif",
  labelSize: 14,
  labelGap: 0,
};

/** The left axis's title (short enough to fit the plot's height): every series on it counts notifications per second. */
export const EVENTS_UNIT = "kicks · irqs /s";
const BYTE_UNITS = [["MiB/s", 1 << 20], ["KiB/s", 1 << 10], ["B/s", 1]] as const;

/** The unit the right axis reads in: the largest that keeps its top tick at 1 or more. */
export function bytesUnit(max: number): (typeof BYTE_UNITS)[number] {
  return BYTE_UNITS.find(([, size]) => max >= size) ?? BYTE_UNITS[2];
}

/** A tick in a unit `size` bytes large: "0", "512", "1.5", "0.25". */
function tickIn(value: number, size: number): string {
  const v = value / size;
  return Number.isInteger(v) || Math.abs(v) >= 10 ? v.toFixed(0) : String(Number(v.toFixed(2)));
}

export interface RateChart {
  /** Takes the width its parent gives it (uPlot draws at a fixed size: it follows along). */
  readonly element: HTMLElement;
  update(history: RateHistory): void;
  destroy(): void;
}

/**
 * From zero up, with some headroom, and never shorter than `floor`, so an idle queue draws
 * flat lines at the bottom and the axis never labels fractions of an event or a byte.
 */
const fromZero = (floor: number) => (_u: uPlot, _min: number, max: number): uPlot.Range.MinMax => [0, Math.max(max * 1.15, floor)];

export function createRateChart(width: number): RateChart {
  const element = document.createElement("div");
  element.className = "rate-chart";
  const plot = document.createElement("div");
  const caption = document.createElement("p");
  caption.className = "rate-caption";
  caption.append(termLabel("chart.rates", "last 30 s"), ": left axis kicks and interrupts per second, right axis bytes per second (green area)");
  element.append(plot, caption);
  element.dataset.leftUnit = EVENTS_UNIT;
  const rightUnit = (u: uPlot): string => bytesUnit(u.scales.bytes?.max ?? 0)[0];
  const series: uPlot.Series[] = [
    {},
    ...RATE_SERIES.map((s) => ({
      label: s.label,
      scale: s.key === "bytes" ? "bytes" : "events",
      width: s.key === "bytes" ? 1.5 : 1.25,
      points: { show: false },
      ...SERIES_STYLE[s.key],
      stroke: () => cssColour(SERIES_STYLE[s.key].stroke),
      ...(s.key === "bytes" ? { fill: () => cssColour("var(--series-bytes-fill)") } : {}),
    })),
  ];
  const options: uPlot.Options = {
    width: Math.max(width, 200),
    height: HEIGHT,
    series,
    // The counters beside the chart are its legend; no hover: it would fight the updates.
    legend: { show: false },
    cursor: { show: false },
    scales: { x: { time: true }, events: { range: fromZero(10) }, bytes: { range: fromZero(1024) } },
    axes: [
      { ...AXIS, space: 60, values: (_u, ticks) => ticks.map(clock) },
      { ...AXIS, scale: "events", size: 36, label: EVENTS_UNIT, values: (_u, ticks) => ticks.map((t) => rate(t)) },
      {
        ...AXIS, scale: "bytes", side: 1, size: 40, grid: { show: false }, label: (u) => rightUnit(u),
        values: (u, ticks) => ticks.map((t) => tickIn(t, bytesUnit(u.scales.bytes?.max ?? 0)[1])),
      },
    ],
  };
  const chart = new uPlot(options, [[], ...RATE_SERIES.map(() => [])], plot);
  const follow = new ResizeObserver(() => {
    const w = element.clientWidth;
    // A folded device's charts measure 0: keep their size for when they unfold.
    if (w > 0 && Math.abs(w - chart.width) > 1) chart.setSize({ width: Math.max(w, 200), height: HEIGHT });
  });
  follow.observe(element);
  // Held by the element, so it lives as long as the chart (theme-colours holds it weakly).
  let alive = true;
  const retheme = (): void => {
    if (alive) chart.redraw(true, true);
  };
  onThemeChange(retheme);
  Object.assign(element, { ringsideRetheme: retheme });
  let drewQuiet = false;
  return {
    element,
    update(history) {
      // An idle queue's chart is the same flat lines every time: drawn once, then left
      // alone (only its time axis would move) until the queue does something again.
      const quiet = history.quiet && history.length > 0;
      if (quiet && drewQuiet) return;
      drewQuiet = quiet;
      chart.setData(history.data());
      // For tests and readers of the DOM: the canvas's right-axis title.
      const unit = rightUnit(chart);
      if (element.dataset.rightUnit !== unit) element.dataset.rightUnit = unit;
    },
    destroy() {
      alive = false;
      follow.disconnect();
      chart.destroy();
    },
  };
}
