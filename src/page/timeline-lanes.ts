// How the timeline lays out and names its events: each queue is a row of five lanes, as
// a logic analyser shows a bus: the driver's publishes, its kicks (sent or suppressed),
// what the device does (takes, returns, with the buffers it holds between), the
// interrupts it decides on, and the notification switches. Every kind has a lane, a glyph, a colour (a CSS variable,
// so the legend and the canvas agree) and words. Pure: geometry and words, no canvas.
import { TIMELINE_EVENT, TIMELINE_EVENT_NAMES, type TimelineEventName } from "../worker/api.js";
import type { TimelineBuffer } from "./timeline-buffer.js";
import { timeToX, type TimeWindow } from "./timeline-window.js";

export const LANES = ["publish", "kick", "device", "interrupt", "notify"] as const;
export type Lane = (typeof LANES)[number];

/** How a kind is drawn: a triangle up or down, a full-height edge, a short tick, a box (filled or hollow), a cross, a diamond, or a level change. */
export type Glyph = "up" | "down" | "edge" | "tick" | "box" | "hollow" | "cross" | "diamond" | "level";

export interface KindStyle {
  lane: Lane;
  glyph: Glyph;
  /** The CSS variable holding its colour (timeline.css). */
  colour: string;
  /** The legend's words. */
  words: string;
}

export const KIND_STYLE: Record<TimelineEventName, KindStyle> = {
  publish: { lane: "publish", glyph: "up", colour: "--tl-publish", words: "driver published" },
  kick: { lane: "kick", glyph: "edge", colour: "--tl-kick", words: "kick" },
  kickSuppressed: { lane: "kick", glyph: "tick", colour: "--tl-quiet", words: "kick suppressed" },
  take: { lane: "device", glyph: "down", colour: "--tl-take", words: "device took" },
  return: { lane: "device", glyph: "box", colour: "--tl-return", words: "device returned" },
  interrupt: { lane: "interrupt", glyph: "edge", colour: "--tl-interrupt", words: "interrupt" },
  interruptMerged: { lane: "interrupt", glyph: "hollow", colour: "--tl-interrupt", words: "interrupt merged" },
  interruptSuppressed: { lane: "interrupt", glyph: "cross", colour: "--tl-quiet", words: "interrupt suppressed" },
  notifyOff: { lane: "notify", glyph: "level", colour: "--tl-notify", words: "kicks turned off" },
  notifyOn: { lane: "notify", glyph: "level", colour: "--tl-notify", words: "kicks turned on" },
  availEvent: { lane: "notify", glyph: "diamond", colour: "--tl-avail-event", words: "avail_event moved" },
  usedEvent: { lane: "notify", glyph: "diamond", colour: "--tl-used-event", words: "used_event read" },
};

/** The style of an event's kind number (the API's TIMELINE_EVENT value). */
export function styleOf(kind: number): KindStyle | undefined {
  const name = TIMELINE_EVENT_NAMES[kind];
  return name ? KIND_STYLE[name] : undefined;
}

/** The lanes' names as the row's left margin shows them. */
export const LANE_TITLES: Record<Lane, string> = { publish: "publish", kick: "kick", device: "device", interrupt: "irq", notify: "notify" };

/** The view's geometry in CSS pixels. */
export const GEOMETRY = {
  /** The time axis at the top. */
  axis: 22,
  /** Each row's title line, then its lanes. */
  title: 16,
  lane: 14,
  gap: 8,
  /** The lanes' names left of the plot. */
  gutter: 52,
} as const;

export const ROW_HEIGHT = GEOMETRY.title + LANES.length * GEOMETRY.lane + GEOMETRY.gap;

/** Top of row `r` (its title line). */
export const rowTop = (r: number): number => GEOMETRY.axis + r * ROW_HEIGHT;
/** Top of a lane in row `r`. */
export const laneTop = (r: number, lane: Lane): number => rowTop(r) + GEOMETRY.title + LANES.indexOf(lane) * GEOMETRY.lane;
/** The canvas height for `rows` rows. */
export const viewHeight = (rows: number): number => GEOMETRY.axis + Math.max(rows, 1) * ROW_HEIGHT;

/** Which row and lane a point (y in CSS pixels from the canvas top) is in. */
export function placeAt(y: number, rows: number): { row: number; lane: Lane | undefined; half: LaneHalf } | undefined {
  if (y < GEOMETRY.axis) return undefined;
  const row = Math.floor((y - GEOMETRY.axis) / ROW_HEIGHT);
  if (row >= rows) return undefined;
  const inRow = y - rowTop(row) - GEOMETRY.title;
  const half = inRow - Math.floor(inRow / GEOMETRY.lane) * GEOMETRY.lane < GEOMETRY.lane / 2 ? "upper" : "lower";
  return { row, lane: inRow < 0 ? undefined : LANES[Math.floor(inRow / GEOMETRY.lane)], half };
}

export type LaneHalf = "upper" | "lower";

/**
 * Where a glyph sits in its lane when that decides between two events at one instant: the
 * device lane draws a take in its upper half and a return in its lower (timeline-draw.ts),
 * so a chain taken and returned in one doorbell shows both, and a click picks the one it is on.
 */
const GLYPH_HALF: Partial<Record<Glyph, LaneHalf>> = { down: "upper", box: "lower" };

/** How near (CSS pixels) a pointer must be to an event to pick it. */
export const PICK_PX = 6;

/**
 * The event nearest x (CSS pixels from the plot's left edge) in a row, preferring events
 * of `lane` when the pointer is in one, and between events as near as each other the one
 * drawn in the `half` of the lane the pointer is in; undefined if none is within PICK_PX.
 */
export function nearestEvent(buf: TimelineBuffer, w: TimeWindow, width: number, row: number, x: number, lane?: Lane, half?: LaneHalf): number | undefined {
  const slack = (PICK_PX / width) * w.span;
  const t = w.start + (x / width) * w.span;
  let best: number | undefined;
  let bestDistance = Infinity;
  for (let i = buf.indexAt(t - slack); i < buf.length && buf.time(i) <= t + slack; i++) {
    if (buf.row(i) !== row) continue;
    const style = styleOf(buf.kind(i));
    // An event in another lane counts only if nothing in the pointer's lane is near.
    const glyphHalf = style ? GLYPH_HALF[style.glyph] : undefined;
    const otherHalf = half !== undefined && glyphHalf !== undefined && glyphHalf !== half ? 0.5 : 0;
    const distance = Math.abs(timeToX(w, buf.time(i), width) - x) + (lane && style?.lane !== lane ? PICK_PX : 0) + otherHalf;
    if (distance < bestDistance) {
      bestDistance = distance;
      best = i;
    }
  }
  return bestDistance <= PICK_PX * 2 ? best : undefined;
}

/** A ring's shape as the inspector knows it, which some events' numbers need to become slots. */
export interface RingShape {
  size: number;
  layout: "split" | "packed";
}

/** How far back a return looks for its take (a bound on the work of one click). */
const TAKE_SEARCH = 20_000;

/**
 * The ring slot an event names, for the ring picture to select: a take's slot; a
 * return's take's slot (the same head or buffer ID, taken earlier in the same row); a
 * publish's first new buffer's slot (needs the ring's shape). Other kinds name no slot.
 */
export function slotOfEvent(buf: TimelineBuffer, i: number, ring: RingShape | undefined): number | undefined {
  const kind = buf.kind(i);
  if (kind === TIMELINE_EVENT.take) return buf.b(i);
  if (kind === TIMELINE_EVENT.return) {
    for (let j = i - 1; j >= Math.max(0, i - TAKE_SEARCH); j--) {
      if (buf.row(j) === buf.row(i) && buf.kind(j) === TIMELINE_EVENT.take && buf.a(j) === buf.a(i)) return buf.b(j);
    }
    return undefined;
  }
  if (kind === TIMELINE_EVENT.publish && ring && ring.size > 0) {
    return ring.layout === "packed" ? buf.a(i) % ring.size : ((buf.a(i) - buf.b(i)) & 0xffff) % ring.size;
  }
  return undefined;
}

const plural = (n: number, one: string): string => `${n} ${one}${n === 1 ? "" : "s"}`;

/** What an event's two numbers mean, in words ("head 12 from slot 40"). */
export function eventDetail(kind: number, a: number, b: number, layout?: RingShape["layout"]): string {
  const chain = layout === "packed" ? "buffer ID" : "head";
  switch (TIMELINE_EVENT_NAMES[kind]) {
    case "publish":
      return layout === "packed" ? `from slot ${a}` : layout === "split" ? `${plural(b, "new buffer")}, avail idx ${a}` : `${plural(b, "new buffer")}, index ${a}`;
    case "take":
      return `${chain} ${a} from slot ${b}`;
    case "return":
      return `${chain} ${a}, ${plural(b, "byte")} written`;
    case "kickSuppressed":
      return `${plural(a, "buffer")} found without a kick`;
    case "interrupt":
    case "interruptMerged":
    case "interruptSuppressed":
      return layout === "packed" ? `next used slot ${a}` : `used idx ${a}`;
    case "notifyOff":
    case "notifyOn":
      return `wrote ${a}`;
    case "availEvent":
      return `avail_event = ${a}`;
    case "usedEvent":
      return `used_event = ${a} (was ${b})`;
    default:
      return "";
  }
}

/** An event in words: "device took head 12 from slot 40". */
export function eventWords(kind: number, a: number, b: number, layout?: RingShape["layout"]): string {
  const words = styleOf(kind)?.words ?? `event ${kind}`;
  const detail = eventDetail(kind, a, b, layout);
  return detail ? `${words}: ${detail}` : words;
}
