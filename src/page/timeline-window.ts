// The timeline's time window: which stretch of guest time the logic-analyser view shows,
// how it scrolls and zooms, and the labelled ticks of its axis. Pure arithmetic on guest
// milliseconds, so it is tested without a canvas.

/** A stretch of guest time: from `start` (ms) for `span` ms. */
export interface TimeWindow {
  start: number;
  span: number;
}

/** The narrowest window: 2 µs, a few events of one doorbell apart. */
export const MIN_SPAN_MS = 0.002;
/** The widest: ten minutes of guest time. */
export const MAX_SPAN_MS = 600_000;
/**
 * What a view shows before any event, and the span a recording starts following with:
 * 100 ms, about the page's last batch or two (it asks ten times a second), so a view that
 * follows moves on smoothly rather than jumping between stretches it never showed.
 */
export const FIRST_WINDOW: TimeWindow = { start: 0, span: 100 };
/** Room left after the newest event while following, as a share of the span. */
const FOLLOW_MARGIN = 0.04;

const clampSpan = (span: number): number => Math.min(MAX_SPAN_MS, Math.max(MIN_SPAN_MS, span));

/** Zooms by `factor` (< 1: in) keeping guest time `anchor` where it is on screen. */
export function zoomAt(w: TimeWindow, factor: number, anchor: number): TimeWindow {
  const span = clampSpan(w.span * factor);
  const at = w.span > 0 ? (anchor - w.start) / w.span : 0.5;
  return { start: anchor - at * span, span };
}

/** Moves by `fraction` of the span (negative: back in time). */
export function scrollBy(w: TimeWindow, fraction: number): TimeWindow {
  return { start: w.start + fraction * w.span, span: w.span };
}

/**
 * Keeps a window on the recorded stretch [first, last]: it may not begin after the newest
 * event nor end before the oldest, so scrolling can never lose the events altogether.
 */
export function clampToData(w: TimeWindow, first: number, last: number): TimeWindow {
  if (!(last >= first)) return w;
  const start = Math.min(Math.max(w.start, first - w.span * 0.9), last - w.span * 0.1);
  return { start, span: w.span };
}

/** The window ending just after the newest event (`last`): what a recording follows. */
export function following(w: TimeWindow, last: number): TimeWindow {
  return { start: last - w.span * (1 - FOLLOW_MARGIN), span: w.span };
}

/** Whether a window shows the newest event: scrolling back to it resumes following. */
export function showsNewest(w: TimeWindow, last: number): boolean {
  return w.start + w.span >= last;
}

/** A window that holds everything recorded, [first, last], with a little room either side. */
export function fitAll(first: number, last: number): TimeWindow {
  const span = clampSpan((last - first) * 1.08 || FIRST_WINDOW.span);
  return { start: first - (span - (last - first)) / 2, span };
}

/** Guest time to x (CSS pixels, 0 at the plot's left edge) and back. */
export const timeToX = (w: TimeWindow, t: number, width: number): number => ((t - w.start) / w.span) * width;
export const xToTime = (w: TimeWindow, x: number, width: number): number => w.start + (x / width) * w.span;

/** The tick step for a span: 1, 2 or 5 times a power of ten ms, giving ticks at least `minPx` apart. */
export function tickStep(span: number, width: number, minPx = 90): number {
  const raw = (span * minPx) / Math.max(width, 1);
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * power >= raw) return m * power;
  return 10 * power;
}

interface Unit {
  unit: string;
  ms: number;
}
const MICROSECONDS: Unit = { unit: "µs", ms: 0.001 };
const UNITS: readonly Unit[] = [{ unit: "s", ms: 1000 }, { unit: "ms", ms: 1 }, MICROSECONDS];

/**
 * A time in the unit its size calls for, with as many decimals as `step` needs to tell
 * neighbouring ticks apart: formatTime(1250.05, 0.05) === "1.25005 s", formatTime(0.25, 0.05)
 * === "250 µs". `ms` is counted from the recording's origin, so it is rarely huge.
 */
export function formatTime(ms: number, step: number): string {
  const size = Math.max(Math.abs(ms), step);
  const { unit, ms: per } = UNITS.find((u) => size >= u.ms) ?? MICROSECONDS;
  const decimals = Math.min(6, Math.max(0, Math.ceil(-Math.log10(step / per) - 1e-9)));
  const value = ms / per;
  // -0 and values that round to 0 read as plain 0.
  const text = (Math.abs(value) < 0.5 * 10 ** -decimals ? 0 : value).toFixed(decimals);
  return `${text} ${unit}`;
}

/** A duration in words for the view's caption: "2 ms", "500 µs", "1.5 s". */
export function formatSpan(ms: number): string {
  const { unit, ms: per } = UNITS.find((u) => ms >= u.ms) ?? MICROSECONDS;
  return `${Number((ms / per).toPrecision(3))} ${unit}`;
}

export interface Tick {
  /** Guest time of the tick (ms), and its x on the plot. */
  t: number;
  x: number;
  label: string;
}

/** The axis's ticks for a window `width` px wide, labelled as times since `origin`. */
export function axisTicks(w: TimeWindow, width: number, origin: number): Tick[] {
  const step = tickStep(w.span, width);
  const ticks: Tick[] = [];
  const first = Math.ceil((w.start - origin) / step);
  for (let k = first; origin + k * step <= w.start + w.span && ticks.length < 100; k++) {
    const t = origin + k * step;
    ticks.push({ t, x: timeToX(w, t, width), label: formatTime(k * step, step) });
  }
  return ticks;
}
