// v86's JIT through a boot (src/machine/boot-jit.ts): compiling only in the decompressor,
// back on after BOOT_INTERPRET_LIMIT interpreted instructions for a guest that prints no
// markers, v86's own settings at the shell or after BOOT_JIT_LIMIT_MS without one, once;
// never a change when a benchmark fixed the settings.
import { describe, expect, it } from "vitest";
import { BOOT_INTERPRET_LIMIT, BOOT_JIT_LIMIT_MS, BootJit } from "../../src/machine/boot-jit.js";
import type { BootPhase } from "../../src/machine/boot-phases.js";
import { BOOT_JIT, V86_OWN_JIT, type V86JitSettings } from "../../src/v86/v86-jit-settings.js";

/** v86's three JIT exports and its instruction counter, remembering the settings and counting the drops of compiled modules. */
function fakeV86(start: V86JitSettings) {
  const config = new Map<number, number>([[0, 0], [1, start.maxPagesPerModule], [3, start.maxExtraBasicBlocks]]);
  const seen = { clears: 0, counter: 0 };
  const exports = {
    set_jit_config: (i: number, v: number) => void config.set(i, v),
    get_jit_config: (i: number) => config.get(i) ?? 0,
    jit_clear_cache_js: () => void seen.clears++,
  };
  const settings = (): V86JitSettings => ({ maxPagesPerModule: config.get(1)!, maxExtraBasicBlocks: config.get(3)! });
  const compiling = (): boolean => config.get(0) === 0;
  /** The guest runs `n` instructions (v86's counter is a u32). */
  const run = (n: number): void => void (seen.counter = (seen.counter + n) >>> 0);
  return { exports, seen, settings, compiling, run, counter: () => seen.counter };
}

describe("v86's JIT through a boot", () => {
  it("compiles only in the decompressor, then takes v86's own settings at the shell, dropping the boot's modules, once", () => {
    const v86 = fakeV86(BOOT_JIT);
    const logs: string[] = [];
    const jit = new BootJit(v86.exports, false, 1000, (m) => logs.push(m), v86.counter);
    const compilingIn = (phase: BootPhase, at: number): boolean => {
      v86.run(1_000_000);
      jit.afterSlice(phase, at);
      return v86.compiling();
    };
    expect([compilingIn("firmware", 1010), compilingIn("decompress", 1100), compilingIn("decompress", 1150)]).toEqual([false, true, true]);
    expect([compilingIn("kernel", 1200), compilingIn("userspace", 1500)]).toEqual([false, false]);
    expect([v86.settings(), v86.seen.clears, jit.booting]).toEqual([BOOT_JIT, 0, true]);
    expect(compilingIn("shell", 1600)).toBe(true);
    expect([v86.settings(), v86.seen.clears, jit.booting]).toEqual([V86_OWN_JIT, 1, false]);
    jit.afterSlice("shell", 1700);
    jit.afterSlice("shell", 1000 + 2 * BOOT_JIT_LIMIT_MS);
    expect([v86.seen.clears, v86.compiling()]).toEqual([1, true]);
    expect(logs).toEqual(["v86 JIT: the shell is up, so modules of up to 3 pages from now on (the boot's one-page modules dropped)"]);
  });

  it("compiles again once a guest with no markers has run BOOT_INTERPRET_LIMIT instructions interpreted, counting across the counter's wrap", () => {
    const v86 = fakeV86(BOOT_JIT);
    v86.run(2 ** 32 - 50_000_000); // the counter wraps during this boot
    const logs: string[] = [];
    const jit = new BootJit(v86.exports, false, 0, (m) => logs.push(m), v86.counter);
    jit.afterSlice("firmware", 1);
    expect(v86.compiling()).toBe(false);
    v86.run(BOOT_INTERPRET_LIMIT - 1);
    jit.afterSlice("firmware", 2);
    expect(v86.compiling()).toBe(false);
    v86.run(1);
    jit.afterSlice("firmware", 3);
    expect([v86.compiling(), v86.settings(), jit.booting]).toEqual([true, BOOT_JIT, true]);
    // Compiling from here on, whatever the phase, until the shell.
    jit.afterSlice("kernel", 4);
    expect(v86.compiling()).toBe(true);
    expect(logs).toEqual([`v86 JIT: ${BOOT_INTERPRET_LIMIT / 1e6} million instructions interpreted and no shell yet, so compiling for the rest of the boot`]);
  });

  it("counts only what ran interpreted: the decompressor's instructions do not use up the limit", () => {
    const v86 = fakeV86(BOOT_JIT);
    const jit = new BootJit(v86.exports, false, 0, () => {}, v86.counter);
    jit.afterSlice("decompress", 1);
    v86.run(2 * BOOT_INTERPRET_LIMIT);
    jit.afterSlice("kernel", 2);
    expect(v86.compiling()).toBe(false);
    v86.run(BOOT_INTERPRET_LIMIT / 2);
    jit.afterSlice("kernel", 3);
    expect(v86.compiling()).toBe(false);
  });

  it("takes v86's own settings, compiling, without a prompt once the boot has run BOOT_JIT_LIMIT_MS", () => {
    const v86 = fakeV86(BOOT_JIT);
    const logs: string[] = [];
    const jit = new BootJit(v86.exports, false, 5000, (m) => logs.push(m), v86.counter);
    jit.afterSlice("kernel", 5000 + BOOT_JIT_LIMIT_MS - 1);
    expect([v86.settings(), v86.compiling()]).toEqual([BOOT_JIT, false]);
    jit.afterSlice("kernel", 5000 + BOOT_JIT_LIMIT_MS);
    expect([v86.settings(), v86.compiling()]).toEqual([V86_OWN_JIT, true]);
    expect(logs).toEqual([`v86 JIT: no prompt after ${BOOT_JIT_LIMIT_MS / 1000} s, so modules of up to 3 pages from now on (the boot's one-page modules dropped)`]);
  });

  it("leaves settings a benchmark fixed as they are, compiling throughout, shell or not", () => {
    const v86 = fakeV86(V86_OWN_JIT);
    const jit = new BootJit(v86.exports, true, 0, () => expect.fail("no switch to log"), v86.counter);
    jit.afterSlice("firmware", 1);
    jit.afterSlice("kernel", 2);
    jit.afterSlice("shell", 3);
    jit.afterSlice(undefined, 3 * BOOT_JIT_LIMIT_MS);
    expect([v86.settings(), v86.seen.clears, v86.compiling(), jit.booting]).toEqual([V86_OWN_JIT, 0, true, false]);
  });
});
