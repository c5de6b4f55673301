// Watches a boot from the page, for guests that are not ringside's: nothing may assume its
// prompt, its speed or its terminal. Three verdicts, each at most once per boot:
//   - "no-prompt": after the kernel phase no ringside shell prompt came (within NO_PROMPT_MS
//     of the kernel phase, or CONSOLE_QUIET_MS after the guest last printed on the terminal
//     without one): a share link's script is not typed blindly; the banner offers it;
//   - "stalled": from the firmware on, no new boot phase and no output on either port for
//     STALL_MS (a slow kernel that still prints is never stalled; a guest whose userspace
//     talks on the terminal is not watched for this any more); "progressed" takes it back;
//   - a kernel panic, from the machine's own report (Machine.bootReport), at any time.
// BootWatchdog is the pure rule (given times); startBootWatch runs it on a timer.
import type { BootPhase, BootReport } from "../worker/api.js";

export const WATCH_LIMITS = { stallMs: 40_000, noPromptMs: 30_000, consoleQuietMs: 8_000 };
export type WatchLimits = typeof WATCH_LIMITS;
export type WatchVerdict = "no-prompt" | "stalled" | "progressed";

const KERNEL_PHASES: readonly BootPhase[] = ["decompress", "kernel", "userspace"];

export class BootWatchdog {
  private startedAt: number | undefined;
  private lastProgress = 0;
  private kernelAt: number | undefined;
  private lastConsole: number | undefined;
  private shell = false;
  private stalled = false;
  private stalledSince = 0;
  private promptSaid = false;

  constructor(private readonly limits: WatchLimits = WATCH_LIMITS) {}

  phase(phase: BootPhase, now: number): void {
    if (phase === "shell") this.shell = true;
    if (phase === "firmware") this.startedAt ??= now;
    if (KERNEL_PHASES.includes(phase)) this.kernelAt ??= now;
    this.lastProgress = now;
  }

  output(stream: "serial" | "console", now: number): void {
    this.lastProgress = now;
    if (stream === "console") this.lastConsole = now;
  }

  /** What has changed by `now`. */
  check(now: number): WatchVerdict[] {
    const verdicts: WatchVerdict[] = [];
    if (this.shell) return this.stalled ? this.clear(verdicts) : verdicts;
    if (!this.promptSaid) {
      const kernelLong = this.kernelAt !== undefined && now - this.kernelAt >= this.limits.noPromptMs;
      const consoleQuiet = this.lastConsole !== undefined && now - this.lastConsole >= this.limits.consoleQuietMs;
      if (kernelLong || consoleQuiet) {
        this.promptSaid = true;
        verdicts.push("no-prompt");
      }
    }
    if (this.stalled) {
      if (this.lastProgress > this.stalledSince) this.clear(verdicts);
      return verdicts;
    }
    // The terminal's own output means userspace is up and talking: quiet after it is the guest waiting for a person.
    if (this.startedAt === undefined || this.lastConsole !== undefined) return verdicts;
    if (now - Math.max(this.startedAt, this.lastProgress) >= this.limits.stallMs) {
      this.stalled = true;
      this.stalledSince = now;
      verdicts.push("stalled");
    }
    return verdicts;
  }

  private clear(verdicts: WatchVerdict[]): WatchVerdict[] {
    this.stalled = false;
    verdicts.push("progressed");
    return verdicts;
  }
}

/** What the page does with the verdicts. */
export interface WatchHandlers {
  noPrompt(): void;
  stalled(report: BootReport | null): void;
  progressed(): void;
  panicked(report: BootReport): void;
}

export interface BootWatch {
  phase(phase: BootPhase): void;
  output(stream: "serial" | "console"): void;
  /** The machine runs: its report can be asked for from now on. */
  running(): void;
  stop(): void;
}

const TICK_MS = 1000;

/** Runs a BootWatchdog on a timer; `report` asks the worker where the boot stands. */
export function startBootWatch(report: () => Promise<BootReport | null>, handlers: WatchHandlers, limits: WatchLimits = WATCH_LIMITS): BootWatch {
  const dog = new BootWatchdog(limits);
  let running = false;
  let panicSaid = false;
  let asking = false;
  const timer = setInterval(() => {
    const verdicts = dog.check(performance.now());
    if (!running || asking) {
      for (const v of verdicts) say(v, null);
      return;
    }
    asking = true;
    report().then((r) => {
      asking = false;
      if (r?.panic && !panicSaid) {
        panicSaid = true;
        handlers.panicked(r);
      }
      for (const v of verdicts) say(v, r);
    }, () => {
      asking = false;
      for (const v of verdicts) say(v, null);
    });
  }, TICK_MS);

  function say(verdict: WatchVerdict, r: BootReport | null): void {
    if (verdict === "no-prompt") handlers.noPrompt();
    else if (verdict === "stalled") handlers.stalled(r);
    else handlers.progressed();
  }

  return {
    phase: (p) => dog.phase(p, performance.now()),
    output: (s) => dog.output(s, performance.now()),
    running: () => void (running = true),
    stop: () => clearInterval(timer),
  };
}
