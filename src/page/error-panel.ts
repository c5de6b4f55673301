// The panel that says what went wrong. Messages are set as text, never parsed as HTML.
export interface ErrorPanel {
  show(title: string, message: string): void;
}

export function createErrorPanel(panel: HTMLElement): ErrorPanel {
  const title = panel.querySelector<HTMLElement>(".error-title");
  const body = panel.querySelector<HTMLElement>(".error-message");
  panel.querySelector<HTMLButtonElement>(".error-reload")?.addEventListener("click", () => location.reload());
  return {
    show(t, message) {
      if (title) title.textContent = t;
      if (body) body.textContent = message;
      panel.hidden = false;
    },
  };
}
