// The machine behind the worker API. machine-worker.ts exposes it from a Web Worker; the
// page can also run it on its own thread (?thread=main), which exists to measure the
// worker against v86 on the main thread.
import * as Comlink from "comlink";
import wasmUrl from "v86/build/v86.wasm?url";
import { Machine } from "../machine/machine.js";
import { postTaskScheduler, type SliceScheduler } from "../machine/scheduler.js";
import { loadImagesOverHttp } from "./load-images.js";
import type { BootPhase, BootRequest, MachineEvents, MachineWorkerApi, SchedulerChoice } from "./api.js";

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

  return {
    async boot(request: BootRequest, events: MachineEvents): Promise<void> {
      if (booting || machine) throw new Error("the machine is already running");
      booting = true;
      const t0 = performance.now();
      const phaseNow = (p: BootPhase): void => void events.phase(p, performance.now() - t0);
      phaseNow("loading");
      const [images, wasm] = await Promise.all([
        loadImagesOverHttp(request.imagesUrl, (loaded, total) => void events.loadProgress(loaded, total)),
        compileWasm(),
      ]);
      machine = await Machine.start({
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
    ping(): number {
      return performance.now();
    },
    instructionCount(): number {
      return machine?.instructionCount ?? 0;
    },
  };
}
