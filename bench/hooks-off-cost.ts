// What the timeline's hooks cost while the timeline is off: split-ring round trips
// (publish, pop, return; an interrupt decision every 8th, EVENT_IDX on) through this
// tree's SplitQueue with no tracer, against the same loop through the SplitQueue of a
// checkout from before the hooks existed, in one process, taking turns.
//   git worktree add /tmp/before-hooks 4a39f83
//   npx tsx bench/hooks-off-cost.ts /tmp/before-hooks
// Host time alone; the machine's noise falls on both sides alike.
import { pathToFileURL } from "node:url";
import { MockDriver } from "../tests/support/mock-driver.js";
import { SplitQueue } from "../src/virtio/split-queue.js";
import type { GuestMemory } from "../src/memory/guest-memory.js";
import type { DescriptorChain } from "../src/virtio/queue-types.js";
import { summarize, type Summary } from "./stats.js";

/** The parts of a split queue the loop uses, in either tree. */
interface RingUnderTest {
  readonly size: number;
  pop(): DescriptorChain | undefined;
  pushUsed(chain: DescriptorChain, written: number): void;
  needsInterrupt(): boolean;
}
type QueueClass = new (memory: GuestMemory, config: { index: number; size: number; descAddr: number; availAddr: number; usedAddr: number; eventIdx: boolean; indirect: boolean }) => RingUnderTest;

const before = process.argv[2];
if (!before) {
  console.error("usage: npx tsx bench/hooks-off-cost.ts <checkout from before the timeline's hooks>");
  process.exit(2);
}
const old = (await import(pathToFileURL(`${before}/src/virtio/split-queue.ts`).href)) as { SplitQueue: QueueClass };

function rig(Queue: QueueClass): { q: RingUnderTest; memory: GuestMemory; availAddr: number; head: number } {
  const driver = new MockDriver(1 << 20);
  const mq = driver.newQueue(256);
  const q = new Queue(driver.memory, { index: 0, size: 256, descAddr: mq.descAddr, availAddr: mq.availAddr, usedAddr: mq.usedAddr, eventIdx: true, indirect: false });
  return { q, memory: driver.memory, availAddr: mq.availAddr, head: mq.addChain([{ read: "abcd" }, { write: 64 }]) };
}

function roundTrips(r: ReturnType<typeof rig>, n: number): number {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const idx = (r.memory.read16(r.availAddr + 2) + 1) & 0xffff;
    r.memory.write16(r.availAddr + 4 + 2 * ((idx - 1) & (r.q.size - 1)), r.head);
    r.memory.write16(r.availAddr + 2, idx);
    r.q.pushUsed(r.q.pop()!, 0);
    if ((i & 7) === 0) r.q.needsInterrupt();
  }
  return ((performance.now() - t0) * 1e6) / n;
}

const now = rig(SplitQueue);
const then = rig(old.SplitQueue);
roundTrips(now, 300_000);
roundTrips(then, 300_000);
const nowNs: number[] = [];
const thenNs: number[] = [];
const ratios: number[] = [];
for (let i = 0; i < 15; i++) {
  const a = roundTrips(then, 300_000);
  const b = roundTrips(now, 300_000);
  thenNs.push(a);
  nowNs.push(b);
  ratios.push(b / a);
}
const show = (s: Summary, digits = 1) => `${s.min.toFixed(digits)} / ${s.median.toFixed(digits)} / ${s.max.toFixed(digits)}`;
console.log(`split ring round trip, host ns (min / median / max of 15): before the hooks ${show(summarize(thenNs))}; with the hooks, timeline off ${show(summarize(nowNs))}`);
console.log(`with hooks off / before, per pair: ${show(summarize(ratios), 3)}`);
