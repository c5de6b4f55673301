// Follows a boot from what the guest prints. Each phase starts when its marker shows up:
// the firmware runs until the kernel's decompressor prints on the serial port (it does so
// with earlyprintk=serial), the kernel initialises after "Booting the kernel", userspace
// starts at "Run /init" (printed only when the kernel log is not quiet), and the shell is
// up at the first prompt, on whichever terminal the shell runs (the virtio console when
// there is one, else the serial port).
import { PROMPT_PATTERN } from "./prompt.js";

export const BOOT_PHASES = ["loading", "firmware", "decompress", "kernel", "userspace", "shell"] as const;
export type BootPhase = (typeof BOOT_PHASES)[number];

/** The guest's two text outputs: the serial port (kernel log) and the shell's terminal. */
export type OutputStream = "serial" | "console";

const MARKERS: ReadonlyArray<[BootPhase, RegExp]> = [
  ["decompress", /Decompressing Linux/],
  ["kernel", /Booting the kernel/],
  ["userspace", /Run \/init as init process/],
  ["shell", PROMPT_PATTERN],
];

/** Keeps enough of each stream's tail to match a marker split across two chunks. */
const TAIL_CHARS = 256;

export class BootPhaseTracker {
  private readonly tails: Record<OutputStream, string> = { serial: "", console: "" };
  private reached = new Set<BootPhase>();
  private latestIndex = -1;

  constructor(private readonly onPhase: (phase: BootPhase) => void) {}

  /** Marks a phase the host knows about directly (loading, firmware). */
  enter(phase: BootPhase): void {
    if (this.reached.has(phase)) return;
    this.reached.add(phase);
    this.latestIndex = Math.max(this.latestIndex, BOOT_PHASES.indexOf(phase));
    this.onPhase(phase);
  }

  get done(): boolean {
    return this.reached.has("shell");
  }

  /** The latest phase reached (in BOOT_PHASES order), or undefined before the first. */
  get latest(): BootPhase | undefined {
    return BOOT_PHASES[this.latestIndex];
  }

  feed(text: string, stream: OutputStream = "serial"): void {
    if (this.done) return;
    // Searched before trimming: one chunk of a busy machine's batched output can hold a
    // marker further back than the kept tail (the decompressor's lines and the kernel's
    // first ones arrive together), and a marker seen only in the trimmed tail was missed.
    const seen = this.tails[stream] + text;
    this.tails[stream] = seen.slice(-TAIL_CHARS);
    for (const [phase, pattern] of MARKERS) {
      if (!this.reached.has(phase) && pattern.test(seen)) this.enter(phase);
    }
  }
}
