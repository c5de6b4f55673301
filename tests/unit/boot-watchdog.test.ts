// The page's boot watchdog, on a clock of its own: a kernel that is slow but prints is never
// stalled; one that prints nothing for the limit is, and printing again takes it back; a
// guest whose userspace talks on the terminal is not watched for stalls any more; no ringside
// prompt after the kernel phase (or a terminal gone quiet without one) is said once; ringside's
// own boot, prompt and all, gives no verdict at all.
import { describe, expect, it } from "vitest";
import { BootWatchdog, WATCH_LIMITS, type WatchVerdict } from "../../src/page/boot-watchdog.js";

const S = 1000;

/** Checks every second from `from` to `to` (ms) and gathers the verdicts with their times. */
function run(dog: BootWatchdog, from: number, to: number, each?: (t: number) => void): Array<[number, WatchVerdict]> {
  const out: Array<[number, WatchVerdict]> = [];
  for (let t = from; t <= to; t += S) {
    each?.(t);
    for (const v of dog.check(t)) out.push([t / S, v]);
  }
  return out;
}

describe("the boot watchdog", () => {
  it("gives ringside's own boot no verdict", () => {
    const dog = new BootWatchdog();
    dog.phase("loading", 0);
    dog.phase("firmware", 300);
    dog.phase("kernel", 600);
    dog.output("console", 1500);
    dog.phase("shell", 1600);
    expect(run(dog, 0, 120 * S)).toEqual([]);
  });

  it("does not call a slow kernel stalled while it prints (25 s of boot messages), nor before the machine starts", () => {
    const dog = new BootWatchdog();
    dog.phase("loading", 0);
    // A long download: no firmware yet, nothing to watch.
    expect(run(dog, 0, 60 * S)).toEqual([]);
    dog.phase("firmware", 60 * S);
    dog.phase("kernel", 61 * S);
    const verdicts = run(dog, 61 * S, 86 * S, (t) => (t % (3 * S) === 0 ? dog.output("serial", t) : undefined));
    // No stall, and no missing prompt yet (that waits 30 s from the kernel phase).
    expect(verdicts).toEqual([]);
    dog.phase("shell", 87 * S);
    expect(run(dog, 87 * S, 200 * S)).toEqual([]);
  });

  it("says a boot that prints nothing for the limit is stalled, and takes it back when it prints again", () => {
    const dog = new BootWatchdog();
    dog.phase("firmware", 0);
    dog.output("serial", 2 * S);
    const limit = WATCH_LIMITS.stallMs / S;
    expect(run(dog, 0, 100 * S)).toEqual([[2 + limit, "stalled"]]);
    dog.output("serial", 100.5 * S);
    expect(run(dog, 101 * S, 102 * S)).toEqual([[101, "progressed"]]);
    // Stalled again only after another whole limit of silence.
    expect(run(dog, 103 * S, 100.5 * S + WATCH_LIMITS.stallMs)).toEqual([]);
    expect(dog.check(101 * S + WATCH_LIMITS.stallMs)).toEqual(["stalled"]);
  });

  it("says once that no ringside prompt came after the kernel phase", () => {
    const dog = new BootWatchdog();
    dog.phase("firmware", 0);
    dog.phase("kernel", 1 * S);
    const verdicts = run(dog, 0, 60 * S, (t) => dog.output("serial", t));
    expect(verdicts).toEqual([[1 + WATCH_LIMITS.noPromptMs / S, "no-prompt"]]);
  });

  it("says it sooner when the terminal went quiet without a prompt, and then watches no more for stalls", () => {
    const dog = new BootWatchdog();
    dog.phase("firmware", 0);
    dog.phase("kernel", 1 * S);
    dog.output("console", 5 * S);
    expect(run(dog, 0, 200 * S)).toEqual([[5 + WATCH_LIMITS.consoleQuietMs / S, "no-prompt"]]);
  });

  it("takes a stall back when the shell's prompt comes after all", () => {
    const dog = new BootWatchdog({ ...WATCH_LIMITS, noPromptMs: 1_000_000 });
    dog.phase("firmware", 0);
    expect(run(dog, 0, 40 * S)).toEqual([[40, "stalled"]]);
    dog.phase("shell", 45 * S);
    expect(run(dog, 46 * S, 50 * S)).toEqual([[46, "progressed"]]);
  });
});
