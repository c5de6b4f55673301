// When a machine leaves the boot's JIT settings (src/machine/boot-jit.ts): at the shell, or
// after BOOT_JIT_LIMIT_MS without one, once; never when a benchmark fixed the settings.
import { describe, expect, it } from "vitest";
import { BOOT_JIT_LIMIT_MS, BootJit } from "../../src/machine/boot-jit.js";
import { BOOT_JIT, V86_OWN_JIT, type V86JitSettings } from "../../src/v86/v86-jit-settings.js";

/** v86's three JIT exports, remembering the settings and counting the drops of compiled modules. */
function fakeV86(start: V86JitSettings) {
  const config = new Map<number, number>([[1, start.maxPagesPerModule], [3, start.maxExtraBasicBlocks]]);
  const seen = { clears: 0 };
  const exports = {
    set_jit_config: (i: number, v: number) => void config.set(i, v),
    get_jit_config: (i: number) => config.get(i) ?? 0,
    jit_clear_cache_js: () => void seen.clears++,
  };
  const settings = (): V86JitSettings => ({ maxPagesPerModule: config.get(1)!, maxExtraBasicBlocks: config.get(3)! });
  return { exports, seen, settings };
}

describe("the boot's JIT settings", () => {
  it("switch to v86's own once the shell is up, dropping the boot's modules, and only once", () => {
    const v86 = fakeV86(BOOT_JIT);
    const logs: string[] = [];
    const jit = new BootJit(v86.exports, false, 1000, (m) => logs.push(m));
    jit.afterSlice(false, 1500);
    expect([v86.settings(), v86.seen.clears, jit.booting]).toEqual([BOOT_JIT, 0, true]);
    jit.afterSlice(true, 1600);
    expect([v86.settings(), v86.seen.clears, jit.booting]).toEqual([V86_OWN_JIT, 1, false]);
    jit.afterSlice(true, 1700);
    jit.afterSlice(true, 1000 + 2 * BOOT_JIT_LIMIT_MS);
    expect(v86.seen.clears).toBe(1);
    expect(logs).toEqual(["v86 JIT: the shell is up, so modules of up to 3 pages from now on (the boot's one-page modules dropped)"]);
  });

  it("switch without a prompt once the boot has run BOOT_JIT_LIMIT_MS", () => {
    const v86 = fakeV86(BOOT_JIT);
    const logs: string[] = [];
    const jit = new BootJit(v86.exports, false, 5000, (m) => logs.push(m));
    jit.afterSlice(false, 5000 + BOOT_JIT_LIMIT_MS - 1);
    expect(v86.settings()).toEqual(BOOT_JIT);
    jit.afterSlice(false, 5000 + BOOT_JIT_LIMIT_MS);
    expect(v86.settings()).toEqual(V86_OWN_JIT);
    expect(logs).toEqual([`v86 JIT: no prompt after ${BOOT_JIT_LIMIT_MS / 1000} s, so modules of up to 3 pages from now on (the boot's one-page modules dropped)`]);
  });

  it("leave settings a benchmark fixed as they are, shell or not", () => {
    const v86 = fakeV86(V86_OWN_JIT);
    const jit = new BootJit(v86.exports, true, 0, () => expect.fail("no switch to log"));
    jit.afterSlice(true, 1);
    jit.afterSlice(false, 3 * BOOT_JIT_LIMIT_MS);
    expect([v86.settings(), v86.seen.clears, jit.booting]).toEqual([V86_OWN_JIT, 0, false]);
  });
});
