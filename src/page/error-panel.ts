// The panel that says what went wrong. Messages are set as text, never parsed as HTML.
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
  panel.querySelector<HTMLButtonElement>(".error-reload")?.addEventListener("click", () => location.reload());
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
