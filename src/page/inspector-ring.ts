// The picture of one ring: a grid of small cells, one per avail-ring slot in ring order,
// coloured by state, with the three positions that matter marked: where the driver will
// put the next buffer (avail idx), where the device will take the next one (its last
// seen idx) and where it will put the next completion (used idx). A canvas, because a
// 1024-slot ring redrawn ten times a second is cheap as pixels and heavy as DOM nodes.
//
// Tests cannot see pixels, so the canvas carries its data too: data-slots (one letter per
// slot: f free, a available, h held, u used; packed rings' continuation slots in upper
// case), data-wrap-marks for a packed ring, and the geometry to click a slot. A packed
// ring's cells are inspector-ring-packed.ts's.
//
// By keyboard the picture is a listbox of one option: the slot in focus, which the arrow
// keys move (inspector-ring-keys.ts) and Enter or Space opens as a click does. The option is
// a hidden line of text naming the slot ("slot 5 of 256: available ..."), so a screen reader
// says each slot as the focus reaches it without a DOM node per slot.
import { slotStatusAt, type QueueView, type SlotStatus } from "../worker/api.js";
import { el, setData } from "./inspector-dom.js";
import { drawPackedCells, packedDrawKey, packedSlotTitle } from "./inspector-ring-packed.js";
import { opensChain, slotAfterKey, slotWords } from "./inspector-ring-keys.js";
import { cssColour, onThemeChange, themeGeneration } from "./theme-colours.js";

/** CSS colours (theme.css), so legends take them as they are and canvases through cssColour. */
export const SLOT_COLOURS: Record<SlotStatus, string> = {
  free: "var(--slot-free)",
  available: "var(--slot-available)",
  held: "var(--slot-held)",
  used: "var(--slot-used)",
};

export const MARK_COLOURS = {
  avail: "var(--mark-avail)",
  device: "var(--mark-device)",
  used: "var(--mark-used)",
  selected: "var(--mark-selected)",
  focus: "var(--mark-focus)",
} as const;

/** Room around each cell for the markers' outlines. */
const GAP = 3;
const PAD = 3;

export interface RingPicture {
  /** The focusable box (the listbox) holding the canvas. */
  readonly element: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  /** Takes the queue's new state; paints it only if `paint` (the ring is on screen). Canvas only: no DOM writes. */
  update(queue: QueueView, paint: boolean): void;
  /** Puts the latest state where tests read it (data-slots, the label): DOM writes, done after all drawing. */
  describe(): void;
  /** Lays the grid out again for a new width (CSS pixels). */
  resize(width: number): void;
  /** Outlines the slot whose chain is on show (undefined: none). */
  select(slot: number | undefined): void;
}

/** Columns for a ring: a row per 32 slots up to 256, then 64 (1024 slots: 16 rows). */
function columnsFor(size: number): number {
  if (size <= 32) return Math.max(size, 1);
  if (size <= 256) return 32;
  if (size <= 2048) return 64;
  return 128;
}

let pictures = 0;

/** "receiveq1 (queue 0) of virtio-net", from the queue card the picture sits in (inspector-queue.ts's data-*). */
function cardName(box: HTMLElement): string | undefined {
  const card = box.closest<HTMLElement>("section.queue");
  const { device, queue, queueName } = card?.dataset ?? {};
  return device && queueName ? `${queueName} (queue ${queue}) of ${device}` : undefined;
}

/**
 * `name` says whose ring it is, for the listbox's label; without it the picture takes the
 * queue card's (cardName).
 */
export function createRingPicture(onSlotClick: (slot: number) => void, name?: string): RingPicture {
  const box = el("div", "ring-focus");
  const canvas = el("canvas", "ring-picture");
  canvas.setAttribute("aria-hidden", "true");
  const option = el("div", "visually-hidden");
  option.id = `ring-slot-${++pictures}`;
  option.setAttribute("role", "option");
  option.setAttribute("aria-selected", "true");
  box.append(canvas, option);
  box.tabIndex = 0;
  box.setAttribute("role", "listbox");
  box.setAttribute("aria-activedescendant", option.id);
  let queue: QueueView | undefined;
  /** The slot the keyboard is on, and whether its ring is drawn (only while focus came by keyboard). */
  let cursor = 0;
  let showCursor = false;
  let width = 320;
  let cell = 8;
  let selected: number | undefined;
  let drawnKey = "";
  let letters = "";

  const cols = (): number => columnsFor(queue?.size ?? 1);
  const pitch = (): number => cell + GAP;

  function layout(): void {
    const size = queue?.size ?? 0;
    // As large as the width allows, but never so large that a short ring looks bloated.
    cell = Math.max(4, Math.min(14, Math.floor((width - 2 * PAD) / cols()) - GAP));
    const rows = Math.max(1, Math.ceil(size / cols()));
    const cssW = 2 * PAD + cols() * pitch() - GAP;
    const cssH = 2 * PAD + rows * pitch() - GAP;
    const dpr = window.devicePixelRatio || 1;
    canvas.style.width = `${cssW}px`;
    canvas.style.height = `${cssH}px`;
    canvas.width = Math.round(cssW * dpr);
    canvas.height = Math.round(cssH * dpr);
    Object.assign(canvas.dataset, { cols: String(cols()), cell: String(cell), pitch: String(pitch()), pad: String(PAD) });
    drawnKey = "";
  }

  function origin(slot: number): [number, number] {
    return [PAD + (slot % cols()) * pitch(), PAD + Math.floor(slot / cols()) * pitch()];
  }

  function outline(slot: number, colour: string, inset: number, lineWidth: number, ctx: CanvasRenderingContext2D): void {
    const [x, y] = origin(slot);
    ctx.strokeStyle = cssColour(colour);
    ctx.lineWidth = lineWidth;
    ctx.strokeRect(x + inset, y + inset, cell - 2 * inset, cell - 2 * inset);
  }

  function draw(): void {
    const ctx = canvas.getContext("2d");
    if (!ctx || !queue) return;
    const q = queue;
    const focus = showCursor ? cursor : -1;
    const key = `${letters}|${q.availIdx}|${q.lastAvailIdx}|${q.usedIdx}|${selected}|${focus}|${canvas.width}|${themeGeneration()}|${packedDrawKey(q)}`;
    if (key === drawnKey) return;
    drawnKey = key;
    const dpr = canvas.width / (parseFloat(canvas.style.width) || 1);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    if (q.layout === "packed") {
      drawPackedCells(ctx, q, { cell, gap: GAP, origin, rowStart: (slot) => slot % cols() === 0 }, SLOT_COLOURS);
    } else {
      for (let slot = 0; slot < q.slots.length; slot++) {
        const [x, y] = origin(slot);
        ctx.fillStyle = cssColour(SLOT_COLOURS[slotStatusAt(q.slots, slot) ?? "free"]);
        ctx.fillRect(x, y, cell, cell);
      }
    }
    if (q.size === 0) return;
    // Nested so that all three stay visible when they fall on one slot (an idle ring):
    // avail idx outside the cell, the device's position on its edge, used idx a dot inside.
    // A packed ring's are the slot after its last available one, and the device's
    // next-avail and next-used slots.
    outline(q.availIdx % q.size, MARK_COLOURS.avail, -1.5, 1.5, ctx);
    outline(q.lastAvailIdx % q.size, MARK_COLOURS.device, 0.75, 1.5, ctx);
    // The dot has a dark rim so it stands out on every state's colour.
    const [ux, uy] = origin(q.usedIdx % q.size);
    const dot = Math.max(3, Math.round(cell / 2));
    const at = (cell - dot) / 2;
    ctx.fillStyle = cssColour("var(--mark-rim)");
    ctx.fillRect(ux + at - 1, uy + at - 1, dot + 2, dot + 2);
    ctx.fillStyle = cssColour(MARK_COLOURS.used);
    ctx.fillRect(ux + at, uy + at, dot, dot);
    if (selected !== undefined && selected < q.size) outline(selected, MARK_COLOURS.selected, -2.5, 2, ctx);
    // The keyboard's slot: a ring with a rim inside it, so it shows on every state's colour.
    if (showCursor && cursor < q.size) {
      outline(cursor, MARK_COLOURS.focus, -2.5, 2.5, ctx);
      outline(cursor, "var(--mark-rim)", -0.25, 1, ctx);
    }
  }

  function slotAt(event: MouseEvent): number | undefined {
    if (!queue) return undefined;
    const rect = canvas.getBoundingClientRect();
    const x = event.clientX - rect.left - PAD;
    const y = event.clientY - rect.top - PAD;
    const col = Math.floor(x / pitch());
    const row = Math.floor(y / pitch());
    if (x < 0 || y < 0 || col >= cols()) return undefined;
    const slot = row * cols() + col;
    return slot < queue.size ? slot : undefined;
  }

  canvas.addEventListener("click", (event) => {
    const slot = slotAt(event);
    if (slot === undefined) return;
    cursor = slot;
    say();
    onSlotClick(slot);
  });
  box.addEventListener("keydown", (event) => {
    if (!queue || event.altKey || event.ctrlKey || event.metaKey) return;
    if (opensChain(event.key)) {
      event.preventDefault();
      if (cursor < queue.size) onSlotClick(cursor);
      return;
    }
    const next = slotAfterKey(event.key, cursor, cols(), queue.size);
    if (next === undefined) return;
    event.preventDefault();
    cursor = next;
    showCursor = true;
    say();
    draw();
  });
  box.addEventListener("focus", () => {
    showCursor = box.matches(":focus-visible");
    say();
    draw();
  });
  box.addEventListener("blur", () => {
    showCursor = false;
    draw();
  });
  // Kept on the box so it lives as long as the picture does (theme-colours holds it weakly).
  const redraw = (): void => {
    drawnKey = "";
    draw();
  };
  onThemeChange(redraw);
  Object.assign(box, { ringsideRedraw: redraw });

  /** The focused slot in words, for the hidden option (the screen reader reads it on each move). */
  function say(): void {
    if (!queue) return;
    cursor = Math.min(cursor, Math.max(queue.size - 1, 0));
    setData(box, "cursor", String(cursor));
    const words = slotWords(queue, cursor, selected === cursor);
    if (option.textContent !== words) option.textContent = words;
    option.setAttribute("aria-setsize", String(queue.size));
    option.setAttribute("aria-posinset", String(cursor + 1));
  }
  canvas.addEventListener("mousemove", (event) => {
    const slot = slotAt(event);
    const state = slot === undefined || !queue ? undefined : slotStatusAt(queue.slots, slot);
    if (slot !== undefined && queue?.layout === "packed") canvas.title = packedSlotTitle(queue, slot);
    else canvas.title = slot === undefined || !state ? "" : `slot ${slot}: ${state} (click for its descriptor chain)`;
  });

  return {
    element: box,
    canvas,
    update(next, paint) {
      const relayout = next.size !== queue?.size;
      queue = next;
      letters = next.slots;
      if (relayout) layout();
      if (paint) draw();
    },
    describe() {
      setData(canvas, "slots", letters);
      setData(canvas, "wrapMarks", queue?.packed?.wrapMarks ?? "");
      name ??= cardName(box);
      const label = `${name ?? "ring"}: ring of ${queue?.size ?? 0} slots (arrow keys choose a slot, Enter shows its descriptor chain)`;
      if (box.getAttribute("aria-label") !== label) box.setAttribute("aria-label", label);
      // The slot's words follow the ring only while the picture has the focus (each change of
      // text costs a relayout); before that the option just needs a name.
      if (document.activeElement === box || !option.textContent) say();
    },
    resize(w) {
      if (w <= 0 || w === width) return;
      width = w;
      layout();
      draw();
    },
    select(slot) {
      selected = slot;
      if (slot !== undefined) cursor = slot;
      draw();
    },
  };
}
