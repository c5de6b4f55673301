// How v86's JIT cuts guest code into WebAssembly modules. v86 compiles hot x86 code into
// one module at a time, each covering up to MAX_PAGES pages of guest code and up to
// MAX_EXTRA_BASIC_BLOCKS blocks beyond the entry points, through `set_jit_config`, an
// export of its WebAssembly (v86 itself uses it only to switch the JIT off).
//
// While a machine boots, ringside asks for modules of one page (and compiles only in the
// kernel's decompressor: src/machine/boot-jit.ts): V8 compiles each module's
// function twice (at once with its baseline compiler, then again with its optimising one
// once the function is hot), and the optimising compiler's cost grows faster than the
// function's size. A boot runs a lot of code once or a few times, on a machine whose other
// core also runs the page and the compiler threads, so small modules are code the guest can
// use sooner and less compiler work competing with it. Once booted, the same small modules
// cost the kernel's longer paths (4 KiB random reads ran at 0.80x the IOPS with one-page
// modules throughout; leaving a module goes through v86's dispatcher, and a path that
// spans pages leaves more often): so the machine then goes back to v86's own settings and
// drops what it compiled, and hot code is compiled again in larger modules
// (src/machine/boot-jit.ts; the figures are in docs/benchmarks.md, "JIT modules of one
// page while booting").
import type { V86JitSettings } from "./v86-jit-settings.js";

/** The part of v86's WebAssembly exports this module uses. */
interface JitExports {
  set_jit_config(index: number, value: number): void;
  get_jit_config(index: number): number;
  /** Drops every compiled module (v86 calls it itself when it restores a state). */
  jit_clear_cache_js(): void;
}

/**
 * set_jit_config's indices, as v86's own debug report names them when it reads them back
 * (get_jit_config: 0 JIT_DISABLED, 1 MAX_PAGES, 2 JIT_USE_LOOP_SAFETY, 3 MAX_EXTRA_BASIC_BLOCKS).
 */
const JIT_DISABLED = 0;
const MAX_PAGES = 1;
const MAX_EXTRA_BASIC_BLOCKS = 3;

function jitExports(exports: WebAssembly.Exports): JitExports {
  const set = exports["set_jit_config"];
  const get = exports["get_jit_config"];
  const clear = exports["jit_clear_cache_js"];
  if (typeof set !== "function" || typeof get !== "function" || typeof clear !== "function") {
    throw new Error("v86's WebAssembly has no set_jit_config/get_jit_config/jit_clear_cache_js export: this v86 cannot be told how large its JIT modules are");
  }
  return {
    set_jit_config: set as JitExports["set_jit_config"],
    get_jit_config: get as JitExports["get_jit_config"],
    jit_clear_cache_js: clear as JitExports["jit_clear_cache_js"],
  };
}

/** Applies `settings` to a freshly instantiated v86 (before its first instruction) and checks that they took. */
export function applyV86Jit(exports: WebAssembly.Exports, settings: V86JitSettings): void {
  const jit = jitExports(exports);
  jit.set_jit_config(MAX_PAGES, settings.maxPagesPerModule);
  jit.set_jit_config(MAX_EXTRA_BASIC_BLOCKS, settings.maxExtraBasicBlocks);
  const took = readV86Jit(exports);
  if (took.maxPagesPerModule !== settings.maxPagesPerModule || took.maxExtraBasicBlocks !== settings.maxExtraBasicBlocks) {
    throw new Error(`v86's JIT kept ${JSON.stringify(took)} when asked for ${JSON.stringify(settings)}`);
  }
}

/**
 * Switches a running v86 to `settings` and drops every module compiled so far, so that hot
 * code is compiled again under them. Between slices only (never from inside v86's wasm).
 */
export function switchV86Jit(exports: WebAssembly.Exports, settings: V86JitSettings): void {
  applyV86Jit(exports, settings);
  jitExports(exports).jit_clear_cache_js();
}

/**
 * Lets v86 compile guest code, or not. Switched off, v86 stops counting how hot guest code
 * is and compiles nothing new; what it compiled before still runs. Between slices only.
 */
export function setV86JitCompiling(exports: WebAssembly.Exports, on: boolean): void {
  const jit = jitExports(exports);
  jit.set_jit_config(JIT_DISABLED, on ? 0 : 1);
  if ((jit.get_jit_config(JIT_DISABLED) === 0) !== on) throw new Error(`v86's JIT did not switch ${on ? "on" : "off"}`);
}

/** Whether v86 compiles guest code now (setV86JitCompiling). */
export function v86JitCompiling(exports: WebAssembly.Exports): boolean {
  return jitExports(exports).get_jit_config(JIT_DISABLED) === 0;
}

/** What v86's JIT is set to now. */
export function readV86Jit(exports: WebAssembly.Exports): V86JitSettings {
  const jit = jitExports(exports);
  return { maxPagesPerModule: jit.get_jit_config(MAX_PAGES), maxExtraBasicBlocks: jit.get_jit_config(MAX_EXTRA_BASIC_BLOCKS) };
}
