import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { SHELL_OUTPUT_LIMIT, ShellSession, ShellTimeoutError } from "../../src/machine/shell-session.js";

/**
 * Stands in for busybox ash on the guest console: echoes input until `stty -echo`,
 * expands the printf frames the session sends, and "runs" two fake commands:
 * `say TEXT` prints TEXT and `fail N` exits with status N. `hang` never returns.
 * Every reply is cut into chunks at the given points, as a serial line would deliver it.
 */
class FakeShell {
  session: ShellSession;
  sent: string[] = [];
  private echo = true;

  constructor(private readonly cuts: number[] = []) {
    this.session = new ShellSession({ send: (text) => this.receive(text) });
  }

  boot(): void {
    this.emit("\r\nBusyBox v1.35.0 built-in shell (ash)\r\n\r\nringside:~# \x1b[6n");
  }

  /** What a flooding guest prints outside any command: `mib` MiB in 1 MiB pieces. */
  flood(mib: number): void {
    const piece = new Uint8Array(1 << 20).fill(0x41);
    for (let i = 0; i < mib; i++) this.session.feed(piece);
  }

  private emit(text: string): void {
    const bytes = new TextEncoder().encode(text);
    let at = 0;
    for (const cut of [...this.cuts, bytes.length]) {
      const end = Math.min(Math.max(cut, at), bytes.length);
      if (end > at) this.session.feed(bytes.subarray(at, end));
      at = end;
    }
  }

  private receive(text: string): void {
    this.sent.push(text);
    queueMicrotask(() => this.respond(text));
  }

  private respond(text: string): void {
    const echoed = this.echo ? text.replace(/\n/g, "\r\n") : "";
    const ready = /^stty -echo -onlcr; PS1=''; PS2=''; printf '\\036R%d\\036' (\d+)\n$/.exec(text);
    if (ready) {
      this.echo = false;
      this.emit(`${echoed}\x1eR${ready[1]}\x1e`);
      return;
    }
    const cmd = /^printf '\\036B%d\\036' (\d+); \{ (.*)\n\} <\/dev\/null; printf '\\036E%d:%d\\036' (\d+) "\$\?"\n$/s.exec(text);
    if (!cmd) throw new Error(`fake shell cannot parse ${JSON.stringify(text)}`);
    const [, n, body] = cmd;
    if (body === "hang") return;
    const flood = /^flood (\d+)$/.exec(body!);
    if (flood) {
      this.emit(`\x1eB${n}\x1e`);
      this.flood(Number(flood[1]));
      this.emit(`\x1eE${n}:0\x1e`);
      return;
    }
    const fail = /^fail (\d+)$/.exec(body!);
    const say = /^say (.*)$/s.exec(body!);
    const out = say ? say[1]! : "";
    this.emit(`${echoed}\x1eB${n}\x1e${out}\x1eE${n}:${fail ? fail[1] : 0}\x1e`);
  }
}

describe("shell session", () => {
  it("waits for the prompt, then runs commands and returns exact output and status", async () => {
    const shell = new FakeShell();
    const ready = shell.session.waitUntilReady(1000);
    shell.boot();
    await ready;
    expect(shell.sent[0]).toMatch(/^stty -echo -onlcr/);
    await expect(shell.session.run("say hello\n", 1000)).resolves.toEqual({ output: "hello\n", status: 0 });
    await expect(shell.session.run("fail 3", 1000)).resolves.toEqual({ output: "", status: 3 });
    await expect(shell.session.run("say a\r\nb", 1000)).resolves.toEqual({ output: "a\r\nb", status: 0 });
  });

  it("reports a timeout instead of hanging", async () => {
    const shell = new FakeShell();
    const ready = shell.session.waitUntilReady(1000);
    shell.boot();
    await ready;
    await expect(shell.session.run("hang", 50)).rejects.toThrow(ShellTimeoutError);
  });

  it("times out when no prompt ever comes", async () => {
    const shell = new FakeShell();
    await expect(shell.session.waitUntilReady(30)).rejects.toThrow(/waiting for a shell on the guest's terminal/);
  });

  it("refuses to run before the shell is ready", async () => {
    await expect(new FakeShell().session.run("say x", 100)).rejects.toThrow(/before waitUntilReady/);
  });

  it("gets the same results however the serial stream is chunked", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat(200), { maxLength: 12 }).map((a) => a.sort((x, y) => x - y)),
        fc.string({ maxLength: 40 }).filter((s) => !s.includes("\x1e")),
        fc.integer({ min: 0, max: 255 }),
        async (cuts, text, status) => {
          const shell = new FakeShell(cuts);
          const ready = shell.session.waitUntilReady(1000);
          shell.boot();
          await ready;
          expect(await shell.session.run(`say ${text}`, 1000)).toEqual({ output: text, status: 0 });
          expect(await shell.session.run(`fail ${status}`, 1000)).toEqual({ output: "", status });
        },
      ),
      { numRuns: 200 },
    );
  });

  it("holds at most SHELL_OUTPUT_LIMIT characters of a flood between commands, and the next command still works", async () => {
    const shell = new FakeShell();
    const ready = shell.session.waitUntilReady(1000);
    shell.boot();
    await ready;
    const mib = SHELL_OUTPUT_LIMIT / (1 << 20) + 8;
    shell.flood(mib);
    expect(shell.session.bufferedChars).toBeLessThanOrEqual(SHELL_OUTPUT_LIMIT);
    expect(shell.session.bufferedChars).toBeGreaterThan(SHELL_OUTPUT_LIMIT - (1 << 20));
    await expect(shell.session.run("say after", 1000)).resolves.toEqual({ output: "after", status: 0 });
    expect(shell.session.bufferedChars).toBe(0);
  });

  it("fails a command whose output overflowed the limit with a clear error, and runs the next one", async () => {
    const shell = new FakeShell();
    const ready = shell.session.waitUntilReady(1000);
    shell.boot();
    await ready;
    await expect(shell.session.run(`flood ${SHELL_OUTPUT_LIMIT / (1 << 20) + 2}`, 5000)).rejects.toThrow(/output of command \d+ was longer than/);
    await expect(shell.session.run("say next", 1000)).resolves.toEqual({ output: "next", status: 0 });
  });
});
