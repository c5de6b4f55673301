// The test process's memory over an attack: sampled every few milliseconds between the
// emulator's slices (an MMIO write that makes a device work blocks the event loop, so a
// sample lands after each one), compared with what it was just before the attack.
import { expect } from "vitest";
import { formatMiB } from "../../src/util/format-bytes.js";

const MiB = 1024 * 1024;

/**
 * How far the Node process's resident memory may rise over one attack. The guest's 256 MiB
 * of RAM and v86 are already resident before it starts. Bounded devices move at most
 * WORK_BUDGET.bytes (8 MiB) per turn plus one chain (64 KiB for the console and the rng,
 * 8 MiB for the disk), and the host network holds a bounded send buffer per connection
 * (1,024 of them at most); the rest is the V8 heap and JIT code breathing: up to 120 MiB
 * in these attacks here (walking 32,768-entry indirect tables makes garbage), mostly far
 * less. A device that copies a guest-sized chain
 * (hundreds of MiB to 4 GiB) or a network that buffers a 1 GiB download per client breaks
 * it at once.
 */
export const RSS_GROWTH_BOUND = 256 * MiB;
/**
 * The same for ArrayBuffers (process.memoryUsage().arrayBuffers): what devices and the
 * network allocate for data. Guest RAM is a WebAssembly memory and not counted here.
 */
export const ARRAY_BUFFER_GROWTH_BOUND = 128 * MiB;

export interface MemoryGrowth {
  rss: number;
  arrayBuffers: number;
}

export class MemoryWatch {
  private readonly baseline = process.memoryUsage();
  private peakRss = this.baseline.rss;
  private peakArrayBuffers = this.baseline.arrayBuffers;
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(intervalMs = 10) {
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  sample(): void {
    const now = process.memoryUsage();
    this.peakRss = Math.max(this.peakRss, now.rss);
    this.peakArrayBuffers = Math.max(this.peakArrayBuffers, now.arrayBuffers);
  }

  /** The largest rise seen since the watch started. */
  get growth(): MemoryGrowth {
    this.sample();
    return { rss: this.peakRss - this.baseline.rss, arrayBuffers: this.peakArrayBuffers - this.baseline.arrayBuffers };
  }

  stop(): MemoryGrowth {
    clearInterval(this.timer);
    return this.growth;
  }
}

/** Stops the watch and asserts both rises stayed within the bounds. */
export function expectMemoryBounded(watch: MemoryWatch, what: string): MemoryGrowth {
  const growth = watch.stop();
  console.log(`${what}: rss +${formatMiB(growth.rss)}, arrayBuffers +${formatMiB(growth.arrayBuffers)}`);
  expect(growth.rss, `${what}: rss grew by ${formatMiB(growth.rss)}`).toBeLessThanOrEqual(RSS_GROWTH_BOUND);
  expect(growth.arrayBuffers, `${what}: arrayBuffers grew by ${formatMiB(growth.arrayBuffers)}`).toBeLessThanOrEqual(ARRAY_BUFFER_GROWTH_BOUND);
  return growth;
}
