// The machine behind the worker API. machine-worker.ts exposes it from a Web Worker; the
// page can also run it on its own thread (?thread=main), which exists to measure the
// worker against v86 on the main thread.
import * as Comlink from "comlink";
import wasmUrl from "v86/build/v86.wasm?url";
import { Machine } from "../machine/machine.js";
import { BootPhaseTracker } from "../machine/boot-phases.js";
import { postTaskScheduler, type SliceScheduler } from "../machine/scheduler.js";
import { loadImagesOverHttp } from "./load-images.js";
import type { BootRequest, MachineEvents, MachineWorkerApi, SchedulerChoice } from "./api.js";


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
  return {
  async boot(request: BootRequest, events: MachineEvents): Promise<void> {
    if (machine) throw new Error("the machine is already running");
    const t0 = performance.now();
    const phases = new BootPhaseTracker((phase) => void events.phase(phase, performance.now() - t0));
    phases.enter("loading");
    const [images, wasm] = await Promise.all([
      loadImagesOverHttp(request.imagesUrl, (loaded, total) => void events.loadProgress(loaded, total)),
      compileWasm(),
    ]);
    phases.enter("firmware");
    const decoder = new TextDecoder();
    machine = await Machine.start({
      images,
      wasm,
      options: request.options,
      scheduler: pickScheduler(request.scheduler),
      hooks: {
        output: (bytes) => {
          if (!phases.done) phases.feed(decoder.decode(bytes, { stream: true }));
          void events.output(Comlink.transfer(bytes, [bytes.buffer]));
        },
        log: (message) => void events.log(message),
      },
    });
  },
  input(data: string): void {
    machine?.sendInput(data);
  },
  ping(): number {
    return performance.now();
  },
  instructionCount(): number {
    return machine?.instructionCount ?? 0;
  },
  };
}
