// Starting the page's machine from a saved state: fetch or read the state file, check it
// through, and work out the machine it needs. A state can only go into a machine built from
// the same description (machine-state.ts), so here the state decides, and only where its
// disks' bytes live and what is at the other end of its cards change (planRestore).
import { decodeStateFile, parseStateFile } from "../snapshot/state-file.js";
import { readMachineState, type ArrivingSnapshot, type MachineSnapshot, type MachineStateHeader } from "../machine/machine-state.js";
import type { DeviceDescription, MachineDescription } from "../description/machine-description.js";
import type { DiskSizing } from "./worker-backends.js";
import { backendNeed, withDiskBackend, withNetBackend } from "../description/backend-need.js";
import { checkShellStateFile, readShellStateRecord, SHELL_STATE_FILE, SHELL_STATE_RECORD, type ShellStateRecord } from "../machine/shell-state.js";
import { checkSectorCount, SECTOR_SIZE } from "../backends/disk.js";
import { OpfsDisk } from "../backends/opfs-disk.js";
import { openSyncHandle } from "../backends/opfs-sync-handle.js";
import { openDownload } from "./load-images.js";
import type { DiskRequest, RestoreRequest, StateSummary } from "./api.js";
import { formatBytes } from "../util/format-bytes.js";
import { downloadedState, type ArrivingState } from "./state-download-client.js";
import { fetchStateFile, type FetchProgress } from "./state-fetch.js";

const MiB = 1024 * 1024;

/**
 * A state file read through (or, for the instant shell's snapshot, its header read and the
 * rest arriving), and for the shipped snapshot the record of what it was made from.
 */
export interface LoadedState {
  name: string;
  snapshot: MachineSnapshot | ArrivingSnapshot;
  record?: ShellStateRecord;
}

export type { FetchProgress };

/**
 * Where a boot's state comes from: what the page asked for, or the instant shell's snapshot
 * already downloading on the page's download worker, whose reports come on `downloading`
 * (connect.ts starts it with this worker).
 */
export type StateSource = RestoreRequest | { kind: "shipped"; downloading: MessagePort };

/**
 * Reads a picked state file, or starts the instant shell's snapshot downloading and
 * resolves once its header is in: the rest (checked against the record's sha256) arrives
 * while the machine is built.
 */
export async function loadState(request: StateSource, imagesUrl: string, progress: FetchProgress): Promise<LoadedState> {
  if (request.kind === "file") {
    return { name: request.name, snapshot: await readStateFile(new Uint8Array(await request.file.arrayBuffer())) };
  }
  const arriving = fetchState(new URL(SHELL_STATE_FILE, imagesUrl).href, progress, "downloading" in request ? request.downloading : undefined);
  const [header, record] = await Promise.all([arriving.header, fetchJson(new URL(SHELL_STATE_RECORD, imagesUrl).href, readShellStateRecord)]);
  const whole = arriving.whole.then(({ sha256, snapshot }) => {
    checkShellStateFile(record, sha256);
    return snapshot;
  });
  whole.catch(() => {}); // the restore awaits it, after the machine is built
  return { name: SHELL_STATE_FILE, snapshot: { header, whole }, record };
}

/**
 * Downloads a state file and inflates it on the way in: on the page's download worker when
 * it was started there (its reports come on `downloading`), else on this thread.
 */
function fetchState(url: string, progress: FetchProgress, downloading?: MessagePort): ArrivingState {
  if (downloading) {
    downloading.start();
    const arriving = downloadedState(downloading, progress);
    void arriving.whole.catch(() => {}).finally(() => downloading.close());
    return arriving;
  }
  const whole = fetchStateFile(url, progress).then(({ inflated, sha256 }) => ({ sha256, snapshot: readMachineState(parseStateFile(inflated)) }));
  const header = whole.then(({ snapshot }) => snapshot.header);
  header.catch(() => {});
  return { header, whole };
}

/** A small JSON file beside the images, read through `read` (which throws naming the bad field). */
export async function fetchJson<T>(url: string, read: (raw: unknown) => T): Promise<T> {
  return read(await (await openDownload(url)).json());
}

/** Inflates and checks a state file; throws an Error that says what is wrong with it. */
export async function readStateFile(bytes: Uint8Array): Promise<MachineSnapshot> {
  return readMachineState(await decodeStateFile(bytes));
}

export function summarizeState(header: MachineStateHeader, name: string): StateSummary {
  return {
    name,
    savedAt: header.savedAt,
    memoryMiB: header.machine.memoryMiB,
    diskBytes: header.diskSectors.map((sectors) => sectors * SECTOR_SIZE),
    networkCards: header.networksSaved.length,
  };
}

/** The machine a state needs on this page. */
export interface StatePlan {
  summary: StateSummary;
  /** The state's machine with its disks re-homed: the first on the page's persistent disk, the others in memory. */
  description: MachineDescription;
  /** Each disk's exact size, and how the persistent disk is opened at it. */
  sizing: DiskSizing;
}

/**
 * Works out the machine for a state from its header: the state decides the devices. Its first disk goes
 * onto the page's persistent disk (`restoreDisk`, resized to it; its contents are replaced),
 * further disks into memory; network cards onto host networks (the only other end a state
 * carries). Throws when this page cannot build it.
 */
export function planRestore(header: MachineStateHeader, name: string, restoreDisk: DiskRequest | undefined): StatePlan {
  const summary = summarizeState(header, name);
  const bytes = new Map<number, number>();
  let disk = 0;
  const devices = header.machine.devices.map((d, i): DeviceDescription => {
    const need = backendNeed(d).kind;
    if (need === "network") return withNetBackend(d, { kind: "host" });
    if (need !== "disk") return d;
    const sectors = header.diskSectors[disk]!;
    const first = disk++ === 0;
    if (sectors === 0) throw new Error(`this state's disk ${disk} has no sectors`);
    checkSectorCount(sectors);
    bytes.set(i, sectors * SECTOR_SIZE);
    const sizeMiB = Math.max(1, Math.ceil((sectors * SECTOR_SIZE) / MiB));
    if (!first) return withDiskBackend(d, { kind: "memory", sizeMiB });
    if (!restoreDisk) throw new Error(`this state has a ${formatBytes(sectors * SECTOR_SIZE)} disk, and this page has none to put it on (?thread=main cannot have one)`);
    return withDiskBackend(d, { kind: "opfs", name: restoreDisk.name, sizeMiB });
  });
  return { summary, description: { ...header.machine, devices }, sizing: { bytes, openOpfs: openDiskForState } };
}

/**
 * Opens the page's disk at the state's size. Restoring writes every sector (the state's
 * data, zeros elsewhere), so what the file held before does not matter, only its size.
 */
export async function openDiskForState(name: string, bytes: number): Promise<OpfsDisk> {
  const handle = await openSyncHandle(name);
  try {
    if (handle.getSize() !== bytes) {
      handle.truncate(bytes);
      handle.flush();
    }
  } finally {
    handle.close();
  }
  return OpfsDisk.open(name, bytes);
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
