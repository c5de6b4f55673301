// A state given to Machine.start while it is still arriving (machine-state.ts,
// ArrivingSnapshot: the instant shell's download hands over the header first): the
// machine is built from the header, waits for the rest, then restores it and runs; if the
// rest turns out bad, start rejects with why (and destroys what it built).
import { describe, expect, it } from "vitest";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { startNodeMachine } from "../../src/node/node-machine.js";
import { DEFAULT_IMAGES_DIR } from "../../src/node/node-images.js";
import { hostNetworkChoice } from "../../src/machine/host-network-choice.js";
import { readMachineState, type MachineSnapshot } from "../../src/machine/machine-state.js";
import { SHELL_STATE_FILE } from "../../src/machine/shell-state.js";
import { decodeStateFile } from "../../src/snapshot/state-file.js";

const T = 60_000;
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

async function shippedState(): Promise<MachineSnapshot> {
  return readMachineState(await decodeStateFile(new Uint8Array(await readFile(join(DEFAULT_IMAGES_DIR, SHELL_STATE_FILE)))));
}

describe("a state that is still arriving", () => {
  it("builds the machine from its header, restores once the rest is in, and runs", async () => {
    const state = await shippedState();
    let release: (s: MachineSnapshot) => void = () => {};
    const whole = new Promise<MachineSnapshot>((resolve) => (release = resolve));
    const chunks: string[] = [];
    let started = false;
    const starting = startNodeMachine({
      network: hostNetworkChoice(),
      restore: { header: state.header, whole },
      onConsole: (b) => void chunks.push(text(b)),
    }).then((vm) => {
      started = true;
      return vm;
    });
    // Built and waiting: nothing restored, nothing printed.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(started).toBe(false);
    expect(chunks).toEqual([]);
    release(state);
    const vm = await starting;
    try {
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(chunks[0]).toBe("\rringside:~# ");
      vm.machine.sendInput("echo arrived-$((6*7))\r");
      const deadline = Date.now() + T;
      while (!/arrived-42\r?\n/.test(chunks.join(""))) {
        if (Date.now() > deadline) throw new Error(`no answer; the console shows ${JSON.stringify(chunks.join(""))}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    } finally {
      await vm.destroy();
    }
  }, 120_000);

  it("rejects with the reason when the rest turns out bad, having shown nothing", async () => {
    const state = await shippedState();
    const chunks: string[] = [];
    const whole = new Promise<MachineSnapshot>((_, reject) => setTimeout(() => reject(new Error("shell.state is not the state shell.state.json describes")), 100));
    await expect(
      startNodeMachine({ network: hostNetworkChoice(), restore: { header: state.header, whole }, onConsole: (b) => void chunks.push(text(b)) }),
    ).rejects.toThrow("shell.state is not the state shell.state.json describes");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(chunks).toEqual([]);
  }, 120_000);
});
