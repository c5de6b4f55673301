// What the page's small panels (disk, machine state) share: finding their parts in the
// markup of index.html, and turning a failure into words for their message line.

/** The element `selector` inside `panel`; `what` names the panel when the markup lacks it. */
export function part<T extends HTMLElement>(panel: HTMLElement, selector: string, what: string): T {
  const el = panel.querySelector<T>(selector);
  if (!el) throw new Error(`the ${what}'s markup lacks ${selector}`);
  return el;
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
