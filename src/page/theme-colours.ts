// The page's colours as the canvases and the terminal need them: CSS variables (theme.css)
// resolved to colour strings, and told again when the system switches between dark and
// light. A canvas cannot take "var(--x)", so whoever draws asks here; the answer is cached
// until the theme changes (getComputedStyle on every cell of a 1024-slot ring would cost).

const LIGHT = "(prefers-color-scheme: light)";
const cache = new Map<string, string>();
/** Redraws to run when the theme changes, held weakly: a panel that goes away is not kept alive by them. */
const watchers = new Set<WeakRef<() => void>>();
let watching = false;
/** Counts theme changes: part of a canvas's "has anything changed" key. */
let generation = 0;

function listen(): void {
  if (watching) return;
  watching = true;
  window.matchMedia(LIGHT).addEventListener("change", () => {
    cache.clear();
    generation++;
    for (const ref of watchers) {
      const redraw = ref.deref();
      if (redraw) redraw();
      else watchers.delete(ref);
    }
  });
}

/** A colour for a canvas: "var(--name)" is looked up in the page's current theme, anything else is returned as it is. */
export function cssColour(value: string): string {
  const name = /^var\((--[\w-]+)\)$/.exec(value)?.[1];
  if (!name) return value;
  let colour = cache.get(name);
  if (colour === undefined) {
    listen();
    colour = getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#808080";
    cache.set(name, colour);
  }
  return colour;
}

/**
 * Runs `redraw` whenever the theme changes, for as long as `redraw` itself is reachable:
 * the caller keeps it (on the object it redraws), this module only points at it.
 */
export function onThemeChange(redraw: () => void): void {
  listen();
  watchers.add(new WeakRef(redraw));
}

/** How many times the theme has changed: part of a canvas's "has anything changed" key. */
export function themeGeneration(): number {
  return generation;
}
