// Opens the worker API: a module worker (the default), or the same service on the page's
// own thread (?thread=main, used by the benchmark to compare the two). The worker is
// usually already starting: the page's first module opens it (early-start.ts).
import * as Comlink from "comlink";
import { machineWorkerName, reportTransfer, SHELL_STATE_FILE, stateDownloadName, type MachineWorkerApi, type StateDownloadReport } from "../worker/api.js";

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

/** A worker started by the page's first module (early-start.ts), until connect takes it. */
interface EarlyWorker {
  worker: Worker;
  remote: Comlink.Remote<MachineWorkerApi>;
  /** Sends the worker's errors to `onError`: those it reported before anyone listened, then the rest. */
  listen(onError: (message: string) => void): void;
}
let early: EarlyWorker | undefined;

/** The machine's worker; `shippedStateFrom` (the images' address) lets it fetch the instant shell's files at once. */
function openWorker(onError: (message: string) => void, shippedStateFrom?: string): Worker {
  const worker = new Worker(new URL("../worker/machine-worker.ts", import.meta.url), { type: "module", name: machineWorkerName(shippedStateFrom) });
  worker.addEventListener("error", (event) => {
    event.preventDefault();
    onError(`the machine's worker failed: ${event.message || "it could not start (script error)"}`);
  });
  worker.addEventListener("messageerror", () => onError("the machine's worker sent a message that could not be read"));
  return worker;
}

/**
 * Starts the instant shell's snapshot downloading and inflating on a worker of its own
 * (src/worker/state-download.ts), which reads the address from its name and starts at
 * once; its reports are passed on to the machine's worker through the port returned.
 * The inflating then has the second core to itself while the machine's worker loads its
 * code: on the machine's worker the two took turns on one thread.
 */
function startStateDownload(imagesUrl: string): MessagePort {
  const url = new URL(SHELL_STATE_FILE, imagesUrl).href;
  const channel = new MessageChannel();
  const download = new Worker(new URL("../worker/state-download.ts", import.meta.url), { type: "module", name: stateDownloadName(url) });
  download.addEventListener("message", (event: MessageEvent<StateDownloadReport>) => {
    channel.port1.postMessage(event.data, reportTransfer(event.data));
  });
  download.addEventListener("error", (event) => {
    event.preventDefault();
    const report: StateDownloadReport = { kind: "error", message: `cannot download ${url}: its worker failed (${event.message || "it could not start"})` };
    channel.port1.postMessage(report);
  });
  return channel.port2;
}

/**
 * Starts the machine's worker before the rest of the page has loaded, and with
 * `shippedStateFrom` (the images' address) the instant shell's snapshot's download;
 * connect("worker") takes this worker over.
 */
export function startWorkerEarly(shippedStateFrom: string | undefined): void {
  const errors: string[] = [];
  let listener: ((message: string) => void) | undefined;
  const worker = openWorker((message) => (listener ? listener(message) : errors.push(message)), shippedStateFrom);
  const remote = Comlink.wrap<MachineWorkerApi>(worker);
  if (shippedStateFrom) {
    const downloading = startStateDownload(shippedStateFrom);
    void remote.prefetchShippedState(shippedStateFrom, Comlink.transfer(downloading, [downloading]));
  }
  const listen = (onError: (message: string) => void): void => {
    listener = onError;
    for (const message of errors.splice(0)) onError(message);
  };
  early = { worker, remote, listen };
}

export async function connect(thread: ThreadChoice, onWorkerError: (message: string) => void): Promise<Connected> {
  const started = early;
  early = undefined;
  if (thread === "main") {
    // A share link may ask for the main thread after the first module started a worker.
    started?.worker.terminate();
    const { createMachineService } = await import("../worker/machine-service.js");
    const service = createMachineService();
    const api = Object.fromEntries(
      Object.entries(service).map(([name, fn]) => [name, async (...args: unknown[]) => (fn as (...a: unknown[]) => unknown)(...args)]),
    ) as MachineConnection;
    return { api, proxy: (callbacks) => callbacks };
  }
  let remote: Comlink.Remote<MachineWorkerApi>;
  if (started) {
    started.listen(onWorkerError);
    remote = started.remote;
  } else {
    remote = Comlink.wrap<MachineWorkerApi>(openWorker(onWorkerError));
  }
  return { api: remote as unknown as MachineConnection, proxy: (callbacks) => Comlink.proxy(callbacks) };
}
