// ringside's reader of v86's own state (src/v86/v86-state-restore.ts) against v86's
// restore_state, on the instant shell's snapshot: two bare v86 machines, one restored each
// way, must save the very same state (CPU, guest RAM, chipset), and the file it read from
// must be unchanged (the saved pages were read where they lie in it).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { startV86, type StartedV86 } from "../../src/machine/v86-emulator.js";
import { restoreV86State } from "../../src/v86/v86-state-restore.js";
import { readMachineState, type MachineSnapshot } from "../../src/machine/machine-state.js";
import { SHELL_STATE_FILE } from "../../src/machine/shell-state.js";
import { decodeStateFile } from "../../src/snapshot/state-file.js";
import { DEFAULT_IMAGES_DIR, loadImages, loadV86Wasm } from "../../src/node/node-images.js";

const sha256 = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

/** A v86 save_state split up: its info block (the object tree as JSON) and each array in it. */
function parts(saved: ArrayBuffer): { info: string; arrays: Uint8Array[] } {
  const bytes = new Uint8Array(saved);
  const infoLength = new DataView(saved).getInt32(12, true);
  const info = new TextDecoder().decode(bytes.subarray(16, 16 + infoLength));
  const start = (16 + infoLength + 3) & ~3;
  const places = (JSON.parse(info) as { buffer_infos: { offset: number; length: number }[] }).buffer_infos;
  return { info, arrays: places.map((p) => bytes.subarray(start + p.offset, start + p.offset + p.length)) };
}

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));

/**
 * The arrays of a machine's state that are readings of the clock (v86 saves its time stamp
 * counter as it reads at the save): those that differ between two saves of one machine
 * that has not run, a few milliseconds apart.
 */
async function clockArrays(v86: StartedV86): Promise<Set<number>> {
  const first = parts(await v86.emulator.save_state());
  const until = performance.now() + 5;
  while (performance.now() < until);
  const second = parts(await v86.emulator.save_state());
  return new Set(first.arrays.flatMap((a, i) => (same(a, second.arrays[i]!) ? [] : [i])));
}

/** The indices of the arrays in which two saves differ, the clock's left out. */
function differences(a: ReturnType<typeof parts>, b: ReturnType<typeof parts>, clock: Set<number>): number[] {
  expect(a.info).toBe(b.info);
  return a.arrays.flatMap((x, i) => (clock.has(i) || same(x, b.arrays[i]!) ? [] : [i]));
}

describe("v86's state, read in place", () => {
  let snapshot: MachineSnapshot;
  const started: StartedV86[] = [];
  const bareV86 = async (): Promise<StartedV86> => {
    const [images, wasm] = await Promise.all([loadImages(), loadV86Wasm()]);
    const v86 = await startV86({ images: { bios: images.bios }, wasm, memoryMiB: snapshot.header.machine.memoryMiB, cmdline: "" });
    started.push(v86);
    return v86;
  };
  beforeAll(async () => {
    snapshot = readMachineState(await decodeStateFile(new Uint8Array(await readFile(join(DEFAULT_IMAGES_DIR, SHELL_STATE_FILE)))));
  });
  afterAll(async () => {
    for (const v of started) await v.emulator.destroy();
  });

  it("restores what v86's own restore does, byte for byte, and leaves the file as it was", async () => {
    const blob = snapshot.v86;
    // The reader hands out the state where it lies in the inflated file, not a copy.
    expect(blob.byteOffset).toBeGreaterThan(0);
    const before = sha256(blob);
    const ours = await bareV86();
    restoreV86State(ours.core, blob);
    const theirs = await bareV86();
    await theirs.emulator.restore_state(blob.slice().buffer);
    const clock = await clockArrays(theirs);
    // The time stamp counter, one 64-bit reading: nothing else moves with the clock.
    expect(clock.size).toBeLessThanOrEqual(1);
    const [a, b] = [parts(await ours.emulator.save_state()), parts(await theirs.emulator.save_state())];
    // Guest RAM's saved pages alone are 11 MB of the instant shell's state.
    expect(Math.max(...a.arrays.map((x) => x.length))).toBeGreaterThan(10 * 1024 * 1024);
    expect(differences(a, b, clock)).toEqual([]);
    expect(sha256(blob)).toBe(before);
  }, 60_000);

  it("refuses a truncated state before v86 is touched, naming what is wrong", async () => {
    const v86 = await bareV86();
    const clock = await clockArrays(v86);
    const saved = parts(await v86.emulator.save_state());
    expect(() => restoreV86State(v86.core, snapshot.v86.subarray(0, snapshot.v86.length - 1))).toThrow(/its header says \d+ bytes, and it has \d+/);
    // Nothing changed: the machine saves what it saved before.
    expect(differences(parts(await v86.emulator.save_state()), saved, clock)).toEqual([]);
  }, 60_000);
});
