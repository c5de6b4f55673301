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

export class ShellSession {
  private buffer = "";
  private waiter: { test: () => boolean; resolve: () => void } | undefined;
  private nonce = 0;
  private ready = false;
  private readonly decoder = new TextDecoder();

  constructor(private readonly io: ConsoleIo) {}

  /** Feed every byte the guest's console prints. */
  feed(bytes: Uint8Array): void {
    this.buffer += this.decoder.decode(bytes, { stream: true });
    if (this.waiter?.test()) {
      const { resolve } = this.waiter;
      this.waiter = undefined;
      resolve();
    }
  }

  /** Waits for the first prompt and switches the terminal to exact, echo-free output. */
  async waitUntilReady(timeoutMs: number): Promise<void> {
    if (this.ready) return;
    await this.waitFor(() => PROMPT_PATTERN.test(this.buffer), timeoutMs, "the shell prompt");
    const tag = `${RS}R${++this.nonce}${RS}`;
    this.buffer = "";
    this.io.send(`stty -echo -onlcr; PS1=''; PS2=''; printf '\\036R%d\\036' ${this.nonce}\n`);
    await this.waitFor(() => this.buffer.includes(tag), timeoutMs, "the shell to accept its settings");
    this.buffer = "";
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
    const endPrefix = `${RS}E${n}:`;
    const stdin = input === undefined ? " </dev/null" : "";
    this.io.send(`printf '\\036B%d\\036' ${n}; { ${command}\n}${stdin}; printf '\\036E%d:%d\\036' ${n} "$?"\n`);
    if (input !== undefined) this.io.send(input);

    // Scan only what arrived since the last look: a command may print megabytes.
    let scanFrom = 0;
    let endAt = -1;
    let statusEnd = -1;
    const finished = (): boolean => {
      if (endAt < 0) {
        endAt = this.buffer.indexOf(endPrefix, scanFrom);
        if (endAt < 0) {
          scanFrom = Math.max(0, this.buffer.length - endPrefix.length);
          return false;
        }
      }
      statusEnd = this.buffer.indexOf(RS, endAt + endPrefix.length);
      return statusEnd >= 0;
    };
    await this.waitFor(finished, timeoutMs, `the command to finish: ${command}`);
    const start = this.buffer.indexOf(begin);
    const status = Number(this.buffer.slice(endAt + endPrefix.length, statusEnd));
    if (start < 0 || start > endAt || !Number.isInteger(status)) throw new Error(`lost the frame of command ${n}`);
    const output = this.buffer.slice(start + begin.length, endAt);
    this.buffer = this.buffer.slice(statusEnd + 1);
    return { output, status };
  }

  private waitFor(test: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new ShellTimeoutError(`timed out after ${(timeoutMs / 1000).toFixed(1)} s waiting for ${what}`));
      }, timeoutMs);
      this.waiter = { test, resolve: () => { clearTimeout(timer); resolve(); } };
    });
  }
}
