// The xterm.js terminal on the guest's console: output in, keystrokes and paste out, and
// the panel refits whenever its box changes size.
import { Terminal } from "@xterm/xterm";
import { FitAddon } from "@xterm/addon-fit";
import "@xterm/xterm/css/xterm.css";

export interface TerminalView {
  /** Resolves once the terminal has parsed the bytes (xterm's write callback). */
  write(bytes: Uint8Array | string): Promise<void>;
  focus(): void;
  /** Columns and rows after the latest fit. */
  size(): { cols: number; rows: number };
}

export function createTerminalView(
  container: HTMLElement,
  onInput: (data: string) => void,
  onResize: (cols: number, rows: number) => void,
): TerminalView {
  const term = new Terminal({
    cursorBlink: true,
    convertEol: false,
    fontFamily: '"DejaVu Sans Mono", "Menlo", "Consolas", monospace',
    fontSize: 14,
    // A little air between rows, or the DOM renderer clips underscores.
    lineHeight: 1.15,
    scrollback: 5000,
    theme: { background: "#101418", foreground: "#d8dee4" },
  });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.open(container);
  const refit = (): void => {
    fit.fit();
    // Published for anyone looking at the page (and its tests): the grid the guest gets.
    container.dataset.cols = String(term.cols);
    container.dataset.rows = String(term.rows);
  };
  refit();
  // Typing, Ctrl-C (xterm sends 0x03) and paste all arrive here as the bytes to send.
  term.onData(onInput);
  // The guest learns the new size through the virtio console's config space.
  term.onResize(({ cols, rows }) => onResize(cols, rows));
  new ResizeObserver(refit).observe(container);
  return {
    write: (bytes) => new Promise<void>((resolve) => term.write(bytes, resolve)),
    focus: () => term.focus(),
    size: () => ({ cols: term.cols, rows: term.rows }),
  };
}
