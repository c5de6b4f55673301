// Where v86 writes guest RAM while a machine is built, before its first instruction: only in
// the ranges ramWrittenAtBuild names. A restore reads nothing else (v86-restore-memory.ts
// leaves the rest alone as zero), so a v86 that wrote elsewhere would leave stray bytes in
// a restored guest's RAM: this test is what would say so.
import { describe, expect, it } from "vitest";
import { Machine } from "../../src/machine/machine.js";
import { bundledBootImages, type BootImages } from "../../src/machine/boot-images.js";
import { ramWrittenAtBuild, startV86 } from "../../src/machine/v86-emulator.js";
import { guestMemoryOf } from "../../src/v86/v86-memory.js";
import { loadImages, loadV86Wasm } from "../../src/node/node-images.js";
import type { GuestMemory } from "../../src/memory/guest-memory.js";
import { MACHINE_DESCRIPTION_VERSION } from "../../src/description/machine-description.js";

const MiB = 1024 * 1024;
const MEMORY_MIB = 256;

/** The addresses of the first few non-zero bytes of guest RAM outside `ranges`, and how many pages hold any. */
function strayBytes(memory: GuestMemory, ranges: ReturnType<typeof ramWrittenAtBuild>): { pages: number; first: string[] } {
  let pages = 0;
  const first: string[] = [];
  for (let chunk = 0; chunk < MEMORY_MIB * MiB; chunk += MiB) {
    const bytes = memory.readBytes(chunk, MiB);
    for (let page = 0; page < MiB; page += 4096) {
      const at = chunk + page;
      if (ranges.some((r) => at < r.end && at + 4096 > r.start)) continue;
      const i = bytes.subarray(page, page + 4096).findIndex((b) => b !== 0);
      if (i < 0) continue;
      pages++;
      if (first.length < 5) first.push(`0x${(at + i).toString(16)}`);
    }
  }
  return { pages, first };
}

async function builtMemory(images: BootImages): Promise<{ pages: number; first: string[]; inRanges: number }> {
  let memory: GuestMemory | undefined;
  const machine = await Machine.start({
    description: { version: MACHINE_DESCRIPTION_VERSION, memoryMiB: MEMORY_MIB, cmdline: "console=ttyS0", devices: [] },
    backends: [],
    images,
    wasm: await loadV86Wasm(),
    hooks: { serial: () => {}, console: () => {} },
    attach: (ctx) => (memory = ctx.memory),
    paused: true,
  });
  try {
    const ranges = ramWrittenAtBuild(images);
    // The ranges are not empty for nothing: v86 did write into each of them.
    const inRanges = ranges.filter((r) => memory!.readBytes(r.start, r.end - r.start).some((b) => b !== 0)).length;
    return { ...strayBytes(memory!, ranges), inRanges };
  } finally {
    await machine.destroy();
  }
}

describe("guest RAM v86 writes while a machine is built", () => {
  it("is within ramWrittenAtBuild's ranges with the firmware alone (a restore's machine) and with a kernel and initrd", async () => {
    const bundled = await loadImages();
    const firmwareOnly = await builtMemory({ bios: bundled.bios });
    expect(firmwareOnly).toEqual({ pages: 0, first: [], inRanges: 1 });
    const withKernel = await builtMemory(bundledBootImages(bundled, []));
    expect(withKernel).toEqual({ pages: 0, first: [], inRanges: 3 });
  }, 60_000);

  it("is within them with v86's APIC and ACPI too (a machine with MSI-X)", async () => {
    const images = { bios: (await loadImages()).bios };
    const { emulator, core } = await startV86({ images, wasm: await loadV86Wasm(), memoryMiB: MEMORY_MIB, cmdline: "", apic: true });
    try {
      expect(strayBytes(guestMemoryOf(core.cpu), ramWrittenAtBuild(images))).toEqual({ pages: 0, first: [] });
    } finally {
      await emulator.destroy();
    }
  }, 60_000);
});
