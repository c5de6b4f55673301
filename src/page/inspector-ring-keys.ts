// The ring picture by keyboard: which slot an arrow key moves to in the drawn grid, and the
// words a screen reader says for the slot in focus. Plain functions: the picture
// (inspector-ring.ts) owns the canvas and the focus.
import { slotStatusAt, type QueueView } from "../worker/api.js";
import { packedSlotWords } from "./inspector-ring-packed.js";

/**
 * The slot `key` moves to from `slot` in a grid of `cols` columns holding `size` slots, or
 * undefined for a key that does not move. Left and Right go slot by slot in ring order (and
 * so on to the next row), Up and Down by a row, Home and End to the ring's first and last
 * slot. No key leaves the ring: at an edge the focus stays where it is.
 */
export function slotAfterKey(key: string, slot: number, cols: number, size: number): number | undefined {
  if (size <= 0) return undefined;
  const last = size - 1;
  const at = Math.min(Math.max(slot, 0), last);
  switch (key) {
    case "ArrowLeft":
      return Math.max(at - 1, 0);
    case "ArrowRight":
      return Math.min(at + 1, last);
    case "ArrowUp":
      return at - cols >= 0 ? at - cols : at;
    case "ArrowDown":
      return at + cols <= last ? at + cols : at;
    case "Home":
      return 0;
    case "End":
      return last;
    default:
      return undefined;
  }
}

/** Enter and Space open the slot's chain, as a click does. */
export function opensChain(key: string): boolean {
  return key === "Enter" || key === " ";
}

/** "slot 5 of 256: available · avail idx (the driver's next)", the slot's state and the positions that fall on it. */
export function slotWords(q: QueueView, slot: number, chainShown: boolean): string {
  const open = chainShown ? " · its chain is shown" : "";
  if (q.layout === "packed") return `${packedSlotWords(q, slot).replace(/^slot \d+/, `slot ${slot} of ${q.size}`)}${open}`;
  const parts = [`slot ${slot} of ${q.size}: ${slotStatusAt(q.slots, slot) ?? "free"}`];
  if (q.size > 0) {
    if (slot === q.availIdx % q.size) parts.push(`avail idx ${q.availIdx} (where the driver puts its next buffer)`);
    if (slot === q.lastAvailIdx % q.size) parts.push(`device last seen ${q.lastAvailIdx} (the next it takes)`);
    if (slot === q.usedIdx % q.size) parts.push(`used idx ${q.usedIdx} (where the device puts its next completion)`);
  }
  return `${parts.join(" · ")}${open}`;
}
