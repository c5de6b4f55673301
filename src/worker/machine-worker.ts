// Entry point of the machine's Web Worker: the machine service, exposed over comlink. The
// service's code (v86 and every device, 750 KB) is loaded after this small module has
// started what needs none of it (early-work.ts): v86's WebAssembly compile, and the instant
// shell's download when the page asks first thing (inflated on a worker of its own:
// state-download.ts). Calls that arrive before the service has loaded wait for it.
import * as Comlink from "comlink";
import type { MachineWorkerApi } from "./api.js";
import { fetchShippedFilesEarly, prefetchShippedState, wasmModule } from "./early-work.js";
import { shippedStateFromName } from "./machine-worker-name.js";

void wasmModule();
const shippedStateFrom = shippedStateFromName(self.name);
if (shippedStateFrom !== undefined) fetchShippedFilesEarly(shippedStateFrom);
// Loaded at once, not at the page's first call: that call reaches this worker only when
// the page's main thread is free to pass it on (a browser queues messages to a worker that
// is still starting on the page's side), and the page is then busy with its own code. The
// snapshot's download, which the first call starts, no longer shares this thread.
const loading: Promise<MachineWorkerApi> = import("./machine-service.js").then((m) => m.createMachineService());
loading.catch(() => {}); // a failure is each call's to report

type ApiCall = (...args: unknown[]) => unknown;

/** Every method of the API: prefetchShippedState at once, the others once the service is there. */
const api = new Proxy({} as MachineWorkerApi, {
  get(_target, name): unknown {
    if (name === "prefetchShippedState") return (imagesUrl: string, downloading?: MessagePort) => prefetchShippedState(imagesUrl, downloading);
    if (typeof name !== "string") return undefined;
    return async (...args: unknown[]) => {
      const methods = (await loading) as unknown as Record<string, ApiCall | undefined>;
      const method = methods[name];
      if (!method) throw new Error(`the machine's worker has no method ${name}`);
      return method(...args);
    };
  },
});
Comlink.expose(api);
