// What a boot that went wrong looks like from outside: the last lines the guest printed on
// its serial port (the kernel log) and whether the kernel panicked. A guest that is not
// ours may print no prompt ringside knows, take tens of seconds, or stop: whoever waits for
// it (the CLI's --exec, the page) reports where the boot stood instead of a bare timeout.
// Bounded: at most TAIL_LINES lines of at most LINE_CHARS characters are kept.

const TAIL_LINES = 12;
const LINE_CHARS = 200;
const PANIC = /Kernel panic - not syncing[^\n]*/;

export class BootWatch {
  private readonly lines: string[] = [];
  private current = "";
  private panicLine: string | undefined;

  /** Text the serial port printed (decoded; may end mid-line). */
  feed(text: string): void {
    for (const ch of text.replace(/\r/g, "")) {
      if (ch === "\n") this.endLine();
      else if (this.current.length < LINE_CHARS) this.current += ch;
    }
  }

  /** The kernel's panic message, once it printed one. */
  get panic(): string | undefined {
    return this.panicLine;
  }

  /** The last lines, oldest first (the one being printed last). */
  tail(): string[] {
    return this.current === "" ? [...this.lines] : [...this.lines, this.current];
  }

  private endLine(): void {
    const line = this.current.replace(/[^\x20-\x7e\t]/g, "?");
    this.current = "";
    if (line === "") return;
    this.panicLine ??= PANIC.exec(line)?.[0];
    this.lines.push(line);
    if (this.lines.length > TAIL_LINES) this.lines.shift();
  }
}
