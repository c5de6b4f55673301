// The way out of the terminal by keyboard. xterm takes Tab (the guest's shell completes with
// it) and Escape (vi, readline), so neither can move the focus. Ctrl+] does: it is the key
// telnet and `virsh console` leave a console with, so a reader who has used a hypervisor's
// console may know it already, and the guest rarely needs it (0x1d, readline's
// character-search, is bound to nothing a shell session depends on). It moves the focus to
// the next control after the terminal, as Tab would anywhere else on the page; Ctrl+Shift+]
// goes back to the control before it.

/** Whether a key event is the leave-the-terminal key; `backwards` for its Shift form. */
export function isLeaveKey(event: KeyboardEvent): { backwards: boolean } | undefined {
  if (event.type !== "keydown" || !event.ctrlKey || event.altKey || event.metaKey) return undefined;
  // "]" on most layouts; with Shift many report "}". The code is BracketRight on US-like layouts.
  if (event.key === "]" || event.key === "}" || (event.code === "BracketRight" && !/^[+*]$/.test(event.key))) return { backwards: event.shiftKey };
  return undefined;
}

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';

/** Controls the Tab key would visit, in document order (skipping what is hidden or inside `skip`). */
function tabStops(skip: HTMLElement): HTMLElement[] {
  return [...document.querySelectorAll<HTMLElement>(FOCUSABLE)].filter(
    (node) => !skip.contains(node) && node.tabIndex >= 0 && node.getClientRects().length > 0 && !node.closest("[hidden], [inert]"),
  );
}

/** Moves the focus from the terminal in `container` to the next (or previous) control on the page. */
export function leaveTerminal(container: HTMLElement, backwards: boolean): void {
  const stops = tabStops(container);
  const after = stops.filter((node) => container.compareDocumentPosition(node) & Node.DOCUMENT_POSITION_FOLLOWING);
  const before = stops.filter((node) => container.compareDocumentPosition(node) & Node.DOCUMENT_POSITION_PRECEDING);
  const target = backwards ? (before.at(-1) ?? stops.at(-1)) : (after[0] ?? stops[0]);
  target?.focus();
}

/** Ties the hint under the terminal (index.html) to xterm's input, so a screen reader says it on entering the terminal. */
export function describeTerminalKeys(textarea: HTMLTextAreaElement | undefined, hint: HTMLElement | null): void {
  if (textarea && hint?.id) textarea.setAttribute("aria-describedby", hint.id);
}
