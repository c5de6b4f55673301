// Boot-to-shell in Node: fresh machines one after another, each timed from the start of
// image loading to the first prompt, with the guest's own "Run /init" timestamp to split
// kernel init from userspace.
import { startNodeMachine } from "../src/node/node-machine.js";
import type { V86Extras } from "../src/machine/v86-emulator.js";
import type { BootPhase } from "../src/machine/boot-phases.js";
import { breakdown, parseRunInit, type BootBreakdown } from "./boot-phases.js";
import { ddCommand, parseDdMiBps } from "./guest-workloads.js";

/** `v86`: settings for v86 itself (the bench's comparison with v86's own JIT settings). */
export async function bootNodeOnce(imagesDir?: string, v86?: V86Extras): Promise<BootBreakdown> {
  const at: Partial<Record<BootPhase, number>> = {};
  const t0 = performance.now();
  const vm = await startNodeMachine({ imagesDir, ...(v86 ? { v86 } : {}), onPhase: (phase, ms) => (at[phase] = ms) });
  try {
    await vm.shell.waitUntilReady(120_000);
    // A boot slower than the shell session's first probe (3 s: a loaded machine) has the
    // probe's answer printed right after its prompt, so the "shell" phase (a prompt at the
    // end of the output) is never marked; the session found the shell then all the same.
    at.shell ??= performance.now() - t0;
    const { output } = await vm.shell.run("dmesg | grep 'Run /init'", 30_000);
    const dd = await vm.shell.run(ddCommand("node"), 120_000);
    return { ...breakdown(at, parseRunInit(output)), ddMiBps: parseDdMiBps(dd.output, "node") };
  } finally {
    await vm.destroy();
  }
}
