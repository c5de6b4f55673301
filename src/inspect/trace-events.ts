// The ring-event timeline as a Chrome trace-event file (the "JSON Object Format" that
// Perfetto's UI and chrome://tracing open): one process per device, one thread per queue,
// an instant event per kick, interrupt, suppression and flag change, and each buffer the
// device held (take to return) as an async span, so the viewer shows how long the device
// kept it. Timestamps are guest time (v86's clock) in microseconds, as the format wants.
import { TIMELINE_EVENT, TIMELINE_EVENT_NAMES, type TimelineView } from "./timeline-types.js";

/** One entry of `traceEvents` (only the fields this file writes). */
export interface TraceEvent {
  name: string;
  ph: "M" | "i" | "b" | "e";
  pid: number;
  tid: number;
  ts?: number;
  /** Instant events: scoped to their thread. */
  s?: "t";
  cat?: string;
  /** Async spans: a take and its return share one. */
  id?: number;
  args?: Record<string, number | string | boolean>;
}

export interface TraceEventFile {
  traceEvents: TraceEvent[];
  displayTimeUnit: "ms";
  otherData: Record<string, number | string>;
}

/** What `a` and `b` mean per kind, as argument names (see TIMELINE_EVENT's comment); "" = not used. */
const ARG_NAMES: Readonly<Record<number, readonly [string, string]>> = {
  [TIMELINE_EVENT.publish]: ["availIdxOrSlot", "buffers"],
  [TIMELINE_EVENT.take]: ["id", "slot"],
  [TIMELINE_EVENT.return]: ["id", "written"],
  [TIMELINE_EVENT.kick]: ["", ""],
  [TIMELINE_EVENT.kickSuppressed]: ["buffersFound", ""],
  [TIMELINE_EVENT.interrupt]: ["usedPosition", ""],
  [TIMELINE_EVENT.interruptMerged]: ["usedPosition", ""],
  [TIMELINE_EVENT.interruptSuppressed]: ["usedPosition", ""],
  [TIMELINE_EVENT.notifyOff]: ["valueWritten", ""],
  [TIMELINE_EVENT.notifyOn]: ["valueWritten", ""],
  [TIMELINE_EVENT.availEvent]: ["availEvent", ""],
  [TIMELINE_EVENT.usedEvent]: ["usedEvent", "previous"],
};

/** The category spans and instants carry, so a viewer can filter on it. */
const CATEGORY = "virtqueue";

/** Event `k`'s a and b under their names for its kind. */
function argsOf(view: TimelineView, k: number): Record<string, number> {
  const [nameA, nameB] = ARG_NAMES[view.kinds[k]!] ?? ["a", "b"];
  const args: Record<string, number> = {};
  if (nameA) args[nameA] = view.a[k]!;
  if (nameB) args[nameB] = view.b[k]!;
  return args;
}

/**
 * Pids and tids: each distinct device address is a process (1, 2, ... in order of its
 * first queue), each queue a thread of it. Tids are unique across the file (the source
 * number + 1; 0 reads as "no thread"), as real thread IDs are, so no viewer merges two
 * devices' queues.
 */
function placesOf(view: TimelineView): { pid: number[]; tid: number[]; metadata: TraceEvent[] } {
  const pidOf = new Map<string, number>();
  const pid: number[] = [];
  const tid: number[] = [];
  const metadata: TraceEvent[] = [];
  view.queues.forEach((q, source) => {
    let p = pidOf.get(q.address);
    if (p === undefined) {
      p = pidOf.size + 1;
      pidOf.set(q.address, p);
      metadata.push({ name: "process_name", ph: "M", pid: p, tid: 0, args: { name: `${q.device} ${q.address}` } });
      metadata.push({ name: "process_sort_index", ph: "M", pid: p, tid: 0, args: { sort_index: p } });
    }
    pid.push(p);
    tid.push(source + 1);
    metadata.push({ name: "thread_name", ph: "M", pid: p, tid: source + 1, args: { name: `queue ${q.queue} ${q.name}` } });
    metadata.push({ name: "thread_sort_index", ph: "M", pid: p, tid: source + 1, args: { sort_index: q.queue } });
  });
  return { pid, tid, metadata };
}

/** `view` as a trace-event file (an object: JSON.stringify it, or use traceEventJson). */
export function traceEventFile(view: TimelineView): TraceEventFile {
  const { pid, tid, metadata } = placesOf(view);
  const events: TraceEvent[] = [...metadata];
  /** Takes not yet returned, by source and id: the event's index. */
  const held = new Map<number, number>();
  let spans = 0;
  const us = (k: number) => view.times[k]! * 1000;
  const n = view.times.length;
  for (let k = 0; k < n; k++) {
    const source = view.sources[k]!;
    const kind = view.kinds[k]!;
    const p = pid[source];
    const t = tid[source];
    if (p === undefined || t === undefined) continue; // a source the view does not name: nowhere to put it
    if (kind === TIMELINE_EVENT.take) {
      held.set(source * 0x100000000 + view.a[k]!, k);
      continue;
    }
    if (kind === TIMELINE_EVENT.return) {
      const key = source * 0x100000000 + view.a[k]!;
      const taken = held.get(key);
      if (taken !== undefined) {
        held.delete(key);
        const id = ++spans;
        const name = `${view.queues[source]!.name} buffer`;
        events.push({ name, cat: CATEGORY, ph: "b", id, pid: p, tid: t, ts: us(taken), args: argsOf(view, taken) });
        events.push({ name, cat: CATEGORY, ph: "e", id, pid: p, tid: t, ts: us(k), args: argsOf(view, k) });
        continue;
      }
      // Its take is before the view (or was dropped): only the return can be shown.
    }
    events.push({ name: TIMELINE_EVENT_NAMES[kind] ?? `event ${kind}`, cat: CATEGORY, ph: "i", s: "t", pid: p, tid: t, ts: us(k), args: argsOf(view, k) });
  }
  // Buffers still held when the view ends: their take, as an instant.
  for (const k of held.values()) {
    events.push({
      name: "take", cat: CATEGORY, ph: "i", s: "t", pid: pid[view.sources[k]!]!, tid: tid[view.sources[k]!]!, ts: us(k), args: { ...argsOf(view, k), stillHeld: true },
    });
  }
  return {
    traceEvents: events,
    displayTimeUnit: "ms",
    otherData: {
      generator: "ringside",
      clock: "guest time (v86's clock), in microseconds",
      firstSeq: view.firstSeq,
      nextSeq: view.nextSeq,
      dropped: view.dropped,
      capacity: view.capacity,
    },
  };
}

/** `view` as the bytes of a .json trace file. */
export function traceEventJson(view: TimelineView): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(traceEventFile(view)));
}
