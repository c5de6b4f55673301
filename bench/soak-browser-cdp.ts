// A Chrome DevTools Protocol session on the machine's worker, for what the page cannot do
// to its worker: force a garbage collection there (--js-flags=--expose-gc reaches only the
// page) and read the worker's own V8 heap figures. Playwright's CDP sessions attach to
// pages only, so this goes through the page's session: auto-attach to its dedicated
// workers without flattening, and talk to the worker with Target.sendMessageToTarget.
import type { BrowserContext, CDPSession, Page } from "playwright-core";

export interface WorkerHeapUsage {
  /** Live JS objects in the worker's V8 heap. */
  usedSize: number;
  /** The worker's V8 heap as reserved. */
  totalSize: number;
  /** Blink's (Oilpan) objects of the worker. */
  embedderHeapUsedSize: number;
  /** ArrayBuffer backing stores (not WebAssembly memories: the guest's RAM is not in it). */
  backingStorageSize: number;
}

export interface WorkerDebugger {
  url: string;
  collectGarbage(): Promise<void>;
  heapUsage(): Promise<WorkerHeapUsage>;
  detach(): Promise<void>;
}

interface Reply {
  id?: number;
  result?: unknown;
  error?: { message?: string };
}

/** Attaches to the page's one dedicated worker whose script URL contains `urlPart`. */
export async function attachToWorker(context: BrowserContext, page: Page, urlPart: string): Promise<WorkerDebugger> {
  const cdp: CDPSession = await context.newCDPSession(page);
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let target: { sessionId: string; url: string } | undefined;
  cdp.on("Target.attachedToTarget", (e) => {
    if (e.targetInfo.type === "worker" && e.targetInfo.url.includes(urlPart)) target ??= { sessionId: e.sessionId, url: e.targetInfo.url };
  });
  cdp.on("Target.receivedMessageFromTarget", (e) => {
    const reply = JSON.parse(e.message) as Reply;
    const pending = reply.id === undefined ? undefined : waiting.get(reply.id);
    if (!pending) return;
    waiting.delete(reply.id!);
    if (reply.error) pending.reject(new Error(`worker CDP: ${reply.error.message ?? "error"}`));
    else pending.resolve(reply.result);
  });
  // Attaching reports the workers that already run, as events, before this resolves or soon after.
  await cdp.send("Target.setAutoAttach", { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
  for (let i = 0; i < 50 && !target; i++) await page.waitForTimeout(100);
  if (!target) {
    await cdp.detach();
    throw new Error(`browser soak: no dedicated worker matching "${urlPart}" to attach to`);
  }
  const { sessionId, url } = target;
  let next = 1;
  const send = (method: string, params: Record<string, unknown> = {}): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = next++;
      waiting.set(id, { resolve, reject });
      cdp.send("Target.sendMessageToTarget", { sessionId, message: JSON.stringify({ id, method, params }) }).catch(reject);
    });
  return {
    url,
    collectGarbage: async () => {
      await send("HeapProfiler.collectGarbage");
    },
    heapUsage: async () => heapUsageOf(await send("Runtime.getHeapUsage")),
    detach: async () => {
      await cdp.send("Target.detachFromTarget", { sessionId });
      await cdp.detach();
    },
  };
}

function heapUsageOf(result: unknown): WorkerHeapUsage {
  const r = result as Partial<Record<keyof WorkerHeapUsage, unknown>>;
  const field = (k: keyof WorkerHeapUsage): number => {
    const v = r[k];
    // Older Chromiums lack the last two: 0 rather than a failed soak.
    if (v === undefined && (k === "embedderHeapUsedSize" || k === "backingStorageSize")) return 0;
    if (typeof v !== "number") throw new Error(`worker CDP: Runtime.getHeapUsage gave no ${k}`);
    return v;
  };
  return {
    usedSize: field("usedSize"),
    totalSize: field("totalSize"),
    embedderHeapUsedSize: field("embedderHeapUsedSize"),
    backingStorageSize: field("backingStorageSize"),
  };
}
