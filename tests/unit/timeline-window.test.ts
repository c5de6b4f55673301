// The timeline's time window: zoom keeps the pointer's time in place, scrolling and
// following stay on the recorded stretch, and the axis's ticks are round times with units.
import { describe, expect, it } from "vitest";
import {
  axisTicks, clampToData, fitAll, following, formatSpan, formatTime, MIN_SPAN_MS, scrollBy, showsNewest, tickStep, timeToX, xToTime, zoomAt,
} from "../../src/page/timeline-window.js";

describe("the timeline's window", () => {
  it("zooms around an anchor, which stays at the same place on screen", () => {
    const w = { start: 100, span: 40 };
    const z = zoomAt(w, 0.5, 110);
    expect(z.span).toBe(20);
    expect(timeToX(z, 110, 800)).toBeCloseTo(timeToX(w, 110, 800));
    expect(zoomAt(w, 1e-9, 110).span).toBe(MIN_SPAN_MS);
    expect(xToTime(w, 400, 800)).toBe(120);
  });

  it("scrolls by a share of its span, and never leaves the recorded stretch behind", () => {
    expect(scrollBy({ start: 0, span: 10 }, -0.25)).toEqual({ start: -2.5, span: 10 });
    // Far past the newest event: pulled back so a tenth of the window still shows it.
    expect(clampToData({ start: 500, span: 10 }, 0, 100).start).toBe(99);
    expect(clampToData({ start: -500, span: 10 }, 0, 100).start).toBe(-9);
    expect(clampToData({ start: 40, span: 10 }, 0, 100).start).toBe(40);
  });

  it("follows the newest event with a little room after it, and knows when it shows it", () => {
    const f = following({ start: 0, span: 100 }, 1000);
    expect(f.start + f.span).toBeGreaterThan(1000);
    expect(f.start).toBeLessThan(1000 - 90);
    expect(showsNewest(f, 1000)).toBe(true);
    expect(showsNewest({ start: 0, span: 100 }, 1000)).toBe(false);
    const all = fitAll(10, 110);
    expect(all.start).toBeLessThan(10);
    expect(all.start + all.span).toBeGreaterThan(110);
  });

  it("puts ticks at 1, 2 or 5 times a power of ten, at least the asked pixels apart", () => {
    expect(tickStep(10, 1000, 90)).toBe(1);
    expect(tickStep(1, 1000, 90)).toBe(0.1);
    expect(tickStep(0.05, 800, 90)).toBeCloseTo(0.01);
    expect(tickStep(3000, 600, 90)).toBe(500);
  });

  it("labels times in the unit their size calls for, with the decimals the step needs", () => {
    expect(formatTime(0, 1)).toBe("0 ms");
    expect(formatTime(2, 1)).toBe("2 ms");
    expect(formatTime(0.25, 0.05)).toBe("250 µs");
    expect(formatTime(1250.05, 0.05)).toBe("1.25005 s");
    expect(formatTime(12.5, 0.5)).toBe("12.5 ms");
    expect(formatTime(3000, 1000)).toBe("3 s");
    expect(formatSpan(0.5)).toBe("500 µs");
    expect(formatSpan(1500)).toBe("1.5 s");
  });

  it("gives an axis of evenly spaced ticks inside the window, counted from the origin", () => {
    const ticks = axisTicks({ start: 1000.3, span: 2 }, 800, 1000);
    expect(ticks.length).toBeGreaterThan(3);
    for (const t of ticks) {
      expect(t.x).toBeGreaterThanOrEqual(0);
      expect(t.x).toBeLessThanOrEqual(800);
      expect(t.label).toMatch(/^\d+(\.\d+)? (s|ms|µs)$/);
    }
    const gaps = ticks.slice(1).map((t, i) => t.x - ticks[i]!.x);
    for (const g of gaps) expect(g).toBeCloseTo(gaps[0]!);
    expect(ticks[0]!.label).toBe("500 µs");
    expect(ticks[1]!.label).toBe("1.0 ms");
  });
});
