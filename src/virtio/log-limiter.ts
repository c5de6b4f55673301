// A device's log lines, rate-limited across resets. The device model already stops after
// LOG_LINES_PER_RESET lines between two resets, but a guest can reset in a loop (and a
// failure reason is always logged), so every line also passes this token bucket: a burst
// of LOG_BURST lines, then LOG_LINES_PER_SECOND. What it holds back is counted and said on
// the next line that gets through, so the log never hides that lines were lost.

export const LOG_BURST = 64;
export const LOG_LINES_PER_SECOND = 2;

export class LogLimiter {
  private tokens = LOG_BURST;
  private last: number;
  private suppressed = 0;

  constructor(private readonly out: (message: string) => void, private readonly now: () => number = () => performance.now()) {
    this.last = now();
  }

  log(message: string): void {
    const t = this.now();
    this.tokens = Math.min(LOG_BURST, this.tokens + ((t - this.last) / 1000) * LOG_LINES_PER_SECOND);
    this.last = t;
    if (this.tokens < 1) {
      this.suppressed++;
      return;
    }
    this.tokens--;
    const note = this.suppressed > 0 ? ` (${this.suppressed} earlier lines not logged: too many)` : "";
    this.suppressed = 0;
    this.out(message + note);
  }

  /** Lines held back since the last one logged. */
  get held(): number {
    return this.suppressed;
  }
}
