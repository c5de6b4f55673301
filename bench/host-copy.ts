// The host's own copy speed: what a device whose every byte the host copies once cannot
// beat. Measured in this process, between two 64 MiB buffers, the way our devices move
// bytes into and out of guest memory (TypedArray.set over a whole buffer).
import { summarize, type Summary } from "./stats.js";

const MiB = 1024 * 1024;
const BUFFER_MIB = 64;
const COPIES_PER_SAMPLE = 8;

/** MiB/s of `set` between two fresh 64 MiB buffers, over `samples` samples. */
export function measureHostCopy(samples = 7): Summary {
  const from = new Uint8Array(BUFFER_MIB * MiB);
  const to = new Uint8Array(BUFFER_MIB * MiB);
  // Touch both first so the first sample does not time page faults.
  from.fill(1);
  to.fill(2);
  const rates: number[] = [];
  for (let s = 0; s < samples; s++) {
    const start = performance.now();
    for (let i = 0; i < COPIES_PER_SAMPLE; i++) to.set(from);
    const seconds = (performance.now() - start) / 1000;
    rates.push((BUFFER_MIB * COPIES_PER_SAMPLE) / seconds);
  }
  if (to[0] !== 1) throw new Error("host copy: the copy did not happen");
  return summarize(rates);
}
