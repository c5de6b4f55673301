// The browser soak's memory probe: the machine's Web Worker, measured two ways.
//
// 1. performance.measureUserAgentSpecificMemory() on the page (cross-origin isolated; with
//    Chromium's ForceEagerMeasureMemory it runs at once). V8 measures during a full
//    garbage collection's marking, so it counts what is reachable: each breakdown entry
//    attributed to a DedicatedWorkerGlobalScope is the worker's JS objects plus the
//    ArrayBuffers they hold.
// 2. Through the DevTools protocol on the worker target (soak-browser-cdp.ts): collect
//    garbage until the ArrayBuffer total stops changing (V8 frees backing stores on a
//    background thread after the collection that found them dead), then read the worker's
//    V8 heap figures. These come first, so the measurement in 1 follows a forced GC too.
//
// Neither counts the guest's RAM: it is one WebAssembly memory, fixed at boot (256 MiB
// for the page's machine) and outside both figures.
import type { BrowserContext, Page } from "playwright-core";
import { attachToWorker, type WorkerHeapUsage } from "./soak-browser-cdp.js";

/** Part of the machine's worker script's URL (dist/assets/machine-worker-<hash>.js). */
const MACHINE_WORKER = "machine-worker";

export interface MemoryEntry {
  url: string;
  bytes: number;
  types: string[];
}

export interface BrowserMemorySample {
  label: string;
  /** measureUserAgentSpecificMemory: the entries attributed to a DedicatedWorkerGlobalScope, summed. */
  worker_bytes: number;
  /** Those entries one by one (the machine's worker; a timer worker of v86's if one runs). */
  worker_entries: MemoryEntry[];
  /** The page's own entries (scope Window). */
  window_bytes: number;
  /** The measurement's total (page, workers, DOM and shared). */
  total_bytes: number;
  /** CDP on the worker, after forced GCs: live JS objects, the heap as reserved, Blink's objects, ArrayBuffer backing stores. */
  worker_heap_used: number;
  worker_heap_total: number;
  worker_embedder_heap_used: number;
  worker_backing_storage: number;
}

export type MemoryField = Exclude<keyof BrowserMemorySample, "label" | "worker_entries">;
export const MEMORY_FIELDS: MemoryField[] = [
  "worker_bytes", "worker_heap_used", "worker_heap_total", "worker_embedder_heap_used", "worker_backing_storage", "window_bytes", "total_bytes",
];

export interface BrowserMemoryGrowth {
  before: BrowserMemorySample;
  after: BrowserMemorySample;
  growth: Record<MemoryField, number>;
}

interface Measurement {
  bytes: number;
  breakdown: Array<{ bytes: number; types: string[]; attribution: Array<{ url: string; scope: string }> }>;
}

async function measure(page: Page): Promise<Measurement> {
  return page.evaluate(async () => {
    if (!crossOriginIsolated) throw new Error("the page is not cross-origin isolated: measureUserAgentSpecificMemory() is unavailable");
    const api = performance as unknown as { measureUserAgentSpecificMemory(): Promise<Measurement> };
    const m = await api.measureUserAgentSpecificMemory();
    // Plain data across the evaluate boundary.
    return {
      bytes: m.bytes,
      breakdown: m.breakdown.map((b) => ({ bytes: b.bytes, types: [...b.types], attribution: b.attribution.map((a) => ({ url: a.url, scope: a.scope })) })),
    };
  });
}

/**
 * The debugger is attached for the sample only, so that the transfers between samples run
 * in a worker as users have it, with no DevTools session on it.
 */
export async function sampleBrowserMemory(context: BrowserContext, page: Page, label: string): Promise<BrowserMemorySample> {
  const worker = await attachToWorker(context, page, MACHINE_WORKER);
  let heap: WorkerHeapUsage;
  let m: Measurement;
  try {
    let previous = Number.NaN;
    for (let round = 0; round < 10; round++) {
      await worker.collectGarbage();
      await page.waitForTimeout(50);
      const now = (await worker.heapUsage()).backingStorageSize;
      if (now === previous) break;
      previous = now;
    }
    heap = await worker.heapUsage();
    m = await measure(page);
  } finally {
    await worker.detach();
  }
  const scoped = (scope: string) => m.breakdown.filter((b) => b.attribution.some((a) => a.scope === scope));
  const workers = scoped("DedicatedWorkerGlobalScope").map((b) => ({
    url: b.attribution.find((a) => a.scope === "DedicatedWorkerGlobalScope")!.url,
    bytes: b.bytes,
    types: b.types,
  }));
  return {
    label,
    worker_bytes: workers.reduce((a, w) => a + w.bytes, 0),
    worker_entries: workers,
    window_bytes: scoped("Window").reduce((a, b) => a + b.bytes, 0),
    total_bytes: m.bytes,
    worker_heap_used: heap.usedSize,
    worker_heap_total: heap.totalSize,
    worker_embedder_heap_used: heap.embedderHeapUsedSize,
    worker_backing_storage: heap.backingStorageSize,
  };
}

export function browserMemoryGrowth(before: BrowserMemorySample, after: BrowserMemorySample): BrowserMemoryGrowth {
  const growth = Object.fromEntries(MEMORY_FIELDS.map((f) => [f, after[f] - before[f]])) as Record<MemoryField, number>;
  return { before, after, growth };
}
