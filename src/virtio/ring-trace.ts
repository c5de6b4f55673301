// The timeline of ring events: while switched on, every queue that has a QueueTracer
// records what happens on it (the driver publishing, the device taking and returning
// buffers, kicks, interrupts and their suppression, flag and event-index changes) with a
// guest-time stamp, into one bounded ring buffer shared by the whole machine.
//
// Recording sits on the queues' hot path (several events per network packet), so it is a
// few stores into preallocated typed arrays: no objects, no strings, no closures per
// event. A queue that is not traced pays one null check (its `tracer` field). The newest
// RING_TRACE_CAPACITY events are kept; older ones are overwritten and counted as dropped.
//
// The event numbers are defined here, where they are recorded; src/inspect/timeline-types.ts
// hands them on to the page as TIMELINE_EVENT, with the shape of the view it reads.

/** What happened (TIMELINE_EVENT in src/inspect/timeline-types.ts says what a and b mean per kind). */
export const RING_EVENT = {
  publish: 0,
  take: 1,
  return: 2,
  kick: 3,
  kickSuppressed: 4,
  interrupt: 5,
  interruptMerged: 6,
  interruptSuppressed: 7,
  notifyOff: 8,
  notifyOn: 9,
  availEvent: 10,
  usedEvent: 11,
} as const;

export type RingEventKind = (typeof RING_EVENT)[keyof typeof RING_EVENT];

/**
 * Events kept. 19 bytes each (time 8, a 4, b 4, source 2, kind 1): 2.4 MiB, allocated on
 * the first switch-on only. A download from the host network records about 600 events per
 * MiB (bench/timeline-bench.ts: TSO and merged receive buffers carry tens of KiB each), so
 * this holds the last 200 MiB or so of it; chatty small requests fill it sooner.
 */
export const RING_TRACE_CAPACITY = 131_072;
/** The most events one view() hands out, so that one poll of the page stays bounded. */
export const RING_TRACE_VIEW_LIMIT = 20_000;
/** Queues that can be named (sources are 16-bit). */
export const RING_TRACE_MAX_SOURCES = 0xffff;

/** One traced queue: where it is and what it is called (TimelineQueue's shape). */
export interface RingTraceSource {
  address: string;
  device: string;
  queue: number;
  name: string;
}

/** Events from `firstSeq` to `nextSeq - 1`, oldest first (TimelineView's shape). */
export interface RingTraceView {
  recording: boolean;
  capacity: number;
  firstSeq: number;
  nextSeq: number;
  dropped: number;
  queues: RingTraceSource[];
  times: number[];
  sources: number[];
  kinds: number[];
  a: number[];
  b: number[];
}

export class RingTrace {
  private readonly times = new Float64Array(RING_TRACE_CAPACITY);
  private readonly sourceOf = new Uint16Array(RING_TRACE_CAPACITY);
  private readonly kinds = new Uint8Array(RING_TRACE_CAPACITY);
  private readonly as = new Uint32Array(RING_TRACE_CAPACITY);
  private readonly bs = new Uint32Array(RING_TRACE_CAPACITY);
  private readonly sources: RingTraceSource[] = [];
  /** Sequence number of the next event; events before `firstSeq` are gone (cleared or overwritten). */
  private seq = 0;
  private clearedAt = 0;
  private overwritten = 0;
  /** Whether the machine records now (the queues' tracers are what actually record; this is for the view). */
  recording = false;

  /** `clock`: guest time in ms (the machine passes v86's clock). */
  constructor(private readonly clock: () => number) {}

  /** Names a queue; the number returned goes into its QueueTracer. */
  addSource(source: RingTraceSource): number {
    if (this.sources.length >= RING_TRACE_MAX_SOURCES) throw new Error(`a ring trace names at most ${RING_TRACE_MAX_SOURCES} queues`);
    this.sources.push({ ...source });
    return this.sources.length - 1;
  }

  /** Records one event (allocation-free: the hot path). a and b are unsigned 32-bit. */
  record(source: number, kind: RingEventKind, a: number, b: number): void {
    const seq = this.seq;
    const i = seq & (RING_TRACE_CAPACITY - 1);
    if (seq - this.clearedAt >= RING_TRACE_CAPACITY) this.overwritten++;
    this.times[i] = this.clock();
    this.sourceOf[i] = source;
    this.kinds[i] = kind;
    this.as[i] = a;
    this.bs[i] = b;
    this.seq = seq + 1;
  }

  get firstSeq(): number {
    return Math.max(this.clearedAt, this.seq - RING_TRACE_CAPACITY);
  }

  get nextSeq(): number {
    return this.seq;
  }

  /** Events lost to overwriting since the last clear. */
  get dropped(): number {
    return this.overwritten;
  }

  /** Forgets every event; sequence numbers go on (a reader's `sinceSeq` stays meaningful). */
  clear(): void {
    this.clearedAt = this.seq;
    this.overwritten = 0;
  }

  /** Where the recording stands without its events: firstSeq and nextSeq bound what is kept (the arrays are empty). */
  status(): RingTraceView {
    return { ...this.view(this.seq), firstSeq: this.firstSeq };
  }

  /** Events from `sinceSeq` on (those gone left out), at most `limit` of them, oldest first. */
  view(sinceSeq: number, limit = RING_TRACE_VIEW_LIMIT): RingTraceView {
    const since = Number.isFinite(sinceSeq) ? Math.floor(sinceSeq) : 0;
    const first = Math.min(this.seq, Math.max(this.firstSeq, since));
    const end = Math.min(this.seq, first + Math.max(0, Math.floor(limit)));
    const n = end - first;
    const times = new Array<number>(n);
    const sources = new Array<number>(n);
    const kinds = new Array<number>(n);
    const a = new Array<number>(n);
    const b = new Array<number>(n);
    for (let k = 0; k < n; k++) {
      const i = (first + k) & (RING_TRACE_CAPACITY - 1);
      times[k] = this.times[i]!;
      sources[k] = this.sourceOf[i]!;
      kinds[k] = this.kinds[i]!;
      a[k] = this.as[i]!;
      b[k] = this.bs[i]!;
    }
    return {
      recording: this.recording, capacity: RING_TRACE_CAPACITY, firstSeq: first, nextSeq: end, dropped: this.overwritten,
      queues: this.sources.map((s) => ({ ...s })), times, sources, kinds, a, b,
    };
  }
}

/**
 * One queue's way into the trace, held by its ring (null there while not traced). It
 * outlives the ring: a queue rebuilt after a reset records under the same source.
 */
export class QueueTracer {
  /** The driver's used_event (packed: driver event off_wrap) as last read, to record only changes. */
  lastUsedEvent = 0;

  constructor(readonly trace: RingTrace, readonly source: number) {}

  record(kind: RingEventKind, a: number, b: number): void {
    this.trace.record(this.source, kind, a, b);
  }
}
