// Saving a running machine to a state file and taking a saved one up again (the format is
// machine-state.ts). Saving pauses the guest only while the parts are captured; the file
// is compressed after it runs on. Restoring happens before the first instruction, into a
// machine built from the same description.
import type { V86 } from "v86";
import type { PlainData } from "../snapshot/state-reader.js";
import { diskStateData, readDiskState, restoreDisk, saveDisk } from "../backends/disk-state.js";
import { encodeStateFile } from "../snapshot/state-file.js";
import { V86_PINNED_VERSION, type V86Core } from "../v86/internals.js";
import { advanceV86Clock, v86ClockMs } from "../v86/v86-clock.js";
import { withSparseMemoryRestore, type RamRange } from "../v86/v86-restore-memory.js";
import { restoreV86State } from "../v86/v86-state-restore.js";
import { machineStateData, StateMismatchError, STATE_FORMAT, STATE_VERSION, type MachineSnapshot } from "./machine-state.js";
import { stateMismatch } from "./state-mismatch.js";
import type { MachineDevices } from "./machine-devices.js";

export interface SnapshotParts {
  emulator: V86;
  core: V86Core;
  devices: MachineDevices;
  /** Guest RAM v86 wrote while it was built (v86-emulator.ts: ramWrittenAtBuild); the rest is zero. */
  writtenAtBuild: readonly RamRange[];
  /** After v86's state is back: its restore brings back the ports of the legacy devices it saved. */
  afterV86: () => void;
  /** The console's last line as shown, saved so that a restore can show it at once. */
  consoleLastLine: () => Uint8Array;
}

export async function saveMachineState(parts: SnapshotParts): Promise<Uint8Array> {
  const { emulator, devices } = parts;
  const running = emulator.is_running();
  if (running) await emulator.stop();
  let clockMs = 0;
  let captured: { v86: Uint8Array; devices: PlainData; networks: PlainData; disks: PlainData; consoleLine: Uint8Array };
  try {
    // A request a device is still working on (a shared folder's asynchronous storage) is
    // finished first, while the guest stays stopped: a state never holds one half done.
    await devices.settle();
    // Ours first: if a device cannot be saved exactly, nothing else is done.
    const deviceStates = devices.saveState();
    const networks = devices.networks.map((n) => (n.state ? n.state.save() : null));
    const disks = devices.disks.map((d) => diskStateData(saveDisk(d)));
    clockMs = v86ClockMs(parts.core);
    const v86 = new Uint8Array(await emulator.save_state());
    captured = { v86, devices: deviceStates, networks, disks, consoleLine: parts.consoleLastLine() };
  } finally {
    if (running) await emulator.run();
  }
  return encodeStateFile(
    machineStateData(
      {
        format: STATE_FORMAT,
        version: STATE_VERSION,
        savedAt: new Date().toISOString(),
        v86Version: V86_PINNED_VERSION,
        v86ClockMs: clockMs,
        machine: devices.description,
        diskSectors: devices.disks.map((d) => d.sectorCount),
        networksSaved: devices.networks.map((n) => n.state !== undefined),
      },
      captured,
    ),
  );
}

/**
 * Puts a saved state into a machine that has not run yet: v86's first (RAM, CPU,
 * chipset), then the disks, the cards' other ends, and last our devices, which may look
 * at their rings (and the disks) as they come back. Throws with the reason on a state
 * that does not fit.
 */
export async function restoreMachineState(parts: SnapshotParts, snapshot: MachineSnapshot): Promise<void> {
  const { devices } = parts;
  const mismatch = stateMismatch(snapshot.header, { description: devices.description, diskSectors: devices.disks.map((d) => d.sectorCount) });
  if (mismatch) throw new StateMismatchError(`this state cannot be restored here: ${mismatch}`);
  // Checked before anything changes; the devices check theirs as they go.
  const diskItems = snapshot.disks.items(devices.disks.length);
  if (diskItems.length !== devices.disks.length) snapshot.disks.fail(`${devices.disks.length} disk states`);
  const diskStates = devices.disks.map((disk, i) => readDiskState(diskItems[i]!, disk));
  const v86 = snapshot.v86;
  // v86's timers hold readings of the saving process's clock (see v86-clock.ts).
  advanceV86Clock(parts.core, snapshot.header.v86ClockMs);
  // Guest RAM the state leaves zero is left alone rather than zeroed (v86-restore-memory.ts),
  // and the saved pages are read where they lie in the file (v86-state-restore.ts).
  await withSparseMemoryRestore(parts.core, parts.writtenAtBuild, async () => restoreV86State(parts.core, v86));
  parts.afterV86();
  devices.disks.forEach((disk, i) => restoreDisk(disk, diskStates[i]!));
  devices.networks.forEach((network, i) => {
    if (network.state && snapshot.header.networksSaved[i]) network.state.restore(snapshot.networks[i], performance.now());
  });
  devices.restoreState(snapshot.devices);
}
