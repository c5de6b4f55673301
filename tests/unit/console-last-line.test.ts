// The console's last line, kept with a saved state and shown again at a restore
// (console-last-line.ts, machine-output.ts): only its text and colours survive, never a
// sequence a terminal would answer or one that moves the cursor, whether it came from the
// guest or from a crafted state file.
import { describe, expect, it } from "vitest";
import { ConsoleRecentOutput, LAST_LINE_BYTES, shownLastLine, shownLine } from "../../src/machine/console-last-line.js";
import { MachineOutput } from "../../src/machine/machine-output.js";
import { ManualPollSource } from "../../src/virtio/poll-source.js";

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const flush = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

describe("the last line of the console's output", () => {
  it("is what follows the last line break", () => {
    expect(text(shownLastLine(bytes("boot\r\nlogin ok\r\nringside:~# ")))).toBe("ringside:~# ");
    expect(text(shownLastLine(bytes("ringside:~# ls\r\nbin  etc\r\n")))).toBe("");
    // ash's redraw starts its line with CR: what follows it is what shows.
    expect(text(shownLastLine(bytes("ringside:~# ec\rringside:~# echo hi")))).toBe("ringside:~# echo hi");
  });

  it("is nothing when no line break is in sight: where the line began is unknown", () => {
    expect(shownLastLine(bytes("ringside:~# ")).length).toBe(0);
  });

  it("keeps colour settings and UTF-8 text", () => {
    const line = "\x1b[1;32mringside\x1b[0m:~ é# ";
    expect(text(shownLastLine(bytes(`\n${line}`)))).toBe(line);
  });

  it("drops every other escape sequence whole: queries, cursor moves, clears, private modes, titles, charsets", () => {
    const line = "\x1b[6nA\x1b[2JB\x1b[?25hC\x1b[1AD\x1b]0;title\x07E\x1b]2;t\x1b\\F\x1b(BG\x1b7H\x1b[>cI\x1b[38;5;1mJ";
    expect(text(shownLine(bytes(line)))).toBe("ABCDEFGH" + "I\x1b[38;5;1mJ");
  });

  it("drops control characters and sequences cut off at the end", () => {
    expect(text(shownLine(bytes("a\x07b\x08c\x00d\x7fe\x1b[1;3")))).toBe("abcde");
    expect(text(shownLine(bytes("a\x1b")))).toBe("a");
    // A sequence broken by a control byte: the ESC [ and its parameters go, the rest is looked at again.
    expect(text(shownLine(bytes("a\x1b[12\nb")))).toBe("ab");
  });
});

describe("the console's recent output", () => {
  it("follows a line across chunks", () => {
    const recent = new ConsoleRecentOutput();
    for (const chunk of ["bin  etc\r", "\nring", "side:~# ", "ech", "o hi"]) recent.record(bytes(chunk));
    expect(text(recent.lastLine())).toBe("ringside:~# echo hi");
  });

  it("keeps only the most recent bytes: a line longer than that is not shown", () => {
    const recent = new ConsoleRecentOutput();
    recent.record(bytes("\n"));
    recent.record(bytes("x".repeat(LAST_LINE_BYTES)));
    expect(recent.lastLine().length).toBe(0);
    recent.record(bytes("\r\nok# "));
    expect(text(recent.lastLine())).toBe("ok# ");
    // One chunk larger than the window at once: its end is what counts.
    recent.record(bytes(`${"y".repeat(3 * LAST_LINE_BYTES)}\nlast# `));
    expect(text(recent.lastLine())).toBe("last# ");
  });
});

describe("a machine's output", () => {
  it("records the line as the console delivers it, and replays a saved one, cleaned, through the console's own path", async () => {
    const delivered: string[] = [];
    const output = new MachineOutput({ serial: () => {}, console: (b) => void delivered.push(text(b)) }, new ManualPollSource());
    const sink = output.consoleSink(() => {});
    const guest = bytes("done\r\nringside:~# ");
    sink.writeFrom({ readInto: (target) => (target.set(guest), guest.length) }, guest.length);
    await flush();
    expect(text(output.consoleLastLine())).toBe("ringside:~# ");

    // A crafted state's line cannot query the terminal or clear it.
    output.replayConsoleLine(bytes("\x1b[2J\x1b[6nroot# "));
    await flush();
    expect(delivered).toEqual(["done\r\nringside:~# ", "\rroot# "]);
    expect(output.consolePending).toBe(0);
    // An empty line replays nothing.
    output.replayConsoleLine(new Uint8Array(0));
    await flush();
    expect(delivered.length).toBe(2);
  });
});
