// Entry point of the machine's Web Worker: the machine service, exposed over comlink. The
// service's code (v86 and every device, 750 KB) is loaded after this small module has
// started what needs none of it (early-work.ts): v86's WebAssembly compile, and the instant
// shell's download when the page asks first thing. Calls that arrive before the service
// has loaded wait for it.
import * as Comlink from "comlink";
import type { MachineWorkerApi } from "./api.js";
import { prefetchShippedState, wasmModule } from "./early-work.js";

void wasmModule();
// Loaded at the first call, not now: a module loading here would be evaluated before the
// page's first call is even looked at, and that call may be the snapshot's download, which
// needs none of it. (The page calls at once: early-start.ts.)
let loading: Promise<MachineWorkerApi> | undefined;
const service = (): Promise<MachineWorkerApi> =>
  (loading ??= import("./machine-service.js").then((m) => m.createMachineService()));
self.addEventListener("message", () => void service().catch(() => {}), { once: true });

type ApiCall = (...args: unknown[]) => unknown;

/** Every method of the API: prefetchShippedState at once, the others once the service is there. */
const api = new Proxy({} as MachineWorkerApi, {
  get(_target, name): unknown {
    if (name === "prefetchShippedState") return (imagesUrl: string) => prefetchShippedState(imagesUrl);
    if (typeof name !== "string") return undefined;
    return async (...args: unknown[]) => {
      const methods = (await service()) as unknown as Record<string, ApiCall | undefined>;
      const method = methods[name];
      if (!method) throw new Error(`the machine's worker has no method ${name}`);
      return method(...args);
    };
  },
});
Comlink.expose(api);
