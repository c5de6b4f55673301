// The page's copy of the recorded ring events: what the timeline draws. The machine hands
// events out in batches (TimelineView: parallel arrays, queues by number in that batch);
// this keeps the newest `capacity` of them in typed arrays, oldest first, each with its
// row (one per queue, kept in the order queues first appear), and pairs every take with
// its return into a held span. Bounded whatever the guest does: events past the capacity
// and spans past it are dropped oldest first.
import { TIMELINE_EVENT, TIMELINE_EVENT_NAMES, type TimelineQueue, type TimelineView } from "../worker/api.js";

/** One queue's row in the view. */
export interface TimelineRow {
  address: string;
  device: string;
  queue: number;
  name: string;
  /** "virtio-net · receiveq1": how the view and its table name the row. */
  label: string;
}

/** The page keeps this many events (the machine's recorder keeps its own number). */
export const PAGE_TIMELINE_CAPACITY = 60_000;

const rowKey = (q: Pick<TimelineQueue, "address" | "queue">): string => `${q.address}/${q.queue}`;

/** Growable columns that keep only their newest `capacity` entries. */
class Columns {
  start = 0;
  end = 0;
  constructor(
    private readonly capacity: number,
    readonly columns: Float64Array[],
  ) {}
  get length(): number {
    return this.end - this.start;
  }
  /** Room for one more at `end`: the oldest goes at capacity, and the arrays slide back when full. */
  makeRoom(): void {
    if (this.length >= this.capacity) this.start++;
    if (this.end < (this.columns[0]?.length ?? 0)) return;
    for (const c of this.columns) c.copyWithin(0, this.start, this.end);
    this.end -= this.start;
    this.start = 0;
  }
  clear(): void {
    this.start = 0;
    this.end = 0;
  }
}

const make = (capacity: number, count: number): Float64Array[] => Array.from({ length: count }, () => new Float64Array(capacity * 2));

export class TimelineBuffer {
  readonly rows: TimelineRow[] = [];
  private readonly rowByKey = new Map<string, number>();
  private readonly events: Columns;
  private readonly spanColumns: Columns;
  /** Per row: take times and slots by head (or buffer ID) not yet returned. */
  private open: Map<number, { time: number; slot: number }>[] = [];
  /** The machine's sequence number to ask from next. */
  nextSeq = 0;
  /** Events the machine's recorder dropped (its buffer was full), as it last said. */
  machineDropped = 0;
  /** Events this buffer dropped to stay within its capacity. */
  dropped = 0;
  /** Guest time the axis counts from: the first event since the last clear. */
  origin: number | undefined;

  constructor(readonly capacity = PAGE_TIMELINE_CAPACITY) {
    // time, row, kind, a, b: one Float64Array each (numbers as the API carries them).
    this.events = new Columns(capacity, make(capacity, 5));
    // start, end, row, head, slot.
    this.spanColumns = new Columns(capacity, make(capacity, 5));
  }

  get length(): number {
    return this.events.length;
  }
  /** Event `i` (0: the oldest kept). */
  time = (i: number): number => this.col(this.events, 0, i);
  row = (i: number): number => this.col(this.events, 1, i);
  kind = (i: number): number => this.col(this.events, 2, i);
  a = (i: number): number => this.col(this.events, 3, i);
  b = (i: number): number => this.col(this.events, 4, i);

  get spanCount(): number {
    return this.spanColumns.length;
  }
  /** Held span `i`, oldest return first: [take time, return time, row, head, slot]. */
  span(i: number): [number, number, number, number, number] {
    const s = this.spanColumns;
    return [this.col(s, 0, i), this.col(s, 1, i), this.col(s, 2, i), this.col(s, 3, i), this.col(s, 4, i)];
  }
  /** Chains taken and not yet returned, per row, as [take time, slot, head]. */
  openSpans(row: number): [number, number, number][] {
    return [...(this.open[row] ?? new Map<number, { time: number; slot: number }>())].map(([head, o]) => [o.time, o.slot, head]);
  }

  /** Guest time of the oldest and newest event kept (undefined when empty). */
  get first(): number | undefined {
    return this.length > 0 ? this.time(0) : undefined;
  }
  get last(): number | undefined {
    return this.length > 0 ? this.time(this.length - 1) : undefined;
  }

  private col(c: Columns, column: number, i: number): number {
    return c.columns[column]?.[c.start + i] ?? 0;
  }

  /**
   * The row of a queue, made on its first event. Rows stay in device and queue order (the
   * inspector's order), so a queue that starts late moves the rows after it down one.
   */
  private rowOf(q: TimelineQueue): number {
    const key = rowKey(q);
    const known = this.rowByKey.get(key);
    if (known !== undefined) return known;
    const after = (r: TimelineRow): boolean => r.address > q.address || (r.address === q.address && r.queue > q.queue);
    const at = this.rows.findIndex(after);
    const row = at < 0 ? this.rows.length : at;
    this.rows.splice(row, 0, { address: q.address, device: q.device, queue: q.queue, name: q.name, label: `${q.device} · ${q.name}` });
    this.open.splice(row, 0, new Map());
    if (row < this.rows.length - 1) {
      for (const c of [this.events, this.spanColumns]) {
        const rows = c.columns[c === this.events ? 1 : 2]!;
        for (let i = c.start; i < c.end; i++) if (rows[i]! >= row) rows[i]!++;
      }
    }
    this.rows.forEach((r, i) => this.rowByKey.set(rowKey(r), i));
    return row;
  }

  /** The row of a queue, if it has one. */
  findRow(address: string, queue: number): number | undefined {
    return this.rowByKey.get(`${address}/${queue}`);
  }

  /**
   * Takes a batch from the machine. A batch that starts before what this buffer already
   * holds (the machine's recording was cleared, or it is another machine) starts afresh.
   */
  append(view: TimelineView): void {
    if (view.nextSeq < this.nextSeq) this.clear();
    this.machineDropped = view.dropped;
    const skip = Math.max(0, this.nextSeq - view.firstSeq);
    // A queue gets its row with its first event (quiet queues take no room); all rows are
    // made before any event goes in, since making one may renumber the others.
    const seen = new Set<number>();
    for (let i = skip; i < view.times.length; i++) seen.add(view.sources[i] ?? -1);
    for (const source of seen) {
      const queue = view.queues[source];
      if (queue) this.rowOf(queue);
    }
    const rows = view.queues.map((q) => this.rowByKey.get(rowKey(q)));
    for (let i = skip; i < view.times.length; i++) {
      const row = rows[view.sources[i] ?? -1];
      if (row === undefined) continue;
      this.push(view.times[i] ?? 0, row, view.kinds[i] ?? 0, view.a[i] ?? 0, view.b[i] ?? 0);
    }
    this.nextSeq = Math.max(this.nextSeq, view.nextSeq);
  }

  private push(time: number, row: number, kind: number, a: number, b: number): void {
    const e = this.events;
    if (e.length >= this.capacity) this.dropped++;
    e.makeRoom();
    [time, row, kind, a, b].forEach((v, c) => (e.columns[c]![e.end] = v));
    e.end++;
    this.origin ??= time;
    const open = this.open[row];
    if (!open) return;
    if (kind === TIMELINE_EVENT.take) {
      // A guest that takes an ID twice without a return breaks the protocol; keep the newest.
      if (open.size < this.capacity) open.set(a, { time, slot: b });
    } else if (kind === TIMELINE_EVENT.return) {
      const taken = open.get(a);
      if (!taken) return;
      open.delete(a);
      const s = this.spanColumns;
      s.makeRoom();
      [taken.time, time, row, a, taken.slot].forEach((v, c) => (s.columns[c]![s.end] = v));
      s.end++;
    }
  }

  /** The first event at or after guest time `t` (length if none): events are kept in time order. */
  indexAt(t: number): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.time(mid) < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The first held span that ends at or after `t` (spans are kept in order of their return). */
  spanIndexAt(t: number): number {
    let lo = 0;
    let hi = this.spanCount;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.col(this.spanColumns, 1, mid) < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Events per kind in each row, for the view's data-* and its table. */
  countsByRow(): number[][] {
    const counts = this.rows.map(() => new Array<number>(TIMELINE_EVENT_NAMES.length).fill(0));
    for (let i = 0; i < this.length; i++) {
      const c = counts[this.row(i)];
      const k = this.kind(i);
      if (c && k < c.length) c[k] = (c[k] ?? 0) + 1;
    }
    return counts;
  }

  /** Forgets every event (the rows stay: the machine's queues have not changed). */
  clear(): void {
    this.events.clear();
    this.spanColumns.clear();
    for (const o of this.open) o.clear();
    this.nextSeq = 0;
    this.dropped = 0;
    this.machineDropped = 0;
    this.origin = undefined;
  }
}
