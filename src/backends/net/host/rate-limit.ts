// A limit of so many events per second of the stack's clock (fixed one-second windows), for
// answers a guest could otherwise make us send as fast as it sends their triggers.

export class PerSecondLimit {
  private windowStart = Number.NEGATIVE_INFINITY;
  private used = 0;

  constructor(private readonly perSecond: number) {}

  /** Whether one more event may happen at `nowMs`; if so, it is counted. */
  take(nowMs: number): boolean {
    if (nowMs - this.windowStart >= 1000 || nowMs < this.windowStart) {
      this.windowStart = nowMs;
      this.used = 0;
    }
    if (this.used >= this.perSecond) return false;
    this.used++;
    return true;
  }
}
