// The machine behind the worker API. machine-worker.ts exposes it from a Web Worker; the
// page can also run it on its own thread (?thread=main), which exists to measure the
// worker against v86 on the main thread.
import * as Comlink from "comlink";
import { Machine } from "../machine/machine.js";
import { postTaskScheduler, type SliceScheduler } from "../machine/scheduler.js";
import { V86_OWN_JIT } from "../machine/v86-emulator.js";
import { CheckedDisk } from "../backends/checked-disk.js";
import { OpfsDisk } from "../backends/opfs-disk.js";
import { diskContents } from "./disk-contents.js";
import { openWorkerBackends, type WorkerBackends } from "./worker-backends.js";
import { checkImageSize, deleteImage, exportImage, importImage } from "../backends/opfs-image.js";
import { planRestore, readStateFile, type StatePlan } from "./state-boot.js";
import { loadBootFiles, restoredBootReport } from "./boot-loading.js";
import { prefetchShippedState, takePrefetch, wasmModule } from "./early-work.js";
import { reattachConsole, type ConsoleSize } from "./console-reattach.js";
import type {
  BalloonView, BootFilesReport, BootPhase, BootReport, BootRequest, BootResult, ChainView, DiskInfo, DiskRequest, InspectorView, MachineDescription, MachineEvents, MachineWorkerApi, SchedulerChoice,
  StateSummary,
  TransferProgress,
} from "./api.js";
import { resolveBootImages, type BootImages } from "../machine/boot-images.js";
import { workerImageOpener } from "./worker-images.js";
import { checkPickedFile, checkUrl, reportBootImages } from "./boot-file-check.js";
import { shareFilesService } from "./share-files.js";
import { captureService } from "./capture-service.js";
import { timelineService } from "./timeline-service.js";


function pickScheduler(choice: SchedulerChoice): SliceScheduler | undefined {
  return choice === "post-task" ? postTaskScheduler() : undefined;
}

/** The disks of `description` besides the Disk panel's own (`panelDisk`, the first in this browser's storage). */
function moreDisks(description: MachineDescription | undefined, panelDisk: string): DiskInfo["moreDisks"] {
  const kinds = description?.devices.flatMap((d) => (d.type === "virtio-blk" ? [d.options.backend.kind] : [])) ?? [];
  const inStorage = kinds.filter((k) => k === "opfs").length;
  return { inMemory: kinds.filter((k) => k === "memory").length, inStorage: panelDisk ? Math.max(0, inStorage - 1) : inStorage };
}

export function createMachineService(): MachineWorkerApi {
  void wasmModule();
  let machine: Machine | undefined;
  let booting = false;
  /** The disk the Disk panel works on: the machine's first in this browser's storage. */
  let disk: CheckedDisk<OpfsDisk> | undefined;
  let diskName = "";
  /** Every backend the running machine opened. */
  let opened: WorkerBackends | undefined;
  let stopped = false;
  /** The page's terminal size: the boot request's, until the page reports a resize. */
  let terminal: ConsoleSize | undefined;
  /** Called at the guest's next console output (see console-reattach.ts). */
  let outputWaiters: Array<() => void> = [];

  // Import and reset rewrite the disk under the guest's feet, which no filesystem the
  // guest has mounted would survive; and OPFS lets only one sync handle hold the file.
  // So they stop the machine for good, close the file, do their work, and the page
  // reloads to boot on the new disk. A restart in place would save the reload but needs
  // the machine to be rebuilt inside the worker, for no gain a user would notice.
  async function stopForDiskChange(): Promise<string> {
    if (!diskName) throw new Error("this machine has no disk");
    if (booting && !machine) throw new Error("the machine is still starting; try again when the shell is up");
    stopped = true;
    const running = machine;
    machine = undefined;
    await running?.destroy();
    opened?.close();
    opened = undefined;
    disk = undefined;
    return diskName;
  }

  return {
    async boot(request: BootRequest, events: MachineEvents): Promise<BootResult> {
      if (booting || machine) throw new Error("the machine is already running");
      if (stopped) throw new Error("the machine was stopped for a disk change: reload the page to boot again");
      booting = true;
      terminal ??= request.terminal;
      try {
        const t0 = performance.now();
        const phaseNow = (p: BootPhase): void => void events.phase(p, performance.now() - t0);
        phaseNow("loading");
        const report = (done: number, total: number): void => void events.loadProgress(done, total);
        const early = takePrefetch(request.imagesUrl, request.restore?.kind === "shipped");
        early?.follow(report);
        const [loaded, wasm] = await Promise.all([early?.files ?? loadBootFiles(request.imagesUrl, request.restore, report), wasmModule()]);
        const plan: StatePlan | undefined = loaded.kind === "restore" ? planRestore(loaded.state.snapshot.header, loaded.state.name, request.restoreDisk) : undefined;
        // Opened after the images so that a page that fails to load never holds the file.
        const description = plan?.description ?? request.machine;
        for (const d of description.devices) {
          if (d.type !== "virtio-blk" || d.options.backend.kind !== "opfs") continue;
          void events.note(`opening the disk ${d.options.backend.name} in this browser's storage`);
        }
        opened = await openWorkerBackends(description, (message) => void events.log(message), plan?.sizing);
        for (const o of opened.opfsDisks.filter((d) => d.disk.backend.created)) {
          void events.note(`created the disk ${o.name}, blank: ringside's initrd formats it (ext4) as the guest starts`);
        }
        const persistent = opened.opfsDisks[0];
        diskName = persistent?.name ?? "";
        disk = persistent?.disk;
        // A restored machine runs the kernel in its state's RAM: v86 gets only the firmware (boot-loading.ts).
        const bootImages: BootImages = loaded.kind === "restore" ? { bios: loaded.bios } : await resolveBootImages(description.boot, loaded.images, workerImageOpener(), description.devices);
        // Checked here as well as in Machine.start, for the page's words (version, sizes, sha256).
        const files: BootFilesReport = loaded.kind === "restore"
          ? restoredBootReport(description.boot, loaded.manifest)
          : await reportBootImages(description.boot, bootImages, description.memoryMiB, description.cmdline);
        machine = await Machine.start({
          description,
          backends: opened.backends,
          images: bootImages,
          wasm,
          // The state may still be arriving (its header read): the machine is built meanwhile.
          ...(loaded.kind === "restore" ? { restore: loaded.state.snapshot } : {}),
          scheduler: pickScheduler(request.scheduler),
          ...(request.jit === "v86-default" ? { v86: { jit: V86_OWN_JIT } } : {}),
          hooks: {
            phase: phaseNow,
            console: (bytes) => {
              const taken = events.console(Comlink.transfer(bytes, [bytes.buffer]));
              const waiters = outputWaiters;
              outputWaiters = [];
              for (const wake of waiters) wake();
              return taken;
            },
            serial: (bytes) => void events.serial(Comlink.transfer(bytes, [bytes.buffer])),
            log: (message) => void events.log(message),
          },
        });
        const running = machine;
        const size = (): ConsoleSize => terminal ?? request.terminal;
        if (!plan) {
          running.resizeConsole(size().cols, size().rows);
          return { images: files };
        }
        void reattachConsole(
          {
            size: () => running.deviceViews().flatMap((d) => (d.type === "virtio-console" ? [d.stats] : []))[0],
            resize: (cols, rows) => running.resizeConsole(cols, rows),
            nextOutput: () => new Promise<void>((resolve) => outputWaiters.push(resolve)),
          },
          size,
        );
        return { restored: plan.summary, images: files };
      } catch (err) {
        opened?.close();
        disk = undefined;
        diskName = "";
        throw err;
      } finally {
        booting = false;
      }
    },
    prefetchShippedState(imagesUrl: string, downloading?: MessagePort): void {
      if (!booting && !machine) prefetchShippedState(imagesUrl, downloading);
      else downloading?.close();
    },
    input(data: string): void {
      machine?.sendInput(data);
    },
    resize(cols: number, rows: number): void {
      terminal = { cols, rows };
      machine?.resizeConsole(cols, rows);
    },
    devices() {
      return machine?.deviceViews() ?? [];
    },
    machine() {
      return machine?.description ?? null;
    },
    inspect(): InspectorView {
      return machine?.inspect() ?? { takenAtMs: performance.now(), pci: [], mmio: [], devices: [] };
    },
    describeChain(address: string, queue: number, slot: number): ChainView {
      if (machine) return machine.describeChain(address, queue, slot);
      return { device: address, queue, slot, head: -1, status: "free", descriptors: [], preview: [], problem: "the machine is not running" };
    },
    ping(): number {
      return performance.now();
    },
    instructionCount(): number {
      return machine?.instructionCount ?? 0;
    },
    balloon(): BalloonView | null {
      const balloon = machine?.balloon;
      if (!machine || !balloon) return null;
      // The guest answers with fresh figures by the next poll.
      balloon.requestStats();
      const { targetBytes, actualBytes, guestStats, statsUpdates } = balloon.stats();
      return { targetBytes, actualBytes, guestStats, statsUpdates, memoryMiB: machine.description.memoryMiB };
    },
    setBalloonTarget(mib: number): void {
      const balloon = machine?.balloon;
      if (!machine || !balloon) throw new Error("this machine has no balloon");
      const memoryMiB = machine.description.memoryMiB;
      if (!Number.isInteger(mib) || mib < 0 || mib >= memoryMiB) {
        throw new Error(`the balloon's target must be a whole number of MiB from 0 to ${memoryMiB - 1} (the machine has ${memoryMiB} MiB), not ${mib}`);
      }
      balloon.setTarget(mib * 1024 * 1024);
    },
    diskInfo(): DiskInfo {
      return {
        name: diskName,
        capacityBytes: disk?.backend.capacityBytes ?? 0,
        bytesWritten: disk?.counters.bytesWritten ?? 0,
        exists: disk?.backend.isOpen ?? false,
        moreDisks: moreDisks(machine?.description, diskName),
        contents: disk?.backend.isOpen ? diskContents(disk.backend) : "unknown",
      };
    },
    async importDisk(image: Blob, onProgress: TransferProgress): Promise<void> {
      // Checked before the machine stops, so a wrong file costs nothing.
      checkImageSize(image.size);
      const name = await stopForDiskChange();
      await importImage(name, image, (done, total) => void onProgress(done, total));
    },
    exportDisk(onProgress: TransferProgress): Blob {
      if (!disk) throw new Error(diskName ? "the disk is not open (the machine is starting or was stopped)" : "this machine has no disk");
      return exportImage(disk.backend, (done, total) => void onProgress(done, total));
    },
    async resetDisk(): Promise<void> {
      await deleteImage(await stopForDiskChange());
    },
    async saveState(): Promise<Uint8Array> {
      if (!machine) throw new Error(booting ? "the machine is still starting; try again when the shell is up" : "the machine is not running");
      // The shared folders' files are not in the state, but their modes and symlinks should be
      // on storage as of this moment, like the files' bytes.
      await opened?.flushShares();
      const bytes = await machine.saveState();
      return Comlink.transfer(bytes, [bytes.buffer]);
    },
    async checkState(file: Blob, name: string, restoreDisk?: DiskRequest): Promise<StateSummary> {
      const snapshot = await readStateFile(new Uint8Array(await file.arrayBuffer()));
      return planRestore(snapshot.header, name, restoreDisk).summary;
    },
    checkBootFile(role, file, name, memoryMiB) {
      return checkPickedFile(role, file, name, memoryMiB);
    },
    checkBootUrl(role, url, memoryMiB) {
      return checkUrl(role, url, memoryMiB);
    },
    bootReport(): BootReport | null {
      return machine?.bootReport() ?? null;
    },
    ...shareFilesService(),
    ...captureService(() => machine),
    ...timelineService(() => machine),
  };
}
