// The retransmission timeout (RFC 6298): smoothed RTT and variance from samples taken on
// segments sent once (Karn), doubled per consecutive expiry.
import { RTO_INITIAL_MS, RTO_MAX_MS, RTO_MIN_MS } from "./tcp-config.js";

export class RetransmitTimeout {
  private srtt: number | undefined;
  private rttvar = 0;
  private base = RTO_INITIAL_MS;
  /** Consecutive expiries: each doubles the timeout. */
  backoffs = 0;

  sample(rttMs: number): void {
    const r = Math.max(0, rttMs);
    if (this.srtt === undefined) {
      this.srtt = r;
      this.rttvar = r / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r);
      this.srtt = 0.875 * this.srtt + 0.125 * r;
    }
    // The clock ticks in about 1 ms slices: that is the granularity G.
    this.base = Math.min(RTO_MAX_MS, Math.max(RTO_MIN_MS, this.srtt + Math.max(1, 4 * this.rttvar)));
  }

  /** The current timeout, backoff included. */
  get ms(): number {
    return Math.min(RTO_MAX_MS, this.base * 2 ** Math.min(this.backoffs, 16));
  }

  get smoothedRttMs(): number | undefined {
    return this.srtt;
  }

  /** For a snapshot (tcp-timers.ts saves these beside its own). */
  saveState(): { srttMs: number | null; rttvarMs: number; rtoBaseMs: number; backoffs: number } {
    return { srttMs: this.srtt ?? null, rttvarMs: this.rttvar, rtoBaseMs: this.base, backoffs: this.backoffs };
  }

  restoreState(s: { srttMs: number | null; rttvarMs: number; rtoBaseMs: number; backoffs: number }): void {
    this.srtt = s.srttMs ?? undefined;
    this.rttvar = s.rttvarMs;
    this.base = s.rtoBaseMs;
    this.backoffs = s.backoffs;
  }
}
