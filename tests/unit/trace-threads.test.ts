// Reading a Chromium trace into busy time per kind of thread (bench/browser-threads.ts).
import { describe, expect, it } from "vitest";
import { threadTimes, type TraceEvent } from "../../bench/trace-threads.js";

const name = (tid: number, thread: string): TraceEvent => ({ ph: "M", name: "thread_name", pid: 1, tid, args: { name: thread } });
const span = (tid: number, event: string, ts: number, dur: number): TraceEvent => ({ ph: "X", name: event, pid: 1, tid, ts, dur });

describe("thread times from a trace", () => {
  it("counts nested and overlapping events of a thread once, and sorts threads by what they are", () => {
    const events: TraceEvent[] = [
      name(10, "DedicatedWorker thread"), name(20, "CrRendererMain"), name(30, "ThreadPoolForegroundWorker"), name(31, "ThreadPoolForegroundWorker"), name(40, "Compositor"),
      // Worker: a 10 ms task holding a 4 ms lazy compile, then a 5 ms task overlapping its end by 2.
      span(10, "RunTask", 0, 10_000), span(10, "wasm.CompileLazy", 1_000, 4_000), span(10, "RunTask", 8_000, 5_000),
      // Main thread: two separate 3 ms tasks.
      span(20, "RunTask", 0, 3_000), span(20, "RunTask", 50_000, 3_000),
      // Two pool threads optimising at once: both count (they use two cores' time).
      span(30, "wasm.TopTierCompilation", 0, 7_000), span(31, "wasm.TopTierCompilation", 2_000, 6_000),
      span(40, "BeginFrame", 0, 1_500),
      // Not a complete event: no duration to count.
      { ph: "B", name: "RunTask", pid: 1, tid: 10, ts: 100_000 },
    ];
    expect(threadTimes(events, 1234)).toEqual({ shellMs: 1234, worker: 13, wasmLazyOnWorker: 4, pageMain: 6, wasmTopTier: 13, otherThreads: 1.5 });
  });
});
