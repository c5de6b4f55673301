// Reads back a Chrome trace-event file as ringside writes it (--trace, the page's export):
// which queue each process/thread is, and per queue the events by name, checked for the
// fields a viewer needs.
import { readFileSync } from "node:fs";

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts?: number;
  s?: string;
  id?: number;
  args?: Record<string, unknown>;
}

export interface TraceSummary {
  /** "virtio-net 00:04.0/receiveq1" → event names ("kick", "span b", "span e") and counts. */
  queues: Map<string, Map<string, number>>;
  /** Instants in file order (recording order) whose time went backwards. */
  backwards: number;
  /** Spans whose end is before their start, or that do not pair up. */
  badSpans: number;
  events: number;
}

export function readTrace(path: string): TraceSummary {
  const file = JSON.parse(readFileSync(path, "utf8")) as { traceEvents: TraceEvent[]; displayTimeUnit: string };
  if (!Array.isArray(file.traceEvents) || file.displayTimeUnit !== "ms") throw new Error(`${path} is not a trace-event JSON object`);
  const process = new Map<number, string>();
  const thread = new Map<string, string>();
  for (const e of file.traceEvents.filter((x) => x.ph === "M")) {
    if (e.name === "process_name") process.set(e.pid, String(e.args?.["name"]));
    if (e.name === "thread_name") thread.set(`${e.pid}/${e.tid}`, String(e.args?.["name"]).replace(/^queue \d+ /, ""));
  }
  const queues = new Map<string, Map<string, number>>();
  const open = new Map<number, number>();
  let last = -Infinity;
  let backwards = 0;
  let badSpans = 0;
  let events = 0;
  for (const e of file.traceEvents) {
    if (e.ph === "M") continue;
    events++;
    if (typeof e.ts !== "number" || !Number.isFinite(e.ts)) throw new Error(`event without a time: ${JSON.stringify(e)}`);
    const queue = `${process.get(e.pid)}/${thread.get(`${e.pid}/${e.tid}`)}`;
    const name = e.ph === "i" ? e.name : `span ${e.ph}`;
    const counts = queues.get(queue) ?? new Map<string, number>();
    queues.set(queue, counts);
    counts.set(name, (counts.get(name) ?? 0) + 1);
    if (e.ph === "i" && e.args?.["stillHeld"] !== true) {
      if (e.ts < last) backwards++;
      last = e.ts;
    } else if (e.ph === "b") {
      open.set(e.id!, e.ts);
    } else if (e.ph === "e") {
      const start = open.get(e.id!);
      if (start === undefined || start > e.ts) badSpans++;
      open.delete(e.id!);
    }
  }
  return { queues, backwards, badSpans: badSpans + open.size, events };
}
