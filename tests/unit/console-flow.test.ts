// Console output under flow control (console-flow.ts, machine-output.ts): a consumer that
// takes its bytes later holds the guest back once a window's worth is outstanding, and the
// device is resumed at the next tick once the consumer catches up; a consumer that takes
// bytes at once never holds anything back.
import { describe, expect, it } from "vitest";
import { CONSOLE_WINDOW_BYTES, ConsoleFlow } from "../../src/machine/console-flow.js";
import { MachineOutput } from "../../src/machine/machine-output.js";
import { ManualPollSource } from "../../src/virtio/poll-source.js";

const flush = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

describe("console flow control", () => {
  it("is ready until a window is outstanding, then resumes the device once the consumer has taken enough", async () => {
    let resumed = 0;
    const settle: Array<() => void> = [];
    const flow = new ConsoleFlow(
      (bytes) => flow.deliver(bytes, () => new Promise<void>((resolve) => settle.push(resolve))),
      () => resumed++,
    );
    const chunk = new Uint8Array(64 * 1024);
    let written = 0;
    while (flow.ready) {
      flow.write(chunk);
      written += chunk.length;
    }
    expect(written).toBe(CONSOLE_WINDOW_BYTES);
    expect(flow.pending).toBe(CONSOLE_WINDOW_BYTES);
    settle.shift()!();
    await flush();
    expect(resumed).toBe(1);
    expect(flow.ready).toBe(true);
    expect(flow.pending).toBe(CONSOLE_WINDOW_BYTES - chunk.length);
  });

  it("counts a consumer that failed as done, so the guest is never wedged on it", async () => {
    const flow = new ConsoleFlow((bytes) => flow.deliver(bytes, () => Promise.reject(new Error("gone"))), () => {});
    flow.write(new Uint8Array(CONSOLE_WINDOW_BYTES));
    await flush();
    expect(flow.pending).toBe(0);
    const throwing = new ConsoleFlow((bytes) => throwing.deliver(bytes, () => { throw new Error("broken"); }), () => {});
    throwing.write(new Uint8Array(10));
    expect(throwing.pending).toBe(0);
  });

  it("through the machine's output: batched per run, resumed at the next tick, phases still seen", async () => {
    const ticks = new ManualPollSource();
    const taken: number[] = [];
    const settle: Array<() => void> = [];
    const phases: string[] = [];
    const output = new MachineOutput({
      serial: () => {},
      console: (bytes) => {
        taken.push(bytes.length);
        return new Promise<void>((resolve) => settle.push(resolve));
      },
      phase: (p) => phases.push(p),
    }, ticks);
    let resumed = 0;
    const sink = output.consoleSink(() => resumed++);
    sink.write(new TextEncoder().encode("ringside:~# "));
    await flush();
    expect(phases).toContain("shell");
    settle.shift()!();
    while (sink.ready) sink.write(new Uint8Array(256 * 1024));
    await flush();
    expect(taken).toEqual([12, 4 * 256 * 1024]); // one batch for the whole run
    settle.shift()!();
    await flush();
    expect(resumed).toBe(0); // not from inside the consumer's callback: at the next tick
    ticks.tick();
    expect(resumed).toBe(1);
    expect(ticks.subscribers).toBe(0);
    output.close();
  });
});
