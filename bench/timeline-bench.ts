// What the timeline of ring events costs a download: the same host-to-guest download (wget
// from the host network to /dev/null, timed by the guest's busybox `time`) on a machine whose
// timeline was never switched on, and on a second machine with it switched on and then off
// again, taking turns (never, on, off, then off, on, never, ...) so that a slow stretch of
// this shared machine hits all three alike. Both machines are booted and warmed up first (v86
// compiles the guest's hot paths as it goes). The goal: nothing lost while off, under 5%
// while on. Two machines differ by themselves (one ran 30-60% faster than the other for a
// whole run here), so the figure that isolates the cost of recording is on against off on
// the same machine, each run's pair taken back to back. Also reports how many events one MiB of download records, and what recording
// one event costs the host alone (a tight loop on the recorder with performance.now as its
// clock, which is what v86's clock reads in Node), which gives a second, steadier figure
// for the cost while on than downloads timed on a shared machine; and the host time of a
// split ring's round trip (the driver publishes a chain, the device pops it and returns it)
// with the queue's tracer off and on, in turns.
import { startNodeMachine, type NodeMachine } from "../src/node/node-machine.js";
import { MACHINE_DESCRIPTION_VERSION, type DeviceDescription, type MachineDescription } from "../src/description/machine-description.js";
import { DEFAULT_CMDLINE } from "../src/description/limits.js";
import { QueueTracer, RING_EVENT, RingTrace } from "../src/virtio/ring-trace.js";
import { SplitQueue } from "../src/virtio/split-queue.js";
import { MockDriver } from "../tests/support/mock-driver.js";
import { parseRealSeconds } from "./guest-workloads.js";
import { summarize, type Summary } from "./stats.js";

const MiB = 1024 * 1024;
const T = 300_000;
const NET_MIB = 32;
/** Downloads per timed sample (starting wget is slow under emulation and varies). */
const REPEAT = 2;
const WARM_UPS = 2;

const MODES = ["never", "on", "off"] as const;
type Mode = (typeof MODES)[number];

export interface TimelineResults {
  mib_per_s: Record<Mode, Summary>;
  /** Medians, over the never-switched-on machine's: 1 means free. */
  on_over_never: number;
  off_over_never: number;
  /** The median of each run's own on/off ratio: the same machine, back to back (the cost of recording). */
  paired_on_over_off: number;
  events_per_mib: Summary;
  /** Host time one record() takes, in a tight loop. */
  record_ns_per_event: Summary;
  /** Host time of one split-ring round trip (publish, pop, return; an interrupt decision every 8th), tracer off and on. */
  round_trip_ns: { off: Summary; on: Summary };
  /** record_ns_per_event x events per MiB x the "never" median: the share of the download's time recording takes. */
  estimated_on_cost: number;
  note: string;
}

function describe(): MachineDescription {
  const devices: DeviceDescription[] = [
    { type: "virtio-console", transport: { kind: "pci" }, ring: "split" },
    { type: "virtio-net", transport: { kind: "pci" }, ring: "split", options: { backend: { kind: "host" }, policy: "shared", ip: "auto" } },
  ];
  return { version: MACHINE_DESCRIPTION_VERSION, memoryMiB: 256, cmdline: DEFAULT_CMDLINE, devices };
}

async function sh(vm: NodeMachine, command: string): Promise<string> {
  const { output, status } = await vm.shell.run(command, T);
  if (status !== 0) throw new Error(`timeline bench: "${command}" failed (${status}): ${output.slice(-300)}`);
  return output;
}

/** One timed sample: REPEAT downloads of NET_MIB in a row; MiB/s. */
async function download(vm: NodeMachine): Promise<number> {
  const url = `http://10.0.2.2/blob?bytes=${NET_MIB * MiB}&seed=1`;
  await sh(vm, `time sh -c 'for i in ${Array.from({ length: REPEAT }, (_, i) => i + 1).join(" ")}; do wget -q -O /dev/null "${url}" || exit 1; done' 2>/tmp/t`);
  const seconds = parseRealSeconds(await sh(vm, "cat /tmp/t"));
  if (seconds === undefined || seconds <= 0) throw new Error("timeline bench: no time for the download");
  return (NET_MIB * REPEAT) / seconds;
}

/** Nanoseconds per record() over a few million events (the buffer wraps many times, as in a long recording). */
function recordNs(): number {
  const trace = new RingTrace(() => performance.now());
  const n = 2_000_000;
  for (let i = 0; i < n / 4; i++) trace.record(i & 3, RING_EVENT.take, i & 0xffff, i);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) trace.record(i & 3, RING_EVENT.take, i & 0xffff, i);
  return ((performance.now() - t0) * 1e6) / n;
}

/** Split-ring round trips with EVENT_IDX, `tracer` off or on: ns each, over `n` of them. */
function roundTrips(q: SplitQueue, ring: { availAddr: number; head: number; memory: MockDriver["memory"] }, n: number): number {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const idx = (ring.memory.read16(ring.availAddr + 2) + 1) & 0xffff;
    ring.memory.write16(ring.availAddr + 4 + 2 * ((idx - 1) & (q.size - 1)), ring.head);
    ring.memory.write16(ring.availAddr + 2, idx);
    q.pushUsed(q.pop()!, 0);
    if ((i & 7) === 0) q.needsInterrupt();
  }
  return ((performance.now() - t0) * 1e6) / n;
}

function ringRoundTrips(): { off: Summary; on: Summary } {
  const driver = new MockDriver(1 << 20);
  const mq = driver.newQueue(256);
  const q = new SplitQueue(driver.memory, { index: 0, size: 256, descAddr: mq.descAddr, availAddr: mq.availAddr, usedAddr: mq.usedAddr, eventIdx: true, indirect: false });
  const ring = { availAddr: mq.availAddr, head: mq.addChain([{ read: "abcd" }, { write: 64 }]), memory: driver.memory };
  const trace = new RingTrace(() => performance.now());
  const tracer = new QueueTracer(trace, trace.addSource({ address: "bench", device: "bench", queue: 0, name: "q" }));
  roundTrips(q, ring, 200_000);
  const off: number[] = [];
  const on: number[] = [];
  for (let i = 0; i < 7; i++) {
    q.tracer = null;
    off.push(roundTrips(q, ring, 300_000));
    q.tracer = tracer;
    on.push(roundTrips(q, ring, 300_000));
  }
  return { off: summarize(off), on: summarize(on) };
}

async function boot(): Promise<NodeMachine> {
  const vm = await startNodeMachine({ description: describe() });
  await vm.shell.waitUntilReady(T);
  return vm;
}

export async function benchTimeline(runs: number, progress: (message: string) => void): Promise<TimelineResults> {
  const never = await boot();
  let traced: NodeMachine | undefined;
  try {
    traced = await boot();
    const vm = traced;
    for (let i = 0; i < WARM_UPS; i++) {
      await download(never);
      await download(vm);
    }
    const samples: Record<Mode, number[]> = { never: [], on: [], off: [] };
    const perMiB: number[] = [];
    const on = async (): Promise<void> => {
      const before = vm.machine.setTimelineRecording(true).nextSeq;
      samples.on.push(await download(vm));
      const after = vm.machine.setTimelineRecording(false).nextSeq;
      perMiB.push((after - before) / (NET_MIB * REPEAT));
    };
    const off = async (): Promise<void> => {
      // (Switching off what is off changes nothing and says where the recording stands.)
      const seq = vm.machine.setTimelineRecording(false).nextSeq;
      samples.off.push(await download(vm));
      if (vm.machine.setTimelineRecording(false).nextSeq !== seq) throw new Error("timeline bench: events were recorded while the timeline was off");
    };
    for (let run = 0; run < runs; run++) {
      if (run % 2 === 0) {
        samples.never.push(await download(never));
        await on();
        await off();
      } else {
        await off();
        await on();
        samples.never.push(await download(never));
      }
      progress(`timeline run ${run + 1}/${runs}: never ${samples.never.at(-1)!.toFixed(1)}, on ${samples.on.at(-1)!.toFixed(1)}, off ${samples.off.at(-1)!.toFixed(1)} MiB/s`);
    }
    const mib = { never: summarize(samples.never), on: summarize(samples.on), off: summarize(samples.off) };
    const recordNsSummary = summarize(Array.from({ length: 5 }, recordNs));
    const eventsPerMiB = summarize(perMiB);
    return {
      mib_per_s: mib,
      on_over_never: mib.on.median / mib.never.median,
      off_over_never: mib.off.median / mib.never.median,
      paired_on_over_off: summarize(samples.on.map((x, i) => x / samples.off[i]!)).median,
      events_per_mib: eventsPerMiB,
      record_ns_per_event: recordNsSummary,
      round_trip_ns: ringRoundTrips(),
      estimated_on_cost: (recordNsSummary.median * eventsPerMiB.median * mib.never.median) / 1e9,
      note:
        `host_to_guest: ${REPEAT} wgets of ${NET_MIB} MiB to /dev/null per sample in Node (split rings, shared policy), timed by the guest; ` +
        `"never" on one machine, "on" and "off" on a second, in turns (never on off, off on never, ...), after ${WARM_UPS} warm-up samples on each.`,
    };
  } finally {
    await traced?.destroy();
    await never.destroy();
  }
}

export function formatTimeline(r: TimelineResults): string {
  const n = (x: number): string => x.toFixed(1);
  const range = (s: Summary): string => `${n(s.min)} / ${n(s.median)} / ${n(s.max)}`;
  const lost = (ratio: number): string => `${n((1 - ratio) * 100)}% lost`;
  return [
    "timeline of ring events (min / median / max) | MiB/s",
    `download, timeline never switched on | ${range(r.mib_per_s.never)}`,
    `download, timeline on | ${range(r.mib_per_s.on)}`,
    `download, timeline switched on then off | ${range(r.mib_per_s.off)}`,
    `on / never (medians): ${r.on_over_never.toFixed(3)} (${lost(r.on_over_never)}; two machines)`,
    `off / never (medians): ${r.off_over_never.toFixed(3)} (${lost(r.off_over_never)}; goal nothing; two machines)`,
    `on / off, same machine (median of each run's pair): ${r.paired_on_over_off.toFixed(3)} (${lost(r.paired_on_over_off)}; goal under 5%)`,
    `events recorded per MiB downloaded: ${range(r.events_per_mib)}`,
    `one event recorded, host time alone: ${range(r.record_ns_per_event)} ns; at the median events/MiB and "never" MiB/s that is ` +
      `${n(r.estimated_on_cost * 100)}% of the download's time`,
    `split ring round trip, host time alone: tracer off ${range(r.round_trip_ns.off)} ns, on ${range(r.round_trip_ns.on)} ns`,
    r.note,
  ].join("\n");
}
