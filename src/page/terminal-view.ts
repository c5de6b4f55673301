// The xterm.js terminal on the guest's console: output in, keystrokes and paste out, and
// the panel refits whenever its box changes size. Its colours are the page's (theme.css) and
// follow the system's dark or light setting; Ctrl+] leaves it (terminal-keys.ts).
import { Terminal, type ITheme } from "@xterm/xterm";
import { FitAddon } from "@xterm/addon-fit";
import "@xterm/xterm/css/xterm.css";
import { cssColour, onThemeChange } from "./theme-colours.js";
import { describeTerminalKeys, isLeaveKey, leaveTerminal } from "./terminal-keys.js";

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
    theme: terminalTheme(),
  });
  // Kept in this closure for as long as the terminal lives (theme-colours holds it weakly).
  const retheme = (): void => {
    term.options.theme = terminalTheme();
  };
  onThemeChange(retheme);
  Object.assign(container, { ringsideRetheme: retheme });
  term.attachCustomKeyEventHandler((event) => {
    const leave = isLeaveKey(event);
    if (!leave) return true;
    event.preventDefault();
    leaveTerminal(container, leave.backwards);
    return false;
  });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.open(container);
  describeTerminalKeys(term.textarea, document.getElementById("terminal-keys"));
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

/** xterm's colours from the page's: background and text, and ANSI colours that stay legible on a light background. */
function terminalTheme(): ITheme {
  const background = cssColour("var(--panel)");
  const foreground = cssColour("var(--fg)");
  const base: ITheme = { background, foreground, cursor: foreground, cursorAccent: background, selectionBackground: cssColour("var(--terminal-selection)") };
  if (!window.matchMedia("(prefers-color-scheme: light)").matches) return base;
  // xterm's default palette is made for a dark background: its white, yellow and bright
  // colours vanish on white. GitHub's light terminal palette reads well on it.
  return {
    ...base,
    black: "#24292f", red: "#cf222e", green: "#116329", yellow: "#4d2d00", blue: "#0969da", magenta: "#8250df", cyan: "#1b7c83", white: "#6e7781",
    brightBlack: "#57606a", brightRed: "#a40e26", brightGreen: "#1a7f37", brightYellow: "#633c01", brightBlue: "#218bff", brightMagenta: "#a475f9", brightCyan: "#3192aa", brightWhite: "#8c959f",
  };
}
