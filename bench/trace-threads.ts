// Busy time per kind of Chromium thread in a DevTools trace (the trace events of one boot):
// bench/browser-threads.ts records the trace, this reads it.

export interface TraceEvent {
  ph?: string;
  name?: string;
  ts?: number;
  dur?: number;
  pid?: number;
  tid?: number;
  args?: { name?: string };
}

/** Busy ms per kind of thread in one boot, and the boot's own time to a shell. */
export interface ThreadTimes {
  shellMs: number;
  worker: number;
  pageMain: number;
  /** V8's wasm optimising compiles, on whichever pool threads ran them. */
  wasmTopTier: number;
  /** Lazy (first-call) baseline compiles on the worker, part of `worker`. */
  wasmLazyOnWorker: number;
  otherThreads: number;
}

/** Total length of the union of [start, end) intervals, in the trace's microseconds. */
function unionLength(intervals: [number, number][]): number {
  intervals.sort((a, b) => a[0] - b[0]);
  let total = 0;
  let [start, end] = [-Infinity, -Infinity];
  for (const [a, b] of intervals) {
    if (a > end) {
      if (end > start) total += end - start;
      [start, end] = [a, b];
    } else end = Math.max(end, b);
  }
  if (end > start) total += end - start;
  return total;
}

export function threadTimes(events: TraceEvent[], shellMs: number): ThreadTimes {
  const names = new Map<string, string>();
  const spans = new Map<string, [number, number][]>();
  let wasmTopTier = 0;
  const lazyByThread = new Map<string, number>();
  for (const e of events) {
    const key = `${e.pid}:${e.tid}`;
    if (e.ph === "M" && e.name === "thread_name" && e.args?.name) names.set(key, e.args.name);
    if (e.ph !== "X" || e.ts === undefined || e.dur === undefined) continue;
    (spans.get(key) ?? spans.set(key, []).get(key)!).push([e.ts, e.ts + e.dur]);
    if (e.name === "wasm.TopTierCompilation") wasmTopTier += e.dur;
    if (e.name === "wasm.CompileLazy") lazyByThread.set(key, (lazyByThread.get(key) ?? 0) + e.dur);
  }
  const times: ThreadTimes = { shellMs, worker: 0, pageMain: 0, wasmTopTier: wasmTopTier / 1000, wasmLazyOnWorker: 0, otherThreads: 0 };
  for (const [key, list] of spans) {
    const ms = unionLength(list) / 1000;
    const name = names.get(key) ?? "";
    if (name === "DedicatedWorker thread") {
      times.worker += ms;
      times.wasmLazyOnWorker += (lazyByThread.get(key) ?? 0) / 1000;
    } else if (name === "CrRendererMain") times.pageMain += ms;
    else if (!name.startsWith("ThreadPoolForegroundWorker")) times.otherThreads += ms;
  }
  return times;
}
