// The JIT settings a built v86 really runs with: the boot's modules of one page unless the
// machine asks for v86's own (the boot benchmarks' comparison), read back from the live
// WebAssembly instance of a v86 built with the firmware alone; a real boot that compiles
// only while its kernel decompresses; and a booted machine that leaves the boot's settings
// at its shell prompt (dropping what it compiled) and goes on working.
import { describe, expect, it } from "vitest";
import { startV86, V86_OWN_JIT, type V86Extras } from "../../src/machine/v86-emulator.js";
import { wasmExportsOf } from "../../src/v86/internals.js";
import { coreOf } from "../../src/v86/internals.js";
import { readV86Jit, v86JitCompiling } from "../../src/v86/v86-jit.js";
import type { BootPhase } from "../../src/machine/boot-phases.js";
import type { V86 } from "v86";
import { BOOT_JIT } from "../../src/v86/v86-jit-settings.js";
import { loadImages, loadV86Wasm } from "../../src/node/node-images.js";
import { startNodeMachine } from "../../src/node/node-machine.js";

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
    expect(await jitOfBuiltV86()).toEqual(BOOT_JIT);
    expect(await jitOfBuiltV86({ jit: V86_OWN_JIT })).toEqual(V86_OWN_JIT);
  });

  it("compiles guest code only while the kernel decompresses, and again once the shell is up", async () => {
    let emulator: V86 | undefined;
    const compilingAt: Partial<Record<BootPhase, boolean>> = {};
    const compiling = (): boolean => v86JitCompiling(wasmExportsOf(coreOf(emulator!)));
    const vm = await startNodeMachine({
      v86: { attach: (e) => (emulator = e) },
      // Told as a phase's marker is seen, before the slice's end decides: what the phase before it left.
      onPhase: (phase) => {
        if (emulator) compilingAt[phase] = compiling();
      },
    });
    try {
      await vm.shell.waitUntilReady(120_000);
      // The firmware ran interpreted, the decompressor compiled, and the kernel and userspace (one
      // phase here: the quiet kernel log has no "Run /init" line) ran interpreted again.
      expect(compilingAt).toMatchObject({ decompress: false, kernel: true, shell: false });
      expect(compiling()).toBe(true);
    } finally {
      await vm.destroy();
    }
  });

  it("switches to v86's own settings at the shell prompt, once, and the guest works on with new modules", async () => {
    const logs: string[] = [];
    const vm = await startNodeMachine({ log: (m) => logs.push(m) });
    try {
      await vm.shell.waitUntilReady(120_000);
      // Work that needs freshly compiled code after the drop: a checksum of 8 MiB, twice, the same.
      const sum = "dd if=/dev/zero bs=1M count=8 2>/dev/null | sha256sum";
      const first = await vm.shell.run(sum, 60_000);
      const second = await vm.shell.run(sum, 60_000);
      expect(first.output).toContain("2daeb1f36095b44b318410b3f4e8b5d989dcc7bb023d1426c492dab0a3053e74");
      expect(second.output).toBe(first.output);
      expect(logs.filter((m) => m.startsWith("v86 JIT:"))).toEqual(["v86 JIT: the shell is up, so modules of up to 3 pages from now on (the boot's one-page modules dropped)"]);
    } finally {
      await vm.destroy();
    }
  });

  it("keeps settings a benchmark fixed for the whole run: no switch at the prompt", async () => {
    const logs: string[] = [];
    const vm = await startNodeMachine({ log: (m) => logs.push(m), v86: { jit: V86_OWN_JIT } });
    try {
      await vm.shell.waitUntilReady(120_000);
      expect((await vm.shell.run("echo up", 30_000)).output).toContain("up");
      expect(logs.filter((m) => m.startsWith("v86 JIT:"))).toEqual([]);
    } finally {
      await vm.destroy();
    }
  });
});
