// Follows a boot from the serial console's text. Each phase starts when its marker shows
// up in the output: the firmware runs until the kernel's decompressor prints (it does so
// with earlyprintk=serial), the kernel initialises after "Booting the kernel", userspace
// starts at "Run /init" (printed only when the kernel log is not quiet), and the shell is
// up at the first prompt.
import { PROMPT_PATTERN } from "./prompt.js";

export const BOOT_PHASES = ["loading", "firmware", "decompress", "kernel", "userspace", "shell"] as const;
export type BootPhase = (typeof BOOT_PHASES)[number];

const MARKERS: ReadonlyArray<[BootPhase, RegExp]> = [
  ["decompress", /Decompressing Linux/],
  ["kernel", /Booting the kernel/],
  ["userspace", /Run \/init as init process/],
  ["shell", PROMPT_PATTERN],
];

/** Keeps enough of the tail to match a marker split across two chunks. */
const TAIL_CHARS = 256;

export class BootPhaseTracker {
  private tail = "";
  private reached = new Set<BootPhase>();

  constructor(private readonly onPhase: (phase: BootPhase) => void) {}

  /** Marks a phase the host knows about directly (loading, firmware). */
  enter(phase: BootPhase): void {
    if (this.reached.has(phase)) return;
    this.reached.add(phase);
    this.onPhase(phase);
  }

  get done(): boolean {
    return this.reached.has("shell");
  }

  feed(text: string): void {
    if (this.done) return;
    this.tail = (this.tail + text).slice(-TAIL_CHARS);
    for (const [phase, pattern] of MARKERS) {
      if (!this.reached.has(phase) && pattern.test(this.tail)) {
        this.enter(phase);
      }
    }
  }
}
