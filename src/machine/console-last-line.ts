// The console's last line as the reader saw it, kept with a saved state. A restored
// machine's screen is otherwise blank until its guest redraws (console-reattach.ts): for
// the instant shell that means about 40 ms of emulated kernel and shell work, run cold,
// before the prompt shows, while the prompt the guest drew before it was saved is known.
// So a state carries its console's last line (the prompt and whatever was typed after it),
// and a restore shows it again at once; the guest's own redraw then writes over it in
// place. Only text and colour settings (SGR) are kept: never a sequence a terminal
// answers (a cursor position query would come back to the guest as typed input), moves
// the cursor or clears the screen, so neither a guest's output nor a crafted state file
// can do more to a terminal than print one line.

/** How much of the console's most recent output is kept, and the longest line kept. */
export const LAST_LINE_BYTES = 1024;

const ESC = 0x1b;
const CR = 0x0d;
const LF = 0x0a;

/** The last line of `output` (after its last CR or LF), reduced to text and SGR sequences. */
export function shownLastLine(output: Uint8Array): Uint8Array {
  let start = output.length;
  while (start > 0 && output[start - 1] !== CR && output[start - 1] !== LF) start--;
  // No line break in the window: where the line began is unknown, so nothing is shown.
  if (start === 0) return new Uint8Array(0);
  return shownLine(output.subarray(start));
}

/** `line` reduced to text and SGR sequences (what a restore shows of a state's saved line). */
export function shownLine(line: Uint8Array): Uint8Array {
  const kept: number[] = [];
  for (let i = 0; i < line.length; i++) {
    const byte = line[i]!;
    if (byte === ESC) {
      i = sgrEnd(line, i, kept);
      continue;
    }
    if (byte >= 0x20 && byte !== 0x7f) kept.push(byte);
  }
  return Uint8Array.from(kept);
}

/**
 * Skips the escape sequence at `at` (ECMA-48: CSI with its parameter, intermediate and
 * final bytes; OSC up to BEL or ST; any other ESC with its intermediates and final byte),
 * copying it to `kept` only if it is an SGR of digits and semicolons; returns its last index.
 */
function sgrEnd(line: Uint8Array, at: number, kept: number[]): number {
  const inRange = (i: number, low: number, high: number): boolean => i < line.length && line[i]! >= low && line[i]! <= high;
  if (line[at + 1] === 0x5d) {
    // OSC (a window title, a link): up to BEL or ESC \, or the line's end.
    let end = at + 2;
    while (end < line.length && line[end] !== 0x07 && !(line[end] === ESC && line[end + 1] === 0x5c)) end++;
    return line[end] === ESC ? end + 1 : end;
  }
  if (line[at + 1] !== 0x5b) {
    let end = at + 1;
    while (inRange(end, 0x20, 0x2f)) end++;
    return inRange(end, 0x30, 0x7e) ? end : end - 1;
  }
  let end = at + 2;
  while (inRange(end, 0x30, 0x3f)) end++;
  const params = line.subarray(at + 2, end);
  while (inRange(end, 0x20, 0x2f)) end++;
  // Cut off, or broken by a byte no sequence has: dropped, and that byte is looked at again.
  if (!inRange(end, 0x40, 0x7e)) return end - 1;
  if (line[end] === 0x6d && end === at + 2 + params.length && params.every((b) => b === 0x3b || (b >= 0x30 && b <= 0x39))) {
    kept.push(...line.subarray(at, end + 1));
  }
  return end;
}

/** The console's most recent LAST_LINE_BYTES of output, as it goes by. */
export class ConsoleRecentOutput {
  private readonly recent = new Uint8Array(LAST_LINE_BYTES);
  private size = 0;

  record(chunk: Uint8Array): void {
    if (chunk.length >= LAST_LINE_BYTES) {
      this.recent.set(chunk.subarray(chunk.length - LAST_LINE_BYTES));
      this.size = LAST_LINE_BYTES;
      return;
    }
    const keep = Math.min(this.size, LAST_LINE_BYTES - chunk.length);
    this.recent.copyWithin(0, this.size - keep, this.size);
    this.recent.set(chunk, keep);
    this.size = keep + chunk.length;
  }

  lastLine(): Uint8Array {
    return shownLastLine(this.recent.subarray(0, this.size));
  }
}
