// The ring picture of a packed ring (virtio 1.2, 2.8): one cell per descriptor-ring slot,
// coloured by who owns it (the same four colours as a split ring's slots: free, the
// driver's; available to the device; taken by the device, in flight; used, returned and not
// yet reclaimed). A buffer's later slots are joined to its first, so a chain reads as one
// bar. Two small corner ticks show the slot's flags against the wrap counter the device
// expects there: AVAIL top left, USED bottom right, drawn when the flag equals it (so a
// lone top-left tick is the spec's own test for "available", a lone bottom-right one a
// slot the device has passed, and none at all a used descriptor). A dark tick for "differs"
// was tried: on cells of 8 to 14 pixels it read as a cut corner, not as a flag. The device's next-avail slot is outlined and its next-used slot dotted,
// as a split ring's last-seen and used idx are; the slot after the last available one (where
// the driver will put its next buffer, as far as the ring shows) is outlined outside.
import { continuesBuffer, slotStatusAt, wrapMarkAt, type QueueView } from "../worker/api.js";
import { cssColour } from "./theme-colours.js";

/** A CSS colour (theme.css); the canvas resolves it with cssColour. */
export const TICK_COLOUR = "var(--ring-tick)";

export interface CellGeometry {
  cell: number;
  gap: number;
  origin(slot: number): [number, number];
  /** True when `slot` starts a row of the grid. */
  rowStart(slot: number): boolean;
}

export interface PackedMarks {
  colours: Record<"free" | "available" | "held" | "used", string>;
  avail: string;
  device: string;
  used: string;
}

/** The cells, their joins and their ticks (the markers are drawn by the caller, as for a split ring). */
export function drawPackedCells(ctx: CanvasRenderingContext2D, q: QueueView, g: CellGeometry, colours: PackedMarks["colours"]): void {
  const marks = q.packed?.wrapMarks ?? "";
  const tick = Math.max(2, Math.round(g.cell * 0.42));
  for (let slot = 0; slot < q.slots.length; slot++) {
    const [x, y] = g.origin(slot);
    ctx.fillStyle = cssColour(colours[slotStatusAt(q.slots, slot) ?? "free"]);
    ctx.fillRect(x, y, g.cell, g.cell);
    if (continuesBuffer(q.slots, slot) && !g.rowStart(slot)) ctx.fillRect(x - g.gap, y + 1, g.gap, g.cell - 2);
    const flags = wrapMarkAt(marks, slot);
    if (!flags || g.cell < 6) continue;
    if (flags.avail) triangle(ctx, [x, y], [x + tick, y], [x, y + tick]);
    const [r, b] = [x + g.cell, y + g.cell];
    if (flags.used) triangle(ctx, [r, b], [r - tick, b], [r, b - tick]);
  }
}

function triangle(ctx: CanvasRenderingContext2D, a: [number, number], b: [number, number], c: [number, number]): void {
  ctx.fillStyle = cssColour(TICK_COLOUR);
  ctx.beginPath();
  ctx.moveTo(...a);
  ctx.lineTo(...b);
  ctx.lineTo(...c);
  ctx.closePath();
  ctx.fill();
}

/** What the redraw depends on, beyond the letters (which the caller keys on). */
export function packedDrawKey(q: QueueView): string {
  const p = q.packed;
  return p ? `${p.wrapMarks}|${p.nextAvail}|${p.nextUsed}|${q.availIdx}` : "";
}

const OWNER_WORDS = {
  free: "free (the driver's)",
  available: "available to the device",
  held: "taken by the device, in flight",
  used: "used: returned, not yet reclaimed by the driver",
} as const;

/** A hover title: owner, buffer ID, flags against the counters, the device's positions. */
export function packedSlotTitle(q: QueueView, slot: number): string {
  const words = packedSlotWords(q, slot);
  return words && `${words} (click for its descriptor chain)`;
}

/** The slot in words (the hover title without its hint; the keyboard's focus says it too). */
export function packedSlotWords(q: QueueView, slot: number): string {
  const p = q.packed;
  const status = slotStatusAt(q.slots, slot);
  if (!p || !status) return "";
  const parts = [`slot ${slot}: ${OWNER_WORDS[status]}`];
  const id = p.ids[slot];
  if (id !== undefined) parts.push(continuesBuffer(q.slots, slot) ? `part of the buffer before it (ID field ${id})` : `buffer ID ${id}`);
  const flags = wrapMarkAt(p.wrapMarks, slot);
  if (flags) {
    const expected = (slot >= p.nextAvail ? p.availWrap : !p.availWrap) ? 1 : 0;
    const bit = (matches: boolean) => (matches ? expected : 1 - expected);
    parts.push(`AVAIL ${bit(flags.avail)} USED ${bit(flags.used)}, the device expects wrap ${expected} here`);
  }
  if (slot === p.nextAvail) parts.push(`device's next avail (wrap ${p.availWrap ? 1 : 0})`);
  if (slot === p.nextUsed) parts.push(`device's next used (wrap ${p.usedWrap ? 1 : 0})`);
  return parts.join(" · ");
}

/** The packed ring's legend words for the four owners and the marks. */
export const PACKED_LEGEND = {
  states: { free: "free (driver)", available: "available", held: "taken (in flight)", used: "used, not reclaimed" },
  marks: ["next avail (device)", "next used (device)", "driver's next"],
  ticks: ["AVAIL = wrap", "USED = wrap"],
} as const;
