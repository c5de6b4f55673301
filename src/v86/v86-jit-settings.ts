// The JIT settings a machine runs v86 with (plain data, so the page and the worker's API can
// name them without loading v86).

/** How much guest code one of v86's JIT modules may cover (see v86-jit.ts). */
export interface V86JitSettings {
  /** Pages of guest code per module (v86's MAX_PAGES). */
  maxPagesPerModule: number;
  /** Basic blocks a module may take beyond its entry points (v86's MAX_EXTRA_BASIC_BLOCKS). */
  maxExtraBasicBlocks: number;
}

/** v86's own settings, as its WebAssembly starts: a machine's once it has booted (src/machine/boot-jit.ts). */
export const V86_OWN_JIT: V86JitSettings = { maxPagesPerModule: 3, maxExtraBasicBlocks: 250 };

/** While a machine boots: modules of one page (why: v86-jit.ts). */
export const BOOT_JIT: V86JitSettings = { maxPagesPerModule: 1, maxExtraBasicBlocks: 100 };
