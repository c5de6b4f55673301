// How the reader moves about the timeline's canvas: the wheel zooms around the pointer
// (shift+wheel, a sideways wheel or a drag scrolls), the keyboard scrolls with the arrow
// keys and zooms with + and -, Home shows everything kept and End goes back to the newest
// events (which a recording then follows). A click that did not drag picks an event.
import { GEOMETRY } from "./timeline-lanes.js";
import { scrollBy, xToTime, type TimeWindow } from "./timeline-window.js";

/** What navigation asks of the view. */
export interface Navigable {
  readonly window: TimeWindow;
  /** The plot's width in CSS pixels (the canvas less its gutter). */
  plotWidth(): number;
  /** Moves the window; `follow`: whether it should keep following new events (undefined: decide from where it ends). */
  setWindow(w: TimeWindow, follow?: boolean): void;
  /** Zooms keeping the newest event in view if following, else around `anchor`. */
  zoom(factor: number, anchor?: number): void;
  showAll(): void;
  showNewest(): void;
  /** A click (no drag) at a point on the canvas, in CSS pixels from its corner. */
  pick(x: number, y: number): void;
  hover(x: number, y: number): void;
}

/** Zoom per step of the keyboard or buttons. */
export const ZOOM_STEP = 2;
/** Scroll per arrow key, as a share of the window. */
export const SCROLL_STEP = 0.2;
/** A pointer that moved less than this between press and release clicked. */
const CLICK_PX = 4;

export function attachNavigation(canvas: HTMLCanvasElement, view: Navigable): void {
  /** A pointer's place in the drawing's pixels: from the canvas's content box, inside its border. */
  const local = (e: MouseEvent): [number, number] => {
    const rect = canvas.getBoundingClientRect();
    return [e.clientX - rect.left - canvas.clientLeft, e.clientY - rect.top - canvas.clientTop];
  };
  const plotTime = (x: number): number => xToTime(view.window, x - GEOMETRY.gutter, view.plotWidth());

  canvas.addEventListener(
    "wheel",
    (e) => {
      e.preventDefault();
      const sideways = e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY);
      // Lines or pages of wheel become pixels, roughly as a browser scrolls them.
      const unit = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? 400 : 1;
      if (sideways) {
        const delta = (e.shiftKey && e.deltaX === 0 ? e.deltaY : e.deltaX) * unit;
        view.setWindow(scrollBy(view.window, delta / view.plotWidth()));
      } else {
        const [x] = local(e);
        view.zoom(Math.pow(1.002, e.deltaY * unit), plotTime(x));
      }
    },
    { passive: false },
  );

  let press: { x: number; y: number; window: TimeWindow; moved: boolean } | undefined;
  canvas.addEventListener("pointerdown", (e) => {
    if (e.button !== 0) return;
    const [x, y] = local(e);
    press = { x, y, window: view.window, moved: false };
    canvas.setPointerCapture(e.pointerId);
  });
  canvas.addEventListener("pointermove", (e) => {
    const [x, y] = local(e);
    if (!press) return view.hover(x, y);
    if (Math.abs(x - press.x) >= CLICK_PX) press.moved = true;
    if (!press.moved) return;
    canvas.classList.add("dragging");
    view.setWindow(scrollBy(press.window, -(x - press.x) / view.plotWidth()));
  });
  const release = (e: PointerEvent): void => {
    if (!press) return;
    const [x, y] = local(e);
    if (!press.moved && e.type === "pointerup") view.pick(x, y);
    press = undefined;
    canvas.classList.remove("dragging");
  };
  canvas.addEventListener("pointerup", release);
  canvas.addEventListener("pointercancel", release);

  canvas.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const keys: Record<string, () => void> = {
      ArrowLeft: () => view.setWindow(scrollBy(view.window, -SCROLL_STEP)),
      ArrowRight: () => view.setWindow(scrollBy(view.window, SCROLL_STEP)),
      "+": () => view.zoom(1 / ZOOM_STEP),
      "=": () => view.zoom(1 / ZOOM_STEP),
      "-": () => view.zoom(ZOOM_STEP),
      _: () => view.zoom(ZOOM_STEP),
      Home: () => view.showAll(),
      End: () => view.showNewest(),
    };
    const action = keys[e.key];
    if (!action) return;
    e.preventDefault();
    action();
  });
}

/** The same moves as buttons, for a pointer without a wheel and for anyone who wants them named. */
export function navigationButtons(view: Navigable, make: (text: string, label: string, action: () => void) => HTMLButtonElement): HTMLButtonElement[] {
  return [
    make("◀", "Scroll back in time", () => view.setWindow(scrollBy(view.window, -SCROLL_STEP))),
    make("▶", "Scroll forward in time", () => view.setWindow(scrollBy(view.window, SCROLL_STEP))),
    make("−", "Zoom out", () => view.zoom(ZOOM_STEP)),
    make("+", "Zoom in", () => view.zoom(1 / ZOOM_STEP)),
    make("All", "Show everything recorded", () => view.showAll()),
    make("Newest", "Go to the newest events and follow them", () => view.showNewest()),
  ];
}
