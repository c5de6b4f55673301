// A restored machine shows its console's last line at once (console-last-line.ts): the
// instant shell's prompt is on the screen before the guest has run an instruction, and a
// line the user had typed but not entered comes back with it, agreeing with what the
// guest's shell holds: Enter runs it.
import { afterEach, describe, expect, it } from "vitest";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { startNodeMachine, type NodeMachine } from "../../src/node/node-machine.js";
import { DEFAULT_IMAGES_DIR } from "../../src/node/node-images.js";
import { hostNetworkChoice } from "../../src/machine/host-network-choice.js";
import { readMachineState, type MachineSnapshot } from "../../src/machine/machine-state.js";
import { SHELL_STATE_FILE } from "../../src/machine/shell-state.js";
import { decodeStateFile } from "../../src/snapshot/state-file.js";
import { waitUntil } from "../support/wait-until.js";

const T = 60_000;
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

async function shippedState(): Promise<MachineSnapshot> {
  return readMachineState(await decodeStateFile(new Uint8Array(await readFile(join(DEFAULT_IMAGES_DIR, SHELL_STATE_FILE)))));
}

/** A machine restored from `state`, its console output kept chunk by chunk. */
async function restored(state: MachineSnapshot): Promise<{ vm: NodeMachine; chunks: string[]; screen: () => string }> {
  const chunks: string[] = [];
  const vm = await startNodeMachine({ network: hostNetworkChoice(), restore: state, onConsole: (b) => void chunks.push(text(b)) });
  return { vm, chunks, screen: () => chunks.join("") };
}


describe("a restored machine's screen", () => {
  const machines: NodeMachine[] = [];
  afterEach(async () => {
    for (const vm of machines.splice(0)) await vm.destroy();
  });

  it("starts with the instant shell's prompt, shown before the guest has printed anything", async () => {
    const state = await shippedState();
    expect(text(state.consoleLine)).toBe("ringside:~# ");
    const { vm, chunks, screen } = await restored(state);
    machines.push(vm);
    // Machine.start has returned: the line is out, and the guest's own output comes after it.
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(chunks[0]).toBe("\rringside:~# ");
    // The guest still answers: its redraw on a size change, then a command.
    vm.machine.resizeConsole(100, 30);
    await waitUntil(() => chunks.length > 1 && /ringside:~# /.test(chunks.slice(1).join("")), "the guest's redraw", T, 10);
    vm.machine.sendInput("echo $((6*7))\r");
    await waitUntil(() => /\n42\r?\n/.test(screen()), "the answer", T, 10);
  }, 120_000);

  it("brings back a line typed and not entered, and Enter runs it in the restored guest", async () => {
    const first = await restored(await shippedState());
    machines.push(first.vm);
    first.vm.machine.sendInput("echo typed-$((6*7))");
    await waitUntil(() => first.screen().includes("echo typed-$((6*7))"), "the echo of the typed line", T, 10);
    const saved = readMachineState(await decodeStateFile(await first.vm.machine.saveState()));
    expect(text(saved.consoleLine)).toBe("ringside:~# echo typed-$((6*7))");

    const second = await restored(saved);
    machines.push(second.vm);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(second.chunks[0]).toBe("\rringside:~# echo typed-$((6*7))");
    second.vm.machine.sendInput("\r");
    await waitUntil(() => /typed-42/.test(second.chunks.slice(1).join("")), "the typed line's answer", T, 10);
  }, 120_000);
});
