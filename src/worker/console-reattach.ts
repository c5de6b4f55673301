// A restored machine's screen is not in its state file: the page's terminal starts blank
// while the guest's programs believe that what they drew is showing. A terminal that
// re-attaches to a session has the same problem (tmux attach, screen -r), and the same
// answer works here: a change of the console's size sends the guest's foreground program
// SIGWINCH, and programs redraw on it (busybox ash reprints its prompt and the line being
// edited; a full-screen program repaints). The guest signals only a real change, so when
// the page's size is the saved one the console is made a row shorter first and given its
// size back once the guest has answered (or after a moment).

export interface ConsoleSize {
  cols: number;
  rows: number;
}

export interface ReattachingConsole {
  /** The console's size now: right after a restore, the size it was saved with. */
  size(): ConsoleSize | undefined;
  resize(cols: number, rows: number): void;
  /** Resolves at the guest's next console output. */
  nextOutput(): Promise<void>;
}

/** How long the guest gets to answer the first change before the second. */
const ANSWER_WAIT_MS = 1000;

/** `wanted` is read at the end, so a resize by the page in the meantime is not undone. */
export async function reattachConsole(console: ReattachingConsole, wanted: () => ConsoleSize): Promise<void> {
  const saved = console.size();
  const first = wanted();
  if (!saved || saved.cols !== first.cols || saved.rows !== first.rows) {
    console.resize(first.cols, first.rows);
    return;
  }
  console.resize(first.cols, first.rows > 1 ? first.rows - 1 : first.rows + 1);
  await Promise.race([console.nextOutput(), new Promise((resolve) => setTimeout(resolve, ANSWER_WAIT_MS))]);
  const last = wanted();
  console.resize(last.cols, last.rows);
}
