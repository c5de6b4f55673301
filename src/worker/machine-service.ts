// The machine behind the worker API. machine-worker.ts exposes it from a Web Worker; the
// page can also run it on its own thread (?thread=main), which exists to measure the
// worker against v86 on the main thread.
import * as Comlink from "comlink";
import wasmUrl from "v86/build/v86.wasm?url";
import { Machine } from "../machine/machine.js";
import { postTaskScheduler, type SliceScheduler } from "../machine/scheduler.js";
import { loadImagesOverHttp } from "./load-images.js";
import { OpfsDisk } from "../backends/opfs-disk.js";
import { networkChoiceFor } from "./network-choice.js";
import { checkImageSize, deleteImage, exportImage, importImage } from "../backends/opfs-image.js";
import type { BootPhase, BootRequest, ChainView, DiskInfo, InspectorSnapshot, MachineEvents, MachineWorkerApi, SchedulerChoice, TransferProgress } from "./api.js";

const MiB = 1024 * 1024;

async function compileWasm(): Promise<WebAssembly.Module> {
  const url = new URL(wasmUrl, self.location.href).href;
  let response: Response;
  try {
    response = await fetch(url);
  } catch (err) {
    throw new Error(`cannot fetch v86's WebAssembly (${url}): ${String(err)}`);
  }
  if (!response.ok) throw new Error(`cannot fetch v86's WebAssembly (${url}): HTTP ${response.status}`);
  try {
    return await WebAssembly.compile(await response.arrayBuffer());
  } catch (err) {
    throw new Error(`this browser cannot compile v86's WebAssembly: ${String(err)}`);
  }
}

function pickScheduler(choice: SchedulerChoice): SliceScheduler | undefined {
  return choice === "post-task" ? postTaskScheduler() : undefined;
}

export function createMachineService(): MachineWorkerApi {
  let machine: Machine | undefined;
  let booting = false;
  let disk: OpfsDisk | undefined;
  let diskName = "";
  let stopped = false;

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
    disk?.close();
    disk = undefined;
    return diskName;
  }

  return {
    async boot(request: BootRequest, events: MachineEvents): Promise<void> {
      if (booting || machine) throw new Error("the machine is already running");
      if (stopped) throw new Error("the machine was stopped for a disk change: reload the page to boot again");
      booting = true;
      try {
        const t0 = performance.now();
        const phaseNow = (p: BootPhase): void => void events.phase(p, performance.now() - t0);
        phaseNow("loading");
        const [images, wasm] = await Promise.all([
          loadImagesOverHttp(request.imagesUrl, (loaded, total) => void events.loadProgress(loaded, total)),
          compileWasm(),
        ]);
        // Opened after the images so that a page that fails to load never holds the file.
        if (request.disk) {
          diskName = request.disk.name;
          disk = await OpfsDisk.open(request.disk.name, request.disk.sizeMiB * MiB);
        }
        const network = request.network ? networkChoiceFor(request.network, (message) => void events.log(message)) : undefined;
        machine = await Machine.start({
          disk,
          network,
          images,
          wasm,
          options: request.options,
          scheduler: pickScheduler(request.scheduler),
          hooks: {
            phase: phaseNow,
            console: (bytes) => void events.console(Comlink.transfer(bytes, [bytes.buffer])),
            serial: (bytes) => void events.serial(Comlink.transfer(bytes, [bytes.buffer])),
            log: (message) => void events.log(message),
          },
        });
        machine.resizeConsole(request.terminal.cols, request.terminal.rows);
      } catch (err) {
        disk?.close();
        disk = undefined;
        throw err;
      } finally {
        booting = false;
      }
    },
    input(data: string): void {
      machine?.sendInput(data);
    },
    resize(cols: number, rows: number): void {
      machine?.resizeConsole(cols, rows);
    },
    devices() {
      return machine?.deviceSnapshots() ?? [];
    },
    inspect(): InspectorSnapshot {
      return machine?.inspect() ?? { takenAtMs: performance.now(), pci: [], devices: [] };
    },
    describeChain(address: string, queue: number, slot: number): ChainView {
      if (machine) return machine.describeChain(address, queue, slot);
      return { device: address, queue, slot, head: -1, state: "free", descriptors: [], preview: [], problem: "the machine is not running" };
    },
    ping(): number {
      return performance.now();
    },
    instructionCount(): number {
      return machine?.instructionCount ?? 0;
    },
    diskInfo(): DiskInfo {
      return {
        name: diskName,
        capacityBytes: disk?.capacityBytes ?? 0,
        bytesWritten: disk?.counters.bytesWritten ?? 0,
        exists: disk?.isOpen ?? false,
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
      return exportImage(disk, (done, total) => void onProgress(done, total));
    },
    async resetDisk(): Promise<void> {
      await deleteImage(await stopForDiskChange());
    },
  };
}
