// The panel that says what went wrong, with the ways out: Reload, the plain page (no
// options, no link) and, when given, an action (back to the bundled images). Messages are
// set as text, never parsed as HTML.
import { plainPageLink } from "./way-out.js";

export interface ErrorAction {
  label: string;
  run(): void;
}

export interface ErrorPanel {
  /** `action`: a way out besides Reload (e.g. back to the bundled images). */
  show(title: string, message: string, action?: ErrorAction): void;
}

export function createErrorPanel(panel: HTMLElement): ErrorPanel {
  const title = panel.querySelector<HTMLElement>(".error-title");
  const body = panel.querySelector<HTMLElement>(".error-message");
  const actionButton = panel.querySelector<HTMLButtonElement>(".error-action");
  const reload = panel.querySelector<HTMLButtonElement>(".error-reload");
  reload?.addEventListener("click", () => location.reload());
  reload?.after(plainPageLink("error-plain"));
  let current: ErrorAction | undefined;
  actionButton?.addEventListener("click", () => current?.run());
  return {
    show(t, message, action) {
      if (title) title.textContent = t;
      if (body) body.textContent = message;
      current = action;
      if (actionButton) {
        actionButton.textContent = action?.label ?? "";
        actionButton.hidden = !action;
      }
      panel.hidden = false;
    },
  };
}
