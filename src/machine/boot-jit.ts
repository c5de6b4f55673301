// v86's JIT during a boot and after it.
//
// While a machine boots, v86 compiles guest code only in the kernel's decompressor: the
// firmware, the kernel's initialisation and userspace run in v86's interpreter. Most of
// that code runs once or a few times, and compiling it cost more than it bought: V8
// compiles every module v86 makes twice, the second time on compiler threads that take
// the core the page and the machine need (in Chromium they were busy for more than the
// whole boot). The decompressor is one tight loop over megabytes, which the JIT runs
// about three times faster. The phases come from what the guest prints (boot-phases.ts).
// Measured, in docs/benchmarks.md ("the JIT only in the decompressor").
//
// Once the shell is up, v86's own settings serve the guest's work better, so the machine
// switches to them with compiling on and drops what the boot compiled (modules of one
// page: why, src/v86/v86-jit.ts). A guest ringside does not know may print no markers: it
// gets the JIT back after BOOT_INTERPRET_LIMIT instructions interpreted, and v86's own
// settings after BOOT_JIT_LIMIT_MS without a prompt. A benchmark that fixes the settings
// (V86Extras.jit) gets them throughout, compiling, with no switch.
import type { BootPhase } from "./boot-phases.js";
import { setV86JitCompiling, switchV86Jit } from "../v86/v86-jit.js";
import { V86_OWN_JIT } from "../v86/v86-jit-settings.js";

/** The longest a machine runs with the boot's settings when no prompt comes (a cold boot takes about 1 s). */
export const BOOT_JIT_LIMIT_MS = 10_000;

/**
 * Guest instructions a boot runs in the interpreter at most before v86 compiles again
 * (ringside's kernel runs about 45 million outside its decompressor); counted, not timed,
 * so that a loaded machine decides as a quiet one does.
 */
export const BOOT_INTERPRET_LIMIT = 200_000_000;

/** The phases in which a booting v86 compiles guest code. */
const COMPILING_PHASES: ReadonlySet<BootPhase> = new Set(["decompress"]);

export class BootJit {
  private switched: boolean;
  private readonly startedAt: number;
  /** v86 compiles from the start; the first slice decides. */
  private compiling = true;
  private interpreted = 0;
  private lastCount: number;

  /**
   * `exports`: the running v86's WebAssembly exports; `fixed`: whether a benchmark chose the
   * settings for the whole run; `log`: told when the switch happens; `instructions`: v86's
   * instruction counter (a u32 that may wrap).
   */
  constructor(
    private readonly exports: WebAssembly.Exports,
    fixed: boolean,
    now: number,
    private readonly log: (message: string) => void,
    private readonly instructions: () => number,
  ) {
    this.switched = fixed;
    this.startedAt = now;
    this.lastCount = instructions();
  }

  /** Whether v86 still runs with the boot's settings. */
  get booting(): boolean {
    return !this.switched;
  }

  /** Between slices: follows the boot's phase, and leaves the boot's settings once the shell is up or the boot has run too long. */
  afterSlice(phase: BootPhase | undefined, now: number): void {
    if (this.switched) return;
    const shellUp = phase === "shell";
    if (shellUp || now - this.startedAt >= BOOT_JIT_LIMIT_MS) {
      this.switched = true;
      switchV86Jit(this.exports, V86_OWN_JIT);
      setV86JitCompiling(this.exports, true);
      const why = shellUp ? "the shell is up" : `no prompt after ${BOOT_JIT_LIMIT_MS / 1000} s`;
      this.log(`v86 JIT: ${why}, so modules of up to ${V86_OWN_JIT.maxPagesPerModule} pages from now on (the boot's one-page modules dropped)`);
      return;
    }
    const count = this.instructions();
    const wasOverLimit = this.interpreted >= BOOT_INTERPRET_LIMIT;
    if (!this.compiling) this.interpreted += (count - this.lastCount) >>> 0;
    this.lastCount = count;
    const overLimit = this.interpreted >= BOOT_INTERPRET_LIMIT;
    if (overLimit && !wasOverLimit) {
      this.log(`v86 JIT: ${BOOT_INTERPRET_LIMIT / 1e6} million instructions interpreted and no shell yet, so compiling for the rest of the boot`);
    }
    const compile = overLimit || (phase !== undefined && COMPILING_PHASES.has(phase));
    if (compile === this.compiling) return;
    setV86JitCompiling(this.exports, compile);
    this.compiling = compile;
  }
}
