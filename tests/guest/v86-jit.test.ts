// The JIT settings a built v86 really runs with: ringside's modules of one page unless the
// machine asks for v86's own (the boot benchmarks' comparison), read back from the live
// WebAssembly instance of a v86 built with the firmware alone.
import { describe, expect, it } from "vitest";
import { startV86, V86_OWN_JIT, type V86Extras } from "../../src/machine/v86-emulator.js";
import { wasmExportsOf } from "../../src/v86/internals.js";
import { readV86Jit } from "../../src/v86/v86-jit.js";
import { RINGSIDE_JIT } from "../../src/v86/v86-jit-settings.js";
import { loadImages, loadV86Wasm } from "../../src/node/node-images.js";

async function jitOfBuiltV86(extras?: V86Extras) {
  const { bios } = await loadImages();
  const { emulator, core } = await startV86({ images: { bios }, wasm: await loadV86Wasm(), memoryMiB: 64, cmdline: "", ...(extras ? { extras } : {}) });
  try {
    return readV86Jit(wasmExportsOf(core));
  } finally {
    await emulator.destroy();
  }
}

describe("v86's JIT in a built machine", () => {
  it("runs with modules of one page, or with v86's own settings when asked", async () => {
    expect(await jitOfBuiltV86()).toEqual(RINGSIDE_JIT);
    expect(await jitOfBuiltV86({ jit: V86_OWN_JIT })).toEqual(V86_OWN_JIT);
  });
});
