// Paints the timeline: the time axis, then each queue's row of lanes with its events as
// glyphs, the buffers the device held as bands from take to return, and the kicks-on
// level as a waveform. Only the window on show is drawn, and at most one glyph per kind,
// row and pixel column: a zoomed-out view of 60,000 events costs no more ink than its
// width allows.
import { TIMELINE_EVENT, TIMELINE_EVENT_NAMES } from "../worker/api.js";
import type { TimelineBuffer } from "./timeline-buffer.js";
import { GEOMETRY, LANE_TITLES, LANES, laneTop, rowTop, styleOf, viewHeight, type Glyph } from "./timeline-lanes.js";
import { axisTicks, timeToX, type TimeWindow } from "./timeline-window.js";

/** Colours by CSS variable name (timeline.css), read from the page's styles. */
export type Palette = Map<string, string>;

const VARIABLES = ["--tl-publish", "--tl-kick", "--tl-quiet", "--tl-take", "--tl-return", "--tl-interrupt", "--tl-notify", "--tl-avail-event", "--tl-used-event", "--tl-grid", "--tl-text", "--tl-muted", "--tl-highlight", "--tl-selected"];

export function readPalette(element: HTMLElement): Palette {
  const style = getComputedStyle(element);
  return new Map(VARIABLES.map((v) => [v, style.getPropertyValue(v).trim() || "#888"]));
}

/** One event picked by the reader, by what it is rather than its index (indexes move as old events go). */
export interface PickedEvent {
  time: number;
  row: number;
  kind: number;
  a: number;
  b: number;
}

export interface TimelineScene {
  buf: TimelineBuffer;
  window: TimeWindow;
  /** The canvas's width in CSS pixels (the plot is this less the gutter). */
  width: number;
  /** The row of the queue selected in the inspector. */
  highlightRow?: number;
  selected?: PickedEvent;
}

const colour = (p: Palette, name: string): string => p.get(name) ?? "#888";

function glyph(ctx: CanvasRenderingContext2D, g: Glyph, x: number, top: number): void {
  const h = GEOMETRY.lane;
  const mid = top + h / 2;
  ctx.beginPath();
  switch (g) {
    case "up":
      ctx.moveTo(x, top + 3);
      ctx.lineTo(x + 4, top + h - 3);
      ctx.lineTo(x - 4, top + h - 3);
      ctx.fill();
      return;
    // A take in the lane's upper half, a return in its lower: a chain taken and returned
    // in one doorbell (the same guest time) shows both.
    case "down":
      ctx.moveTo(x - 4, top + 1);
      ctx.lineTo(x + 4, top + 1);
      ctx.lineTo(x, top + 7);
      ctx.fill();
      return;
    case "box":
      ctx.fillRect(x - 2.5, top + 8, 5, 5);
      return;
    case "hollow":
      ctx.strokeRect(x - 2.5, mid - 2.5, 5, 5);
      return;
    case "edge":
      ctx.fillRect(x - 0.75, top + 1, 1.5, h - 2);
      ctx.fillRect(x - 2.5, top + 1, 5, 2);
      return;
    case "tick":
      ctx.fillRect(x - 0.5, mid, 1, h / 2 - 1);
      ctx.fillRect(x - 2, mid, 4, 1);
      return;
    case "cross":
      ctx.moveTo(x - 3, mid - 3);
      ctx.lineTo(x + 3, mid + 3);
      ctx.moveTo(x + 3, mid - 3);
      ctx.lineTo(x - 3, mid + 3);
      ctx.stroke();
      return;
    case "diamond":
      ctx.moveTo(x, mid - 4);
      ctx.lineTo(x + 4, mid);
      ctx.lineTo(x, mid + 4);
      ctx.lineTo(x - 4, mid);
      ctx.fill();
      return;
    case "level":
      return;
  }
}

function drawFrame(ctx: CanvasRenderingContext2D, s: TimelineScene, p: Palette, plotW: number): void {
  const { buf } = s;
  ctx.font = "11px ui-monospace, 'DejaVu Sans Mono', monospace";
  ctx.textBaseline = "middle";
  for (const [r, row] of buf.rows.entries()) {
    const top = rowTop(r);
    if (r === s.highlightRow) {
      ctx.fillStyle = colour(p, "--tl-highlight");
      ctx.fillRect(0, top, s.width, GEOMETRY.title + LANES.length * GEOMETRY.lane);
    }
    ctx.fillStyle = colour(p, r === s.highlightRow ? "--tl-selected" : "--tl-text");
    ctx.fillText(row.label, 4, top + GEOMETRY.title / 2 + 1);
    for (const lane of LANES) {
      const y = laneTop(r, lane);
      ctx.fillStyle = colour(p, "--tl-muted");
      ctx.fillText(LANE_TITLES[lane], 4, y + GEOMETRY.lane / 2);
      ctx.fillStyle = colour(p, "--tl-grid");
      ctx.fillRect(GEOMETRY.gutter, y + GEOMETRY.lane - 1, plotW, 1);
    }
  }
  // The axis: ticks and labels at the top, faint lines down through every row's lanes
  // (not its title, which stays readable).
  ctx.textAlign = "center";
  const lanesHeight = LANES.length * GEOMETRY.lane;
  for (const tick of axisTicks(s.window, plotW, buf.origin ?? 0)) {
    const x = GEOMETRY.gutter + Math.round(tick.x);
    ctx.fillStyle = colour(p, "--tl-grid");
    ctx.fillRect(x, GEOMETRY.axis - 5, 1, 5);
    for (let r = 0; r < buf.rows.length; r++) ctx.fillRect(x, laneTop(r, LANES[0]), 1, lanesHeight);
    ctx.fillStyle = colour(p, "--tl-muted");
    if (tick.x > 24 && tick.x < plotW - 24) ctx.fillText(tick.label, x, GEOMETRY.axis / 2 - 1);
  }
  ctx.textAlign = "start";
}

/** Buffers the device held: a translucent band per take-to-return, darker where several overlap. */
function drawHeld(ctx: CanvasRenderingContext2D, s: TimelineScene, p: Palette, plotW: number): void {
  const { buf, window: w } = s;
  const end = w.start + w.span;
  ctx.fillStyle = colour(p, "--tl-take");
  ctx.globalAlpha = 0.22;
  const band = (row: number, from: number, to: number): void => {
    const x0 = Math.max(0, timeToX(w, from, plotW));
    const x1 = Math.min(plotW, timeToX(w, to, plotW));
    ctx.fillRect(GEOMETRY.gutter + x0, laneTop(row, "device") + 3, Math.max(1, x1 - x0), GEOMETRY.lane - 6);
  };
  for (let i = buf.spanIndexAt(w.start); i < buf.spanCount; i++) {
    const [from, to, row] = buf.span(i);
    if (from <= end) band(row, from, to);
  }
  const last = buf.last ?? end;
  for (let r = 0; r < buf.rows.length; r++) for (const [from] of buf.openSpans(r)) if (from <= end) band(r, from, last);
  ctx.globalAlpha = 1;
}

/** The kicks-on level per row: high while the device wants kicks, low while it has them off. */
function drawLevels(ctx: CanvasRenderingContext2D, s: TimelineScene, p: Palette, plotW: number, from: number, to: number): void {
  const { buf, window: w } = s;
  const state = new Array<number | undefined>(buf.rows.length);
  const lastX = new Array<number>(buf.rows.length).fill(0);
  const isLevel = (k: number): boolean => k === TIMELINE_EVENT.notifyOn || k === TIMELINE_EVENT.notifyOff;
  // Where each row stood when the window opens: its latest switch before it.
  for (let i = from - 1, unknown = buf.rows.length; i >= 0 && unknown > 0; i--) {
    const r = buf.row(i);
    if (isLevel(buf.kind(i)) && state[r] === undefined) {
      state[r] = buf.kind(i);
      unknown--;
    }
  }
  ctx.strokeStyle = colour(p, "--tl-notify");
  ctx.lineWidth = 1.5;
  const y = (r: number, k: number | undefined): number => laneTop(r, "notify") + (k === TIMELINE_EVENT.notifyOn ? 3 : GEOMETRY.lane - 4);
  const run = (r: number, toX: number): void => {
    if (state[r] === undefined) return;
    ctx.beginPath();
    ctx.moveTo(GEOMETRY.gutter + (lastX[r] ?? 0), y(r, state[r]));
    ctx.lineTo(GEOMETRY.gutter + toX, y(r, state[r]));
    ctx.stroke();
  };
  for (let i = from; i < to; i++) {
    const k = buf.kind(i);
    if (!isLevel(k)) continue;
    const r = buf.row(i);
    const x = Math.max(0, Math.min(plotW, timeToX(w, buf.time(i), plotW)));
    run(r, x);
    ctx.beginPath();
    ctx.moveTo(GEOMETRY.gutter + x, y(r, TIMELINE_EVENT.notifyOn));
    ctx.lineTo(GEOMETRY.gutter + x, y(r, TIMELINE_EVENT.notifyOff));
    ctx.stroke();
    state[r] = k;
    lastX[r] = x;
  }
  const lastEventX = buf.last === undefined ? plotW : Math.min(plotW, timeToX(w, buf.last, plotW));
  for (let r = 0; r < buf.rows.length; r++) run(r, Math.max(lastX[r] ?? 0, lastEventX));
}

export function drawTimeline(ctx: CanvasRenderingContext2D, s: TimelineScene, p: Palette): void {
  const { buf, window: w } = s;
  const plotW = Math.max(1, s.width - GEOMETRY.gutter);
  drawFrame(ctx, s, p, plotW);
  ctx.save();
  ctx.beginPath();
  ctx.rect(GEOMETRY.gutter, GEOMETRY.axis, plotW, viewHeight(buf.rows.length));
  ctx.clip();
  drawHeld(ctx, s, p, plotW);
  // Half a glyph either side, so an event on the window's edge is drawn whole.
  const slack = (5 / plotW) * w.span;
  const from = buf.indexAt(w.start - slack);
  const to = buf.indexAt(w.start + w.span + slack);
  drawLevels(ctx, s, p, plotW, from, to);
  const kinds = TIMELINE_EVENT_NAMES.length;
  const drawnAt = new Int32Array(buf.rows.length * kinds).fill(-1e9);
  for (let i = from; i < to; i++) {
    const kind = buf.kind(i);
    const style = styleOf(kind);
    if (!style || style.glyph === "level") continue;
    const r = buf.row(i);
    const x = Math.round(GEOMETRY.gutter + timeToX(w, buf.time(i), plotW));
    const slot = r * kinds + kind;
    if (drawnAt[slot] === x) continue;
    drawnAt[slot] = x;
    const c = colour(p, style.colour);
    ctx.fillStyle = c;
    ctx.strokeStyle = c;
    ctx.lineWidth = 1.5;
    glyph(ctx, style.glyph, x + 0.5, laneTop(r, style.lane));
  }
  const picked = s.selected;
  const pickedStyle = picked && styleOf(picked.kind);
  if (picked && pickedStyle) {
    const x = GEOMETRY.gutter + timeToX(w, picked.time, plotW);
    ctx.strokeStyle = colour(p, "--tl-selected");
    ctx.lineWidth = 2;
    ctx.strokeRect(x - 6, laneTop(picked.row, pickedStyle.lane) - 1, 12, GEOMETRY.lane + 2);
  }
  ctx.restore();
}
