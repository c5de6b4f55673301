// Opens the worker API: a module worker (the default), or the same service on the page's
// own thread (?thread=main, used by the benchmark to compare the two).
import * as Comlink from "comlink";
import type { MachineWorkerApi } from "../worker/api.js";

/** Every call is awaited, whichever side the machine runs on. */
export type MachineConnection = {
  [K in keyof MachineWorkerApi]: (...args: Parameters<MachineWorkerApi[K]>) => Promise<Awaited<ReturnType<MachineWorkerApi[K]>>>;
};

export type ThreadChoice = "worker" | "main";

export interface Connected {
  api: MachineConnection;
  /** Proxies callbacks for the worker; identity on the main thread. */
  proxy<T extends object>(callbacks: T): T;
}

export async function connect(thread: ThreadChoice, onWorkerError: (message: string) => void): Promise<Connected> {
  if (thread === "main") {
    const { createMachineService } = await import("../worker/machine-service.js");
    const service = createMachineService();
    const api = Object.fromEntries(
      Object.entries(service).map(([name, fn]) => [name, async (...args: unknown[]) => (fn as (...a: unknown[]) => unknown)(...args)]),
    ) as MachineConnection;
    return { api, proxy: (callbacks) => callbacks };
  }
  const worker = new Worker(new URL("../worker/machine-worker.ts", import.meta.url), { type: "module", name: "ringside-machine" });
  worker.addEventListener("error", (event) => {
    event.preventDefault();
    onWorkerError(`the machine's worker failed: ${event.message || "it could not start (script error)"}`);
  });
  worker.addEventListener("messageerror", () => onWorkerError("the machine's worker sent a message that could not be read"));
  const remote = Comlink.wrap<MachineWorkerApi>(worker);
  return { api: remote as unknown as MachineConnection, proxy: (callbacks) => Comlink.proxy(callbacks) };
}
