// Console output under flow control (console-flow.ts, machine-output.ts): a consumer that
// takes its bytes later holds the guest back once a window's worth is outstanding, and the
// device is resumed at the next tick once the consumer catches up; a consumer that takes
// bytes at once never holds anything back.
import { describe, expect, it } from "vitest";
import { CONSOLE_WINDOW_BYTES, ConsoleFlow } from "../../src/machine/console-flow.js";
import { MachineOutput } from "../../src/machine/machine-output.js";
import { ManualPollSource } from "../../src/virtio/poll-source.js";
import type { ByteSource } from "../../src/devices/virtio-console.js";

const flush = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** Gives `bytes` as a transmit chain's reader would. */
const source = (bytes: Uint8Array): ByteSource => ({
  readInto: (target) => {
    const n = Math.min(target.length, bytes.length);
    target.set(bytes.subarray(0, n));
    return n;
  },
});
/** Copies what the flow passes on into an array of its own (as the machine's batching does) and hands it to `take`. */
const passTo = (take: (bytes: Uint8Array) => void) => (from: ByteSource, length: number): number => {
  const bytes = new Uint8Array(length);
  from.readInto(bytes);
  take(bytes);
  return length;
};

describe("console flow control", () => {
  it("is ready until a window is outstanding, then resumes the device once the consumer has taken enough", async () => {
    let resumed = 0;
    const settle: Array<() => void> = [];
    const flow: ConsoleFlow = new ConsoleFlow(
      passTo((bytes) => flow.deliver(bytes, () => new Promise<void>((resolve) => settle.push(resolve)))),
      () => resumed++,
    );
    const chunk = new Uint8Array(64 * 1024);
    let written = 0;
    while (flow.ready) {
      flow.writeFrom(source(chunk), chunk.length);
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
    const flow: ConsoleFlow = new ConsoleFlow(passTo((bytes) => flow.deliver(bytes, () => Promise.reject(new Error("gone")))), () => {});
    flow.writeFrom(source(new Uint8Array(CONSOLE_WINDOW_BYTES)), CONSOLE_WINDOW_BYTES);
    await flush();
    expect(flow.pending).toBe(0);
    const throwing: ConsoleFlow = new ConsoleFlow(passTo((bytes) => throwing.deliver(bytes, () => { throw new Error("broken"); })), () => {});
    throwing.writeFrom(source(new Uint8Array(10)), 10);
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
    sink.writeFrom(source(new TextEncoder().encode("ringside:~# ")), 12);
    await flush();
    expect(phases).toContain("shell");
    settle.shift()!();
    while (sink.ready) sink.writeFrom(source(new Uint8Array(256 * 1024)), 256 * 1024);
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
