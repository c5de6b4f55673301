// How the machine's fixed costs grow with guest memory: for 128 MiB up to the largest the
// description accepts (MAX_MEMORY_MIB, 2 GiB), a cold boot to the shell, the saved state's
// size (raw and gzip-compressed, as the page and the CLI save it), the time to save it and
// the time to restore it to a shell that answers a command.
//
// Each run is one round over every size, the order rotated from run to run so that a slow
// stretch of this shared machine does not always fall on the same size. Per size and run:
// boot the instant shell's machine (console, rng, the host network) cold and time it to the
// prompt, and count the guest instructions it took (the load on this shared machine changes
// that count only through the guest's busy waits); let the guest settle as
// images/make-shell-state.ts does; save (Machine.saveState: capture and gzip); then take the file up in a new machine (gunzip and parse, build and
// restore) and time it until `grep MemTotal /proc/meminfo` has answered, which is also how
// much of the memory the guest kernel sees.
import { gunzipSync } from "node:zlib";
import { startNodeMachine, type NodeMachine } from "../src/node/node-machine.js";
import { hostNetworkChoice } from "../src/machine/host-network-choice.js";
import type { BootPhase } from "../src/machine/boot-phases.js";
import { PROMPT_PATTERN } from "../src/machine/prompt.js";
import { readMachineState } from "../src/machine/machine-state.js";
import { decodeStateFile } from "../src/snapshot/state-file.js";
import { MAX_MEMORY_MIB, MIN_MEMORY_MIB } from "../src/description/limits.js";
import { summarize, type Summary } from "./stats.js";
import { waitUntil } from "../tests/support/wait-until.js";

const T = 180_000;
/** From the smallest memory that boots (the initrd sits at 64 MiB) to the largest the description accepts. */
export const MEMORY_SIZES_MIB = [128, 256, 512, 1024, 2048].filter((m) => m >= MIN_MEMORY_MIB && m <= MAX_MEMORY_MIB);
/** After the prompt: the kernel's deferred work and the shell's terminal query (as make-shell-state.ts). */
const SETTLE_MS = 1000;
const COMMAND = "grep MemTotal /proc/meminfo";
const ANSWER = /MemTotal:\s+(\d+) kB/;

interface Run {
  bootMs: number;
  /** Guest instructions to the prompt: the boot's work, nearly independent of the load on this machine. */
  bootInstructions: number;
  saveMs: number;
  rawBytes: number;
  compressedBytes: number;
  /** gunzip and parse of the file (decodeStateFile, readMachineState). */
  decodeMs: number;
  /** From the file's bytes to the answer of the first command. */
  restoreMs: number;
  guestMemTotalKiB: number;
}

export interface MemoryScaling {
  memory_mib: number;
  boot_ms: Summary;
  boot_instructions: Summary;
  state_raw_bytes: Summary;
  state_compressed_bytes: Summary;
  save_ms: Summary;
  decode_ms: Summary;
  restore_ms: Summary;
  /** MemTotal as the guest's kernel reports it (the same in every run). */
  guest_mem_total_mib: number;
}

/** A machine whose console output is kept as the last 4 KiB of text. */
async function start(options: Parameters<typeof startNodeMachine>[0]): Promise<{ vm: NodeMachine; screen: () => string; clear: () => void }> {
  let text = "";
  const decoder = new TextDecoder();
  const vm = await startNodeMachine({
    ...options,
    onConsole: (bytes) => {
      text = (text + decoder.decode(bytes, { stream: true })).slice(-4096);
    },
  });
  return { vm, screen: () => text, clear: () => (text = "") };
}

async function once(memoryMiB: number): Promise<Run> {
  const at: Partial<Record<BootPhase, number>> = {};
  const t0 = performance.now();
  const cold = await start({ memoryMiB, network: hostNetworkChoice(), onPhase: (phase, ms) => (at[phase] = ms) });
  let state: Uint8Array;
  let bootMs: number;
  let bootInstructions: number;
  let saveMs: number;
  try {
    await waitUntil(() => PROMPT_PATTERN.test(cold.screen()), `the prompt (${memoryMiB} MiB)`, T, 1);
    bootMs = at.shell ?? performance.now() - t0;
    bootInstructions = cold.vm.machine.instructionCount;
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const s0 = performance.now();
    state = await cold.vm.machine.saveState();
    saveMs = performance.now() - s0;
  } finally {
    await cold.vm.destroy();
  }
  const r0 = performance.now();
  const snapshot = readMachineState(await decodeStateFile(state));
  const decodeMs = performance.now() - r0;
  const restored = await start({ restore: snapshot, network: hostNetworkChoice() });
  try {
    restored.clear();
    restored.vm.machine.sendInput(`${COMMAND}\r`);
    await waitUntil(() => ANSWER.test(restored.screen()), `the restored shell's answer (${memoryMiB} MiB)`, T, 1);
    const restoreMs = performance.now() - r0;
    const guestMemTotalKiB = Number(ANSWER.exec(restored.screen())![1]);
    return { bootMs, bootInstructions, saveMs, rawBytes: gunzipSync(state).length, compressedBytes: state.length, decodeMs, restoreMs, guestMemTotalKiB };
  } finally {
    await restored.vm.destroy();
  }
}

export async function benchMemoryScaling(runs: number, progress: (message: string) => void): Promise<MemoryScaling[]> {
  await once(MEMORY_SIZES_MIB[0]!); // warm-up: v86's wasm compiled, the images in the file cache
  const results = new Map<number, Run[]>(MEMORY_SIZES_MIB.map((m) => [m, []]));
  for (let i = 0; i < runs; i++) {
    const order = MEMORY_SIZES_MIB.map((_, k) => MEMORY_SIZES_MIB[(k + i) % MEMORY_SIZES_MIB.length]!);
    for (const memoryMiB of order) {
      const run = await once(memoryMiB);
      results.get(memoryMiB)!.push(run);
      progress(
        `scaling memory ${memoryMiB} MiB run ${i + 1}/${runs}: boot ${Math.round(run.bootMs)} ms, ` +
          `state ${(run.compressedBytes / 2 ** 20).toFixed(1)} MiB (raw ${(run.rawBytes / 2 ** 20).toFixed(1)}), ` +
          `save ${Math.round(run.saveMs)} ms, restore ${Math.round(run.restoreMs)} ms`,
      );
    }
  }
  return MEMORY_SIZES_MIB.map((memoryMiB) => {
    const r = results.get(memoryMiB)!;
    const of = (key: keyof Run) => summarize(r.map((x) => x[key]));
    return {
      memory_mib: memoryMiB,
      boot_ms: of("bootMs"),
      boot_instructions: of("bootInstructions"),
      state_raw_bytes: of("rawBytes"),
      state_compressed_bytes: of("compressedBytes"),
      save_ms: of("saveMs"),
      decode_ms: of("decodeMs"),
      restore_ms: of("restoreMs"),
      guest_mem_total_mib: Math.round(r[0]!.guestMemTotalKiB / 1024),
    };
  });
}
