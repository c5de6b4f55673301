// v86's JIT settings on the pinned v86's own WebAssembly (instantiated with inert imports:
// set_jit_config and get_jit_config touch nothing else), and the refusals around them.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { applyV86Jit, readV86Jit, switchV86Jit } from "../../src/v86/v86-jit.js";
import { BOOT_JIT, V86_OWN_JIT } from "../../src/v86/v86-jit-settings.js";

function freshV86Exports(): WebAssembly.Exports {
  const module = new WebAssembly.Module(readFileSync(createRequire(import.meta.url).resolve("v86/build/v86.wasm")));
  const env: Record<string, WebAssembly.ImportValue> = {};
  for (const i of WebAssembly.Module.imports(module)) {
    // v86's own second instance (its zstd worker) makes its table this size too.
    env[i.name] = i.kind === "table" ? new WebAssembly.Table({ element: "anyfunc", initial: 1024 }) : () => 0;
  }
  return new WebAssembly.Instance(module, { env }).exports;
}

describe("v86's JIT settings", () => {
  it("names v86's own starting values as V86_OWN_JIT (what the boot benchmarks compare against)", () => {
    expect(readV86Jit(freshV86Exports())).toEqual(V86_OWN_JIT);
  });

  it("sets modules of one page on v86's WebAssembly, and back to v86's own", () => {
    const exports = freshV86Exports();
    applyV86Jit(exports, BOOT_JIT);
    expect(readV86Jit(exports)).toEqual({ maxPagesPerModule: 1, maxExtraBasicBlocks: 100 });
    applyV86Jit(exports, V86_OWN_JIT);
    expect(readV86Jit(exports)).toEqual(V86_OWN_JIT);
  });

  it("switches a v86 to other settings and drops its compiled modules", () => {
    const exports = freshV86Exports();
    applyV86Jit(exports, BOOT_JIT);
    // v86's own drop of its modules calls back into JavaScript to empty the table slots they held.
    let cleared = 0;
    const counting = { ...exports, jit_clear_cache_js: () => void cleared++ };
    switchV86Jit(counting, V86_OWN_JIT);
    expect(readV86Jit(exports)).toEqual(V86_OWN_JIT);
    expect(cleared).toBe(1);
    // And the real export runs on a fresh v86 (no modules yet) without complaint.
    expect(() => switchV86Jit(exports, V86_OWN_JIT)).not.toThrow();
  });

  it("refuses a WebAssembly without the exports, naming them", () => {
    expect(() => applyV86Jit({ rust_init: () => {} }, BOOT_JIT)).toThrow(/no set_jit_config\/get_jit_config\/jit_clear_cache_js export/);
  });

  it("says so when v86 keeps other values than it was asked for", () => {
    // A v86 whose JIT clamps the page count (as a build with another MAX_PAGES bound would).
    const kept = new Map<number, number>([[1, 3], [3, 250]]);
    const clamping = {
      set_jit_config: (i: number, v: number) => void kept.set(i, i === 1 ? Math.max(v, 2) : v),
      get_jit_config: (i: number) => kept.get(i) ?? 0,
      jit_clear_cache_js: () => {},
    };
    expect(() => applyV86Jit(clamping, BOOT_JIT)).toThrow(/kept \{"maxPagesPerModule":2,"maxExtraBasicBlocks":100\} when asked for \{"maxPagesPerModule":1/);
  });
});
