// The timeline's canvas: sized to its box at the screen's pixel density, painted by
// timeline-draw.ts, and described for those who cannot see it: an aria-label, and data-*
// with the window, the axis's labels and the rows' places (tests click events by them).
import type { TimelineBuffer } from "./timeline-buffer.js";
import { drawTimeline, readPalette, type Palette, type TimelineScene } from "./timeline-draw.js";
import { GEOMETRY, LANES, rowTop, viewHeight } from "./timeline-lanes.js";
import { axisTicks, formatSpan } from "./timeline-window.js";
import { el } from "./inspector-dom.js";

export interface TimelineCanvas {
  readonly element: HTMLCanvasElement;
  /** The canvas's width in CSS pixels (0 until laid out). */
  readonly width: number;
  /** The plot's width: the canvas less the lanes' names. */
  plotWidth(): number;
  paint(scene: Omit<TimelineScene, "width">, follow: boolean): void;
}

/** `theme`: the element whose CSS variables give the colours; `onResize`: the width or the colours changed, or the canvas came into sight (redraw). */
export function createTimelineCanvas(theme: HTMLElement, onResize: () => void): TimelineCanvas {
  const canvas = el("canvas", "timeline-canvas");
  canvas.tabIndex = 0;
  canvas.setAttribute("role", "img");
  let width = 0;
  let palette: Palette | undefined;
  const plotWidth = (): number => Math.max(1, width - GEOMETRY.gutter);

  function describe(buf: TimelineBuffer, scene: Omit<TimelineScene, "width">, follow: boolean): void {
    const w = scene.window;
    const ticks = axisTicks(w, plotWidth(), buf.origin ?? 0);
    Object.assign(canvas.dataset, {
      windowStart: String(w.start), windowSpan: String(w.span), gutter: String(GEOMETRY.gutter), plotWidth: String(plotWidth()),
      ticks: ticks.map((t) => t.label).join("|"), rowTops: buf.rows.map((_, r) => rowTop(r)).join(","), lanes: LANES.join(","), follow: String(follow),
      titleHeight: String(GEOMETRY.title), laneHeight: String(GEOMETRY.lane),
    });
    const shown = buf.rows.length > 0 ? buf.rows.map((r) => r.label).join(", ") : "no queue yet";
    canvas.setAttribute("aria-label", `Timeline of ring events, ${formatSpan(w.span)} of guest time: ${shown}. The same events are listed in words below.`);
  }

  // The system's switch between dark and light changes the theme's colours: read them again.
  window.matchMedia("(prefers-color-scheme: light)").addEventListener("change", () => {
    palette = undefined;
    onResize();
  });
  // A canvas out of sight (the panel scrolled to a queue) is not painted; it catches up on coming back.
  let onScreen = true;
  new IntersectionObserver((entries) => {
    const seen = entries.at(-1)?.isIntersecting ?? onScreen;
    if (seen && !onScreen) onResize();
    onScreen = seen;
  }).observe(canvas);
  new ResizeObserver(() => {
    const w = Math.floor(canvas.clientWidth);
    if (w <= 0 || w === width) return;
    width = w;
    onResize();
  }).observe(canvas);

  return {
    element: canvas,
    get width() {
      return width;
    },
    plotWidth,
    paint(scene, follow) {
      if (width <= 0 || !onScreen) return;
      const cssH = viewHeight(scene.buf.rows.length);
      const dpr = window.devicePixelRatio || 1;
      if (canvas.height !== Math.round(cssH * dpr) || canvas.width !== Math.round(width * dpr)) {
        canvas.style.height = `${cssH}px`;
        canvas.width = Math.round(width * dpr);
        canvas.height = Math.round(cssH * dpr);
      }
      const ctx = canvas.getContext("2d");
      if (!ctx) return;
      palette ??= readPalette(theme);
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, width, cssH);
      drawTimeline(ctx, { ...scene, width }, palette);
      describe(scene.buf, scene, follow);
    },
  };
}
