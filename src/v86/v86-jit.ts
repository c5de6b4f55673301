// How v86's JIT cuts guest code into WebAssembly modules. v86 compiles hot x86 code into
// one module at a time, each covering up to MAX_PAGES pages of guest code and up to
// MAX_EXTRA_BASIC_BLOCKS blocks beyond the entry points, through `set_jit_config`, an
// export of its WebAssembly (v86 itself uses it only to switch the JIT off).
//
// ringside asks for modules of one page: V8 compiles each module's function twice (at
// once with its baseline compiler, then again with its optimising one once the function
// is hot), and the optimising compiler's cost grows faster than the function's size. A
// boot compiles hundreds of modules, on a machine whose other core also runs the page and
// the compiler threads, so smaller modules are code the guest can use sooner and less
// compiler work competing with it. Measured (docs/benchmarks.md, "JIT modules of one
// page"): cold boot to shell 1067 -> 755 ms in Node and 1693 -> 1505 ms in Chromium's
// worker, with no loss on CPU-bound guest work (sha256sum, gzip, a shell loop).
import type { V86JitSettings } from "./v86-jit-settings.js";

/** The part of v86's WebAssembly exports this module uses. */
interface JitExports {
  set_jit_config(index: number, value: number): void;
  get_jit_config(index: number): number;
}

/** set_jit_config's indices (v86's src/rust/jit.rs: JIT_DISABLED 0, MAX_PAGES 1, JIT_USE_LOOP_SAFETY 2, MAX_EXTRA_BASIC_BLOCKS 3). */
const MAX_PAGES = 1;
const MAX_EXTRA_BASIC_BLOCKS = 3;

function jitExports(exports: WebAssembly.Exports): JitExports {
  const set = exports["set_jit_config"];
  const get = exports["get_jit_config"];
  if (typeof set !== "function" || typeof get !== "function") {
    throw new Error("v86's WebAssembly has no set_jit_config/get_jit_config export: this v86 cannot be told how large its JIT modules are");
  }
  return { set_jit_config: set as JitExports["set_jit_config"], get_jit_config: get as JitExports["get_jit_config"] };
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

/** What v86's JIT is set to now. */
export function readV86Jit(exports: WebAssembly.Exports): V86JitSettings {
  const jit = jitExports(exports);
  return { maxPagesPerModule: jit.get_jit_config(MAX_PAGES), maxExtraBasicBlocks: jit.get_jit_config(MAX_EXTRA_BASIC_BLOCKS) };
}
