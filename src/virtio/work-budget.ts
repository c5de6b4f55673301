// How much host work one turn of device code may do. A turn is one entry into a device
// from outside: a doorbell write, DRIVER_OK, a poll tick, a backend's "data arrived". The
// guest's MMIO write blocks the whole emulator while the device works inside it, and the
// guest chooses every length and count in its rings, so a turn's cost is bounded by these
// constants, never by a descriptor: once a turn has walked `descriptors` descriptors or
// copied `bytes` bytes, queues stop handing out chains, and the device model brings the
// device back on the next tick to carry on where it stopped (work-continuation.ts).
//
// A turn can go over the budget by at most one chain (the one that crossed the line):
// a chain is at most MAX_CHAIN_DESCRIPTORS descriptors, and each device bounds the bytes
// it moves for one chain by a constant of its own.

/** The budget of one turn. */
export const WORK_BUDGET = {
  /** Descriptors read from rings and indirect tables (two full indirect tables). */
  descriptors: 65536,
  /** Bytes copied between guest buffers and the host, either way. */
  bytes: 8 * 1024 * 1024,
} as const;

/** Figures that do not depend on timing: a test may assert them. */
export interface WorkStats {
  /** Turns that did any work on a queue. */
  turns: number;
  /** Turns that ran out of budget and left work for the next tick. */
  deferrals: number;
  maxDescriptorsPerTurn: number;
  maxBytesPerTurn: number;
}

export class WorkBudget {
  private descriptors = 0;
  private bytes = 0;
  private depth = 0;
  readonly stats: WorkStats = { turns: 0, deferrals: 0, maxDescriptorsPerTurn: 0, maxBytesPerTurn: 0 };

  constructor(private readonly limits: { descriptors: number; bytes: number } = WORK_BUDGET) {}

  /**
   * Runs `work` as one turn. A turn started inside another (a backend calling back while
   * the device works) joins the running one: the budget is per entry from outside.
   */
  run(work: () => void): void {
    this.begin();
    try {
      work();
    } finally {
      this.end();
    }
  }

  /** Starts a turn (or joins the running one); every begin() is followed by one end(). */
  begin(): void {
    if (this.depth++ === 0) {
      this.descriptors = 0;
      this.bytes = 0;
    }
  }

  /** Ends what begin() started; returns true when that ended the outermost turn. */
  end(): boolean {
    if (--this.depth !== 0) return false;
    this.endTurn();
    return true;
  }

  /** True while a turn is running. */
  get inTurn(): boolean {
    return this.depth > 0;
  }

  /** The turn has used up its budget: take no more chains until the next one. */
  get exhausted(): boolean {
    return this.descriptors >= this.limits.descriptors || this.bytes >= this.limits.bytes;
  }

  chargeDescriptors(count: number): void {
    this.descriptors += count;
  }

  chargeBytes(count: number): void {
    this.bytes += count;
  }

  /** A queue stopped handing out chains because of this turn's budget. */
  noteDeferral(): void {
    this.stats.deferrals++;
  }

  private endTurn(): void {
    if (this.descriptors === 0 && this.bytes === 0) return;
    const s = this.stats;
    s.turns++;
    if (this.descriptors > s.maxDescriptorsPerTurn) s.maxDescriptorsPerTurn = this.descriptors;
    if (this.bytes > s.maxBytesPerTurn) s.maxBytesPerTurn = this.bytes;
  }
}

/** A budget that never runs out, for queues used outside a device model (tests, tools). */
export function unlimitedBudget(): WorkBudget {
  return new WorkBudget({ descriptors: Number.POSITIVE_INFINITY, bytes: Number.POSITIVE_INFINITY });
}
