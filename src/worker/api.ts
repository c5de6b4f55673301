// The only door between the page and the machine: what the page may ask of the worker and
// what the worker reports back. Everything that crosses it is plain data.
import type { BootPhase } from "../machine/boot-phases.js";
import type { MachineOptions } from "../machine/options.js";
import type { MachineDeviceView } from "../machine/machine-devices.js";
import type { NotificationPolicy } from "../devices/virtio-net.js";
import type { ChainView, InspectorView, QueueView } from "../inspect/types.js";
import type { CaptureApi, TimelineApi } from "./api-inspector-tools.js";
import type { ShareFilesApi, TransferProgress } from "./api-share-files.js";
import type { ImageSource, MachineDescription } from "../description/machine-description.js";

export type { BootPhase, ChainView, MachineDeviceView, InspectorView, MachineOptions, MachineDescription };
export type { BootDescription, DeviceDescription, DeviceOf, DiskBackendDescription, ImageSource, NetOptions } from "../description/machine-description.js";
export { MACHINE_DESCRIPTION_VERSION } from "../description/machine-description.js";
export { DescriptionError, parseMachineDescription } from "../description/parse-machine.js";
export type { MmioDeviceView, PciFunctionView, QueueView, SlotStatus, VirtioDeviceView } from "../inspect/types.js";
export type { TimelineEventKind, TimelineEventName, TimelineQueue, TimelineView } from "../inspect/timeline-types.js";
export { TIMELINE_EVENT, TIMELINE_EVENT_NAMES } from "../inspect/timeline-types.js";
export type { CaptureApi, CaptureView, TimelineApi } from "./api-inspector-tools.js";
export type { ShareEntry, ShareFilesApi, ShareUpload, TransferProgress } from "./api-share-files.js";
/** A queue's counters as the inspector carries them (named here so the page need not reach into src/virtio). */
export type QueueCounters = QueueView["counters"];
export { BOOT_PHASES } from "../machine/boot-phases.js";
export { DEFAULT_OPTIONS, MAX_MEMORY_MIB, MIN_MEMORY_MIB } from "../machine/options.js";
export { MAX_BOOT_FILE_BYTES } from "./worker-images.js";
export { SHELL_STATE_FILE } from "../machine/shell-state.js";
export { reportTransfer, stateDownloadName, type StateDownloadReport } from "./state-download-messages.js";
export { machineWorkerName } from "./machine-worker-name.js";
// Not data but a reading of it: the page decodes the inspector's ring letters with the
// same function that wrote them, so the two cannot drift apart.
export { slotStatusAt } from "../inspect/slot-statuses.js";
export { continuesBuffer, wrapMarkAt } from "../inspect/packed-slot-statuses.js";

/** Which scheduler runs v86's slices in the worker (see src/machine/scheduler.ts). */
export type SchedulerChoice = "v86-default" | "post-task";

/** How v86's JIT cuts guest code into modules: ringside's one page, or v86's own settings (src/v86/v86-jit.ts). */
export type JitChoice = "ringside" | "v86-default";

export interface BootRequest {
  /** The machine to build (disks in this browser's storage or in memory; cards on host, switch or relay). */
  machine: MachineDescription;
  /** Absolute URL of the folder holding the image files. */
  imagesUrl: string;
  scheduler: SchedulerChoice;
  /** v86's JIT settings (ringside's when absent); "v86-default" is for the boot benchmark's comparison. */
  jit?: JitChoice;
  /** The terminal's size, so the guest's shell starts with the right `stty size`. */
  terminal: { cols: number; rows: number };
  /**
   * Start from a saved state instead of booting. The state decides the machine (`machine`
   * is not used): its first disk goes on `restoreDisk`, further ones into memory, its
   * network cards onto host networks.
   */
  restore?: RestoreRequest;
  /** Where a restored state's first disk goes; a state with a disk is refused without one. */
  restoreDisk?: DiskRequest;
}

/** Where a state to start from comes from. */
export type RestoreRequest =
  /** A state file the user picked (or saved earlier). */
  | { kind: "file"; file: Blob; name: string }
  /** The instant shell's snapshot shipped beside the images (images/shell.state), checked against them. */
  | { kind: "shipped" };

/** What a state file holds, in words the page can show before and after restoring it. */
export interface StateSummary {
  /** The file's name, or "shell.state" for the shipped snapshot. */
  name: string;
  /** When it was saved (ISO 8601). */
  savedAt: string;
  memoryMiB: number;
  /** Each disk's size in bytes, in device order (none: no disk). */
  diskBytes: number[];
  /** How many network cards it has. */
  networkCards: number;
}

/** How the machine started. */
export interface BootResult {
  /** Present when it started from a saved state. */
  restored?: StateSummary;
  /** The kernel and initrd it booted, as checked (absent when the firmware boots a disk). */
  images?: BootFilesReport;
}

/** What the checks found in a kernel or an initrd (the same checks the machine makes before it starts). */
export interface BootFileFacts {
  /** The name messages call it by: the picked file's name, the address, or the bundled file's name. */
  name: string;
  bytes: number;
  /** Hex; absent for the bundled images, which are not hashed on every boot. */
  sha256?: string;
  /** A kernel's version string from its header ("6.1.192 (ringside@ringside) #1 ..."), when it has one. */
  version?: string;
  /** A kernel's boot protocol ("2.15"). */
  protocol?: string;
  /** The most command-line bytes a kernel takes. */
  maxCmdline?: number;
  /** An initrd's format ("cpio", "gzip", "zstd", ...). */
  format?: string;
}

/** The files a machine booted, each with where it came from. */
export interface BootFilesReport {
  kernel?: BootFileFacts & { source: ImageSource["kind"] };
  initrd?: BootFileFacts & { source: ImageSource["kind"] };
}

/** Where a boot stands (Machine.bootReport): the latest phase, the serial port's last lines, a kernel panic's line. */
export interface BootReport {
  phase: BootPhase | undefined;
  serialTail: string[];
  panic: string | undefined;
}

/** What is on the other end of the guest's network card (see worker/network-choice.ts). */
export type NetworkRequest =
  | { kind: "host" | "switch" | "fetch" | "none"; policy?: NotificationPolicy }
  | { kind: "relay" | "wisp"; url: string; policy?: NotificationPolicy };

/**
 * A disk kept in the browser's Origin Private File System under `name`: created with
 * `sizeMiB` on first use, an existing one keeps its size and contents.
 */
export interface DiskRequest {
  kind: "opfs";
  name: string;
  sizeMiB: number;
}

/** What the page's disk panel shows. */
export interface DiskInfo {
  /** The OPFS file's name; "" when the page asked for no disk. */
  name: string;
  /** Size as the guest sees it; 0 while the disk is not open. */
  capacityBytes: number;
  /** Bytes the guest has written since this boot. */
  bytesWritten: number;
  /** Whether the disk is open under the running machine. */
  exists: boolean;
  /** The running machine's other disks, which the panel only counts. */
  moreDisks: { inMemory: number; inStorage: number };
  /** What its first sectors hold ("unknown" while it is not open). */
  contents: DiskContents;
}

/**
 * What a disk holds, as the Disk panel tells it: an ext2/3/4 filesystem ("ext"), a partition
 * table with a boot signature ("partitioned": an image to boot with ?boot=disk), or neither.
 */
export type DiskContents = "ext" | "partitioned" | "none" | "unknown";

/** The balloon as the Machine panel shows it: what the host asks back, what the guest gave, its own figures. */
export interface BalloonView {
  /** Memory the host asks the guest to give back, and what the guest has given so far. */
  targetBytes: number;
  actualBytes: number;
  /** The guest's memory statistics by the spec's names (free_memory, total_memory, ...), in bytes or counts. */
  guestStats: { [name: string]: number };
  /** How many times the guest has sent its statistics. */
  statsUpdates: number;
  /** The machine's memory, for the panel's limits. */
  memoryMiB: number;
}


/** Callbacks the page hands to the worker (wrapped with comlink's proxy). */
export interface MachineEvents {
  /**
   * What the shell's terminal (the virtio console, hvc0) prints. Resolves once the
   * terminal has taken the bytes: until then they count against the console's window,
   * so a guest cannot print faster than the page draws (console-flow.ts).
   */
  console(bytes: Uint8Array): void | Promise<void>;
  /** What the serial port prints: the kernel log. */
  serial(bytes: Uint8Array): void;
  phase(phase: BootPhase, msSinceBoot: number): void;
  loadProgress(loadedBytes: number, totalBytes: number): void;
  log(message: string): void;
  /** A step of the boot the guest cannot print (opening or creating a disk), for the blank terminal. */
  note(text: string): void;
}

export interface MachineWorkerApi extends ShareFilesApi, CaptureApi, TimelineApi {
  /**
   * Loads images and wasm, starts the guest (or takes up a saved state). Rejects with a
   * message that says what failed; after a rejection boot may be called again.
   */
  boot(request: BootRequest, events: MachineEvents): Promise<BootResult>;
  /**
   * Starts downloading what a boot from the shipped snapshot needs (images/ at `imagesUrl`),
   * before the page has asked for the boot: the page calls it first thing for
   * ?start=snapshot. A boot that asks for the same uses it; any other boot ignores it.
   * `downloading`: the state file is downloading already, on a download worker the page
   * started (connect.ts), which reports on this port (state-download-messages.ts).
   */
  prefetchShippedState(imagesUrl: string, downloading?: MessagePort): void;
  /** Keyboard input and paste, as typed into the terminal. */
  input(data: string): void;
  /** The terminal changed size. */
  resize(cols: number, rows: number): void;
  /** State and per-queue counters of ringside's devices. */
  devices(): MachineDeviceView[];
  /**
   * The running machine's description as built (every device placed; a restored machine's
   * is its state's), which the Share button turns into a link; null before it runs.
   */
  machine(): MachineDescription | null;
  /**
   * The live virtqueue inspector's picture: every PCI function on bus 0, the virtio devices
   * with their config bytes, queues and per-slot ring states. Empty before the machine runs.
   */
  inspect(): InspectorView;
  /**
   * The descriptor chain in avail-ring slot `slot` of queue `queue` of the virtio device at
   * PCI address `address` ("00:05.0"), read without disturbing the device. Never rejects:
   * what could not be followed is in `problem`.
   */
  describeChain(address: string, queue: number, slot: number): ChainView;
  /** Answers while the worker is alive (the page's watchdog). */
  ping(): number;
  /** Guest instructions executed so far. */
  instructionCount(): number;
  /** The disk's name, size and bytes written (polled by the disk panel). */
  diskInfo(): DiskInfo;
  /** The balloon's figures (asking the guest for fresh statistics), or null without one. */
  balloon(): BalloonView | null;
  /** Asks the guest to give back `mib` MiB (0: everything back); throws naming a bad value or a machine without a balloon. */
  setBalloonTarget(mib: number): void;
  /**
   * Stops the machine and replaces the disk with `image`. The page must reload afterwards
   * to boot again (the machine does not restart in place).
   */
  importDisk(image: Blob, onProgress: TransferProgress): Promise<void>;
  /** A snapshot of the whole disk, taken while the machine runs (see exportImage). */
  exportDisk(onProgress: TransferProgress): Blob;
  /** Stops the machine and deletes the disk; the page must reload, which creates an empty one. */
  resetDisk(): Promise<void>;
  /**
   * The whole machine as a state file (gzip; src/snapshot/state-file.ts), transferred, not
   * copied. The guest pauses while it is captured.
   */
  saveState(): Promise<Uint8Array>;
  /**
   * Reads a state file through and says what it holds, or rejects with what is wrong with
   * it (not a state file, damaged, truncated, another version, a disk but `restoreDisk`
   * absent). The running machine is not touched: the page checks a file before it stops
   * anything for it.
   */
  checkState(file: Blob, name: string, restoreDisk?: DiskRequest): Promise<StateSummary>;
  /**
   * Checks a kernel or an initrd the user picked, as the machine would before booting it
   * (`memoryMiB`: the RAM an initrd must fit in), and says what it is with its sha256; or
   * rejects with the reason, naming `name`. The running machine is not touched.
   */
  checkBootFile(role: "kernel" | "initrd", file: Blob, name: string, memoryMiB: number): Promise<BootFileFacts & { sha256: string }>;
  /**
   * Fetches a kernel or an initrd from `url` (the user asked for it) and checks it likewise;
   * rejects naming the address and the reason (unreachable, no CORS, HTTP status,
   * truncated, too large, not a kernel...).
   */
  checkBootUrl(role: "kernel" | "initrd", url: string, memoryMiB: number): Promise<BootFileFacts & { sha256: string }>;
  /** Where the boot stands: its latest phase, the serial port's last lines and any kernel panic; null before the machine runs. */
  bootReport(): BootReport | null;
}
