// Saving a running machine to a state file and taking a saved one up again (the format is
// machine-state.ts). Saving pauses the guest only while the parts are captured; the file
// is compressed after it runs on. Restoring happens before the first instruction, into a
// machine built with the same devices.
import type { V86 } from "v86";
import type { Disk } from "../backends/disk.js";
import type { PlainData } from "../snapshot/state-reader.js";
import { diskStateData, readDiskState, restoreDisk, saveDisk } from "../backends/disk-state.js";
import { encodeStateFile } from "../snapshot/state-file.js";
import { V86_PINNED_VERSION, type V86Core } from "../v86/internals.js";
import { advanceV86Clock, v86ClockMs } from "../v86/v86-clock.js";
import { machineStateData, snapshotMismatch, StateMismatchError, STATE_FORMAT, STATE_VERSION, type MachineSnapshot } from "./machine-state.js";
import type { MachineOptions } from "./options.js";
import type { StandardDevices } from "./standard-devices.js";

/** The other end of the network cable, if it can be saved (the host network can; a relay cannot). */
export interface NetworkStateHooks {
  save(): PlainData;
  /** Takes up saved state; `nowMs` is this process's clock (saved times are relative). */
  restore(saved: unknown, nowMs: number): void;
}

export interface SnapshotParts {
  emulator: V86;
  core: V86Core;
  options: MachineOptions;
  devices: StandardDevices;
  disk: Disk | undefined;
  /** undefined: no network card; null: a card whose other end cannot be saved. */
  network: NetworkStateHooks | null | undefined;
}

export async function saveMachineState(parts: SnapshotParts): Promise<Uint8Array> {
  const { emulator, devices, disk, network } = parts;
  const running = emulator.is_running();
  if (running) await emulator.stop();
  let clockMs = 0;
  let captured: { v86: Uint8Array; devices: PlainData; network: PlainData; disk: PlainData };
  try {
    // Ours first: if a device cannot be saved exactly, nothing else is done.
    const deviceStates = devices.saveState();
    const networkState = network ? network.save() : null;
    const diskState = disk ? diskStateData(saveDisk(disk)) : null;
    clockMs = v86ClockMs(parts.core);
    const v86 = new Uint8Array(await emulator.save_state());
    captured = { v86, devices: deviceStates, network: networkState, disk: diskState };
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
        memoryMiB: parts.options.memoryMiB,
        cmdline: parts.options.cmdline,
        devices: devices.names,
        diskSectors: disk ? disk.sectorCount : null,
        network: network === undefined ? "none" : network === null ? "not-saved" : "saved",
      },
      captured,
    ),
  );
}

/**
 * Puts a saved state into a machine that has not run yet: v86's first (RAM, CPU,
 * chipset), then the disk, the network's other end, and last our devices, which may
 * look at their rings (and the disk) as they come back. Throws with the reason on a
 * state that does not fit.
 */
export async function restoreMachineState(parts: SnapshotParts, snapshot: MachineSnapshot, afterV86: () => void): Promise<void> {
  const { emulator, devices, disk, network } = parts;
  const mismatch = snapshotMismatch(snapshot.header, {
    devices: devices.names,
    diskSectors: disk ? disk.sectorCount : null,
    network: network !== undefined,
  });
  if (mismatch) throw new StateMismatchError(`this state cannot be restored here: ${mismatch}`);
  if (snapshot.header.memoryMiB !== parts.options.memoryMiB) {
    throw new StateMismatchError(`this state needs ${snapshot.header.memoryMiB} MiB of RAM; the machine has ${parts.options.memoryMiB}`);
  }
  // Checked before anything changes; the devices check theirs as they go.
  const diskState = disk ? readDiskState(snapshot.disk, disk) : undefined;
  const v86 = snapshot.v86;
  // v86's timers hold readings of the saving process's clock (see v86-clock.ts).
  advanceV86Clock(parts.core, snapshot.header.v86ClockMs);
  await emulator.restore_state(v86.buffer.slice(v86.byteOffset, v86.byteOffset + v86.byteLength) as ArrayBuffer);
  afterV86();
  if (disk && diskState) restoreDisk(disk, diskState);
  if (network && snapshot.header.network === "saved") network.restore(snapshot.network, performance.now());
  devices.restoreState(snapshot.devices);
}
