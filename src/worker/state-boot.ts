// Starting the page's machine from a saved state: fetch or read the state file, check it
// through, and work out the machine it needs. A state can only go into a machine with the
// same devices (machine-state.ts), so here the state decides: a disk when it has one (the
// page's persistent disk, resized to the state's disk, whose contents replace it), a card
// on the host network when it had a network, its RAM size and kernel command line.
import { decodeStateFile } from "../snapshot/state-file.js";
import { readMachineState, type MachineSnapshot } from "../machine/machine-state.js";
import type { MachineOptions } from "../machine/options.js";
import { readShellStateRecord, SHELL_STATE_FILE, SHELL_STATE_RECORD, type ShellStateRecord } from "../machine/shell-state.js";
import { checkSectorCount, SECTOR_SIZE } from "../backends/disk.js";
import { OpfsDisk } from "../backends/opfs-disk.js";
import { openSyncHandle } from "../backends/opfs-sync-handle.js";
import { fetchWithProgress } from "./load-images.js";
import type { DiskRequest, NetworkRequest, RestoreRequest, StateSummary } from "./api.js";
import { formatBytes } from "../util/format-bytes.js";

/** A state file read through, and for the shipped snapshot the record of what it was made from. */
export interface LoadedState {
  bytes: Uint8Array;
  name: string;
  snapshot: MachineSnapshot;
  record?: ShellStateRecord;
}

/** Reports a download's length once known, and its bytes as they arrive. */
export interface FetchProgress {
  length(bytes: number): void;
  bytes(bytes: number): void;
}

/**
 * Fetches or reads the state and inflates it: meant to run beside the images' download and
 * the wasm compile, which the state's inflating can overlap.
 */
export async function loadState(request: RestoreRequest, imagesUrl: string, progress: FetchProgress): Promise<LoadedState> {
  if (request.kind === "file") {
    const bytes = new Uint8Array(await request.file.arrayBuffer());
    return { bytes, name: request.name, snapshot: await readStateFile(bytes) };
  }
  const recordUrl = new URL(SHELL_STATE_RECORD, imagesUrl).href;
  const [state, record] = await Promise.all([
    fetchWithProgress(new URL(SHELL_STATE_FILE, imagesUrl).href, progress.length, progress.bytes),
    fetch(recordUrl).then(
      async (response) => {
        if (!response.ok) throw new Error(`cannot fetch ${recordUrl}: HTTP ${response.status}`);
        return readShellStateRecord(await response.json());
      },
      (err: unknown) => {
        throw new Error(`cannot fetch ${recordUrl}: ${String(err)}`);
      },
    ),
  ]);
  const bytes = new Uint8Array(state);
  return { bytes, name: SHELL_STATE_FILE, snapshot: await readStateFile(bytes), record };
}

/** Inflates and checks a state file; throws an Error that says what is wrong with it. */
export async function readStateFile(bytes: Uint8Array): Promise<MachineSnapshot> {
  return readMachineState(await decodeStateFile(bytes));
}

export function summarizeState(snapshot: MachineSnapshot, name: string): StateSummary {
  const { header } = snapshot;
  return {
    name,
    savedAt: header.savedAt,
    memoryMiB: header.memoryMiB,
    diskBytes: header.diskSectors === null ? null : header.diskSectors * SECTOR_SIZE,
    network: header.network !== "none",
  };
}

/** The machine a state needs. */
export interface StatePlan {
  snapshot: MachineSnapshot;
  summary: StateSummary;
  options: MachineOptions;
  /** The page's disk, to be sized to `bytes` and filled from the state. */
  disk?: { request: DiskRequest; bytes: number };
  /** The host network: the only other end of the cable a state carries (a relay's peer is not in it). */
  network?: NetworkRequest;
}

/**
 * Works out the machine for `snapshot`; throws when this page cannot build it. `network`
 * is what the page asked for, of which only the notification policy is kept.
 */
export function planRestore(snapshot: MachineSnapshot, name: string, restoreDisk: DiskRequest | undefined, network?: NetworkRequest): StatePlan {
  const summary = summarizeState(snapshot, name);
  const { header } = snapshot;
  let disk: StatePlan["disk"];
  if (header.diskSectors !== null) {
    const size = formatBytes(header.diskSectors * SECTOR_SIZE);
    if (!restoreDisk) throw new Error(`this state has a ${size} disk, and this page has none to put it on (?thread=main cannot have one)`);
    if (header.diskSectors === 0) throw new Error("this state's disk has no sectors");
    checkSectorCount(header.diskSectors);
    disk = { request: restoreDisk, bytes: header.diskSectors * SECTOR_SIZE };
  }
  return {
    snapshot,
    summary,
    options: { memoryMiB: header.memoryMiB, cmdline: header.cmdline },
    disk,
    network: summary.network ? { kind: "host", policy: network?.policy } : undefined,
  };
}

/**
 * Opens the page's disk at the state's size. Restoring writes every sector (the state's
 * data, zeros elsewhere), so what the file held before does not matter, only its size.
 */
export async function openDiskForState(disk: NonNullable<StatePlan["disk"]>): Promise<OpfsDisk> {
  const handle = await openSyncHandle(disk.request.name);
  try {
    if (handle.getSize() !== disk.bytes) {
      handle.truncate(disk.bytes);
      handle.flush();
    }
  } finally {
    handle.close();
  }
  return OpfsDisk.open(disk.request.name, disk.bytes);
}

/**
 * One load-progress report for the images and the state file downloading side by side:
 * `images` takes loadImagesOverHttp's running totals, `state` the state's download.
 */
export function progressWithState(report: (loaded: number, total: number) => void): {
  images: (loaded: number, total: number) => void;
  state: FetchProgress;
} {
  let images = { loaded: 0, total: 0 };
  const state = { loaded: 0, total: 0 };
  const send = (): void => {
    const loaded = images.loaded + state.loaded;
    report(loaded, Math.max(images.total + state.total, loaded));
  };
  return {
    images: (loaded, total) => {
      images = { loaded, total };
      send();
    },
    state: {
      length: (n) => {
        state.total += n;
      },
      bytes: (n) => {
        state.loaded += n;
        send();
      },
    },
  };
}
