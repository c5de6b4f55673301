// What the page's small panels (disk, machine state) share: finding their parts in the
// markup of index.html, and the message line that reports their operations.
import { errorMessage } from "../util/error-message.js";

/** The element `selector` inside `panel`; `what` names the panel when the markup lacks it. */
export function part<T extends HTMLElement>(panel: HTMLElement, selector: string, what: string): T {
  const el = panel.querySelector<T>(selector);
  if (!el) throw new Error(`the ${what}'s markup lacks ${selector}`);
  return el;
}

/** A panel's message line and its one-operation-at-a-time runner. */
export interface PanelOperations {
  /** The operation under way, if any (its buttons are off meanwhile). */
  readonly busy: boolean;
  say(text: string, isError?: boolean): void;
  /** Runs `op` unless one is already running: "<what>…" while it runs, "<what> failed: …" if it throws. */
  run(what: string, op: () => Promise<void>): Promise<void>;
}

/**
 * `lock` turns the panel's buttons off before an operation and `unlock` back on after it
 * (each panel decides which stay off, e.g. Save without a machine).
 */
export function panelOperations(panel: HTMLElement, message: HTMLElement, progress: HTMLProgressElement, lock: () => void, unlock: () => void): PanelOperations {
  let busy = false;
  const say = (text: string, isError = false): void => {
    message.textContent = text;
    message.classList.toggle("error", isError);
  };
  return {
    get busy() {
      return busy;
    },
    say,
    async run(what, op) {
      if (busy) return;
      busy = true;
      panel.dataset.busy = "true";
      lock();
      say(`${what}…`);
      try {
        await op();
      } catch (err) {
        say(`${what} failed: ${errorMessage(err)}`, true);
      } finally {
        busy = false;
        delete panel.dataset.busy;
        progress.hidden = true;
        unlock();
      }
    },
  };
}
