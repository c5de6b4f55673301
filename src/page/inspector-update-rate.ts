// How often the inspector actually redrew, over the last two seconds: shown in its bar
// and published for the tests and the benchmark (the goal is at least 10 per second).
const WINDOW_MS = 2000;

export class UpdateRate {
  private times: number[] = [];
  /** Redraws since the page loaded. */
  total = 0;

  tick(nowMs: number): void {
    this.total++;
    this.times.push(nowMs);
    while (this.times.length > 0 && (this.times[0] ?? nowMs) < nowMs - WINDOW_MS) this.times.shift();
  }

  /** Redraws per second: intervals over the time they span, so it is exact at a steady pace. */
  perSecond(): number {
    const first = this.times[0];
    const last = this.times.at(-1);
    if (first === undefined || last === undefined || last <= first) return 0;
    return ((this.times.length - 1) * 1000) / (last - first);
  }

  reset(): void {
    this.times = [];
  }
}
