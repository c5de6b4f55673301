// One soak phase's transfers and checks as they come, summed into the figures the soak
// tables show (the browser soak's; the Node soak keeps its own copy in soak-bench.ts).
import type { SoakPhase } from "./soak-bench.js";
import type { Timed } from "./soak-guest.js";
import { summarize } from "./stats.js";

type Step = Timed & { mib: number };

export class PhaseTally {
  private readonly steps: Step[] = [];
  private checked = 0;
  private failed = 0;

  /** `mismatches` is shared by every phase of a soak: one line per failed check. */
  constructor(private readonly mismatches: string[]) {}

  add(step: Timed, mib: number, ok: boolean, detail: string): void {
    this.steps.push({ ...step, mib });
    this.checked++;
    if (!ok) {
      this.failed++;
      this.mismatches.push(detail);
    }
  }

  result(): SoakPhase {
    const sum = (f: (s: Step) => number) => this.steps.reduce((a, s) => a + f(s), 0);
    const mib = sum((s) => s.mib);
    const seconds = sum((s) => s.seconds);
    const rates = this.steps.map((s) => s.mib / s.seconds);
    return {
      mib,
      seconds,
      mib_per_s: mib / seconds,
      chunk_mib_per_s: summarize(rates),
      first_chunk_mib_per_s: rates[0] ?? Number.NaN,
      last_chunk_mib_per_s: rates.at(-1) ?? Number.NaN,
      kicks_per_mib: sum((s) => s.kicks) / mib,
      irqs_per_mib: sum((s) => s.irqs) / mib,
      chunks_checked: this.checked,
      sha256_match: this.failed === 0,
    };
  }
}
