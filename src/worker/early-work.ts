// What a worker can start before the machine's code has loaded (machine-worker.ts loads
// machine-service.ts, 750 KB with v86 and every device, in the background): compiling
// v86's WebAssembly, which every boot needs, and downloading the instant shell's snapshot
// when the page asks for it first thing. Both then overlap the loading of that code and of
// the page's own. Small on purpose: it is what the worker runs first.
import wasmUrl from "v86/build/v86.wasm?url";
import { prefetchBootFiles, type BootFilesPrefetch } from "./boot-loading.js";
import { fetchEarly } from "./early-fetch.js";
import { IMAGE_FILES } from "../machine/images.js";
import { IMAGE_MANIFEST_FILE } from "../machine/image-manifest.js";
import { SHELL_STATE_RECORD } from "../machine/shell-state.js";

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
    // Compiled as it downloads where the server says what it is (compileStreaming insists).
    if (response.headers.get("content-type")?.split(";")[0]?.trim() === "application/wasm") return await WebAssembly.compileStreaming(response);
    return await WebAssembly.compile(await response.arrayBuffer());
  } catch (err) {
    throw new Error(`this browser cannot compile v86's WebAssembly: ${String(err)}`);
  }
}

let wasmCompile: Promise<WebAssembly.Module> | undefined;

/** v86's WebAssembly, compiled once per worker (the first call starts it). */
export function wasmModule(): Promise<WebAssembly.Module> {
  if (!wasmCompile) {
    wasmCompile = compileWasm();
    // A failure is the boot's to report, when it asks.
    wasmCompile.catch(() => {});
  }
  return wasmCompile;
}

/**
 * The instant shell's small files (the firmware, the image manifest, the snapshot's record),
 * fetched from the worker's first moment when its name says where they are
 * (machine-worker-name.ts); prefetchShippedState's downloads take them up. An address that
 * does not read starts nothing: the boot reports it.
 */
export function fetchShippedFilesEarly(imagesUrl: string): void {
  let base: URL;
  try {
    base = new URL(imagesUrl);
  } catch {
    return;
  }
  for (const file of [IMAGE_FILES.bios, IMAGE_MANIFEST_FILE, SHELL_STATE_RECORD]) fetchEarly(new URL(file, base).href);
}

let prefetched: BootFilesPrefetch | undefined;

/**
 * Starts the shipped snapshot's downloads (once; later calls are ignored). The state file
 * itself may be downloading already, on the page's download worker: its reports come on
 * `downloading`.
 */
export function prefetchShippedState(imagesUrl: string, downloading?: MessagePort): void {
  prefetched ??= prefetchBootFiles(imagesUrl, downloading ? { kind: "shipped", downloading } : { kind: "shipped" });
}

/** The prefetch, handed over once: to the boot that asks for the same files, or to nobody. */
export function takePrefetch(imagesUrl: string, wanted: boolean): BootFilesPrefetch | undefined {
  const taken = prefetched;
  prefetched = undefined;
  return wanted && taken?.imagesUrl === imagesUrl ? taken : undefined;
}
