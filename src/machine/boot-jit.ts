// v86's JIT during a boot and after it. v86 starts with modules of one page (BOOT_JIT,
// set as its WebAssembly is instantiated: v86-emulator.ts), which gets a machine to its
// shell sooner; once the shell is up, v86's own settings serve the guest's work better, so
// the machine switches and drops the boot's modules (why both: src/v86/v86-jit.ts). A guest
// that never shows a prompt (another kernel, no shell on either terminal) is switched after
// BOOT_JIT_LIMIT_MS all the same. A benchmark that fixes the settings (V86Extras.jit) gets
// them throughout, with no switch.
import { switchV86Jit } from "../v86/v86-jit.js";
import { V86_OWN_JIT } from "../v86/v86-jit-settings.js";

/** The longest a machine runs with the boot's settings when no prompt comes (a cold boot takes about 1 s). */
export const BOOT_JIT_LIMIT_MS = 10_000;

export class BootJit {
  private switched: boolean;
  private readonly startedAt: number;

  /**
   * `exports`: the running v86's WebAssembly exports; `fixed`: whether a benchmark chose the
   * settings for the whole run; `log`: told once, when the switch happens.
   */
  constructor(private readonly exports: WebAssembly.Exports, fixed: boolean, now: number, private readonly log: (message: string) => void) {
    this.switched = fixed;
    this.startedAt = now;
  }

  /** Whether v86 still runs with the boot's settings. */
  get booting(): boolean {
    return !this.switched;
  }

  /** Between slices: switches once the shell is up, or once the boot has run too long without one. */
  afterSlice(shellUp: boolean, now: number): void {
    if (this.switched) return;
    const late = now - this.startedAt >= BOOT_JIT_LIMIT_MS;
    if (!shellUp && !late) return;
    this.switched = true;
    switchV86Jit(this.exports, V86_OWN_JIT);
    const why = shellUp ? "the shell is up" : `no prompt after ${BOOT_JIT_LIMIT_MS / 1000} s`;
    this.log(`v86 JIT: ${why}, so modules of up to ${V86_OWN_JIT.maxPagesPerModule} pages from now on (the boot's one-page modules dropped)`);
  }
}
