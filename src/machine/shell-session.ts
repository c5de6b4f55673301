// Runs commands in the guest's shell over its console and returns their output and exit
// status. Used by the CLI, the guest tests and the benchmarks.
//
// After the first prompt the session turns the terminal's echo and CR/LF translation off
// and empties the prompt, so the guest sends back exactly what each command prints. Each
// command is framed by markers built from the control byte 0x1e (record separator) and a
// nonce: the shell line itself holds the escape text \036, never the byte, so the frame
// can only come from the command's real output.
import { PROMPT_PATTERN } from "./prompt.js";

export interface ConsoleIo {
  send(text: string): void;
}

export interface CommandResult {
  output: string;
  status: number;
}

export class ShellTimeoutError extends Error {
  override name = "ShellTimeoutError";
}

const RS = "\x1e";

/** Enough of the most recent output to hold any marker or prompt split across chunks. */
const TAIL = 256;
/**
 * Output kept for the running command (characters). A guest that prints more between two
 * frames (or without end) loses the oldest part: the session never holds more than this,
 * and a command whose output overflowed it fails with a clear error instead of a
 * truncated result.
 */
export const SHELL_OUTPUT_LIMIT = 64 * 1024 * 1024;
/** How often a shell that printed no prompt ringside knows is probed for (waitUntilReady). */
export const PROBE_EVERY_MS = 3000;

export class ShellSession {
  /** Output since the last command's frame was consumed, in the pieces it arrived in. */
  private pieces: string[] = [];
  /** Characters in `pieces`. */
  private held = 0;
  /** Characters dropped from the front of `pieces` since the last frame was consumed. */
  private dropped = 0;
  /** The last TAIL characters of that output. */
  private tail = "";
  private waiter: { test: (recent: string) => boolean; resolve: () => void } | undefined;
  private nonce = 0;
  private ready = false;
  private readonly decoder = new TextDecoder();

  constructor(private readonly io: ConsoleIo) {}

  /**
   * Feed every byte the guest's console prints. Costs time in proportion to the bytes fed:
   * waiters only look at the newest piece and the tail before it (a command may print
   * megabytes, and searching all of it on every chunk would take quadratic time).
   */
  feed(bytes: Uint8Array): void {
    const text = this.decoder.decode(bytes, { stream: true });
    if (text.length === 0) return;
    const recent = this.tail + text;
    this.pieces.push(text);
    this.held += text.length;
    while (this.held > SHELL_OUTPUT_LIMIT && this.pieces.length > 1) {
      const oldest = this.pieces.shift()!;
      this.held -= oldest.length;
      this.dropped += oldest.length;
    }
    this.tail = recent.slice(-TAIL);
    if (this.waiter?.test(recent)) {
      const { resolve } = this.waiter;
      this.waiter = undefined;
      resolve();
    }
  }

  /** Characters of output held for the running command (at most SHELL_OUTPUT_LIMIT, plus one piece). */
  get bufferedChars(): number {
    return this.held;
  }

  /**
   * Waits for a shell and switches its terminal to exact, echo-free output. ringside's own
   * prompt is the fast path; any other guest's shell is found by probing: every
   * PROBE_EVERY_MS the settings line is sent with a marker of its own, and the shell is
   * there once one marker comes back (a shell ran the line; no prompt text is assumed).
   */
  async waitUntilReady(timeoutMs: number): Promise<void> {
    if (this.ready) return;
    const markers = new Set<string>();
    const probe = (): void => {
      const n = ++this.nonce;
      markers.add(`${RS}R${n}${RS}`);
      this.io.send(`stty -echo -onlcr; PS1=''; PS2=''; printf '\\036R%d\\036' ${n}\n`);
    };
    const answered = (recent: string) => [...markers].some((m) => recent.includes(m));
    const timer = setInterval(probe, PROBE_EVERY_MS);
    try {
      await this.waitFor((recent) => PROMPT_PATTERN.test(recent.slice(-TAIL)) || answered(recent), timeoutMs, "a shell on the guest's terminal");
      if (!answered(this.tail)) {
        this.clear();
        probe();
        await this.waitFor(answered, timeoutMs, "the shell to accept its settings");
      }
    } finally {
      clearInterval(timer);
    }
    this.clear();
    this.ready = true;
  }

  /**
   * For a machine restored from a saved state: the guest's shell sits at a prompt that was
   * printed before the save (and may be empty), so there is nothing to wait for. Whatever
   * was half typed is dropped (Ctrl-U) and the session's settings are applied again.
   */
  async adopt(timeoutMs: number): Promise<void> {
    const tag = `${RS}R${++this.nonce}${RS}`;
    this.clear();
    this.io.send(`\x15stty -echo -onlcr; PS1=''; PS2=''; printf '\\036R%d\\036' ${this.nonce}\n`);
    await this.waitFor((recent) => recent.includes(tag), timeoutMs, "the restored shell to accept its settings");
    this.clear();
    this.ready = true;
  }

  /**
   * For a machine restored from a state saved while a session was ready: the guest's
   * shell already has the session's settings, so there is no prompt to wait for.
   */
  resumeReady(): void {
    this.clear();
    this.ready = true;
  }

  /**
   * Runs one command line (it may hold several commands; it runs in the session's shell,
   * so `cd` and variables carry over) with stdin from /dev/null.
   */
  run(command: string, timeoutMs: number): Promise<CommandResult> {
    return this.execute(command, undefined, timeoutMs);
  }

  /**
   * Runs a command whose stdin is the terminal and types `input` into it, as a paste
   * would. The terminal is in canonical mode: send lines shorter than 4096 bytes.
   */
  runWithInput(command: string, input: string, timeoutMs: number): Promise<CommandResult> {
    return this.execute(command, input, timeoutMs);
  }

  private async execute(command: string, input: string | undefined, timeoutMs: number): Promise<CommandResult> {
    if (!this.ready) throw new Error("ShellSession.run before waitUntilReady");
    const n = ++this.nonce;
    const begin = `${RS}B${n}${RS}`;
    const end = new RegExp(`${RS}E${n}:(\\d+)${RS}`);
    const stdin = input === undefined ? " </dev/null" : "";
    this.io.send(`printf '\\036B%d\\036' ${n}; { ${command}\n}${stdin}; printf '\\036E%d:%d\\036' ${n} "$?"\n`);
    if (input !== undefined) this.io.send(input);
    await this.waitFor((recent) => end.test(recent), timeoutMs, `the command to finish: ${command}`);

    // The end marker has arrived: join once, then cut the frame out.
    const all = this.pieces.join("");
    const match = end.exec(all);
    const start = all.indexOf(begin);
    if (!match || start < 0 || start > match.index) {
      const overflowed = this.dropped > 0;
      this.clear();
      if (overflowed) throw new Error(`the output of command ${n} was longer than ${SHELL_OUTPUT_LIMIT} characters: ${command}`);
      throw new Error(`lost the frame of command ${n}`);
    }
    const rest = all.slice(match.index + match[0].length);
    this.pieces = rest ? [rest] : [];
    this.held = rest.length;
    this.dropped = 0;
    this.tail = rest.slice(-TAIL);
    return { output: all.slice(start + begin.length, match.index), status: Number(match[1]) };
  }

  private clear(): void {
    this.pieces = [];
    this.held = 0;
    this.dropped = 0;
    this.tail = "";
  }

  private waitFor(test: (recent: string) => boolean, timeoutMs: number, what: string): Promise<void> {
    if (test(this.tail)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new ShellTimeoutError(`timed out after ${(timeoutMs / 1000).toFixed(1)} s waiting for ${what}`));
      }, timeoutMs);
      this.waiter = { test, resolve: () => { clearTimeout(timer); resolve(); } };
    });
  }
}
