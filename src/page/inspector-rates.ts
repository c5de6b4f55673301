// Rates per queue from successive views: the machine only keeps running totals, so the
// page divides the difference of two views' counters by the time between them
// (takenAtMs, the machine's clock, so a slow answer does not distort the rate).
import type { QueueCounters } from "../worker/api.js";

/** The series a queue's chart draws, in this order. */
export const RATE_SERIES = [
  { key: "kicks", label: "kicks/s" },
  { key: "kicksSuppressed", label: "suppressed kicks/s" },
  { key: "interrupts", label: "interrupts/s" },
  { key: "interruptsSuppressed", label: "suppressed irq/s" },
  { key: "interruptsMerged", label: "merged irq/s" },
  { key: "bytes", label: "bytes/s" },
] as const;

export type RateKey = (typeof RATE_SERIES)[number]["key"];
export type QueueRates = Record<RateKey, number>;

export const ZERO_RATES: QueueRates = {
  kicks: 0,
  kicksSuppressed: 0,
  interrupts: 0,
  interruptsSuppressed: 0,
  interruptsMerged: 0,
  bytes: 0,
};

/**
 * Per-second rates between two counter readings `dtMs` apart. A counter that went down
 * (the device was reset and its ring rebuilt) counts as zero, not as a negative rate.
 */
export function ratesBetween(before: QueueCounters, after: QueueCounters, dtMs: number): QueueRates {
  if (!(dtMs > 0)) return { ...ZERO_RATES };
  const per = (a: number, b: number): number => Math.max(0, b - a) * (1000 / dtMs);
  return {
    kicks: per(before.kicks, after.kicks),
    kicksSuppressed: per(before.kicksSuppressed, after.kicksSuppressed),
    interrupts: per(before.interrupts, after.interrupts),
    interruptsSuppressed: per(before.interruptsSuppressed, after.interruptsSuppressed),
    interruptsMerged: per(before.interruptsMerged, after.interruptsMerged),
    // Both directions together: a queue moves data one way, so one of the two is zero.
    bytes: per(before.bytesRead + before.bytesWritten, after.bytesRead + after.bytesWritten),
  };
}

/**
 * The last `capacity` rate samples of one queue, as uPlot's column arrays: times in
 * seconds first, then one array per RATE_SERIES entry. The arrays are replaced, not
 * mutated, on each push, so a chart holding the previous ones is never surprised.
 */
export class RateHistory {
  private times: number[] = [];
  private columns: number[][] = RATE_SERIES.map(() => []);
  /** Samples since the last one with any non-zero rate. */
  private sinceActive = 0;

  constructor(private readonly capacity: number) {}

  push(atSeconds: number, rates: QueueRates): void {
    const drop = this.times.length >= this.capacity ? 1 : 0;
    this.times = [...this.times.slice(drop), atSeconds];
    this.columns = RATE_SERIES.map((s, i) => [...(this.columns[i] ?? []).slice(drop), rates[s.key]]);
    this.sinceActive = RATE_SERIES.some((s) => rates[s.key] !== 0) ? 0 : this.sinceActive + 1;
  }

  /** True when every sample in the window is zero: an idle queue's chart is flat lines. */
  get quiet(): boolean {
    return this.sinceActive >= this.times.length;
  }

  get length(): number {
    return this.times.length;
  }

  /** The mean of the last `samples` rates: steadier numbers to read than one 100 ms step. */
  recent(samples: number): QueueRates {
    const out = { ...ZERO_RATES };
    const n = Math.min(samples, this.times.length);
    if (n === 0) return out;
    RATE_SERIES.forEach((s, i) => {
      const column = this.columns[i] ?? [];
      let sum = 0;
      for (let k = column.length - n; k < column.length; k++) sum += column[k] ?? 0;
      out[s.key] = sum / n;
    });
    return out;
  }

  data(): [number[], ...number[][]] {
    return [this.times, ...this.columns];
  }
}
