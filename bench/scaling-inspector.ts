// What the live inspector costs the machine as its queues grow: one machine per queue size
// (every queue of the console, the rng and the network card offered at that size, which
// Linux takes), both up at once and measured in turns in Node, in process, as the worker
// would be:
// - one update's work: Machine.inspect() (what the worker's `inspect` call runs) and a
//   structuredClone of its answer (what posting it to the page costs, both sides), timed
//   in batches back to back on an idle guest and, call by call, during a download; and the
//   answer's size as JSON;
// - a 64 MiB download (wget of the host network's /blob to /dev/null, timed by the guest)
//   with that update made every POLL_MS (the page's beat while the panel is open) and
//   without, in the order off, on, on, off, ... on the same machine.
// The page's drawing is not here: it runs on the page's thread, not the machine's
// (bench/inspector-bench.ts measures the whole page in Chromium).
import { startNodeMachine, type NodeMachine } from "../src/node/node-machine.js";
import { hostNetworkChoice } from "../src/machine/host-network-choice.js";
import { describeMachine } from "../src/node/describe-machine.js";
import { cardAddressing } from "../src/machine/card-addressing.js";
import { QUEUE_COUNT } from "../src/description/limits.js";
import type { MachineDescription } from "../src/description/machine-description.js";
import type { ResolvedBackend } from "../src/machine/machine-devices.js";
import { parseRealSeconds } from "./guest-workloads.js";
import { summarize, type Summary } from "./stats.js";

const T = 300_000;
export const INSPECTOR_QUEUE_SIZES = [256, 1024];
const MIB = 64;
const URL = `http://10.0.2.2/blob?bytes=${MIB * 1024 * 1024}&seed=1`;
/** Downloads before measuring: v86 compiles the guest's hot paths over the first ones. */
const WARM_UPS = 2;
/** The page asks this often while the panel is open (POLL_MS in src/page/inspector-panel.ts, page code Node cannot load). */
export const POLL_MS = 85;
const BATCHES = 7;
const CALLS_PER_BATCH = 200;

export interface InspectorScaling {
  queue_size: number;
  /** Slots in all the machine's live rings together. */
  total_slots: number;
  /** The answer as JSON, bytes. */
  view_bytes: number;
  /** Per call on an idle guest, µs: the batches' means. */
  inspect_us: Summary;
  clone_us: Summary;
  /** Per update (inspect and clone) during the polled downloads, µs. */
  update_during_download_us: Summary;
  download_mib_per_s_off: Summary;
  download_mib_per_s_on: Summary;
  /** The median of each pair's on/off: 1 means polling costs the download nothing. */
  paired_on_over_off: number;
}

function describe(queueSize: number): MachineDescription {
  const base = describeMachine({ network: true });
  return {
    ...base,
    devices: base.devices.map((d) => ({ ...d, queues: Array.from({ length: QUEUE_COUNT[d.type] }, () => ({ size: queueSize })) })),
  };
}

async function boot(queueSize: number): Promise<NodeMachine> {
  const description = describe(queueSize);
  const backends = new Map<number, ResolvedBackend>();
  description.devices.forEach((d, i) => {
    if (d.type === "virtio-net") backends.set(i, { network: hostNetworkChoice(), addressing: cardAddressing(0, d.options) });
  });
  const vm = await startNodeMachine({ description, backends });
  await vm.shell.waitUntilReady(T);
  return vm;
}

/** The live rings' sizes: the guest must have taken the size offered, or the figures mean nothing. */
function liveSlots(vm: NodeMachine, queueSize: number): number {
  let total = 0;
  for (const device of vm.machine.inspect().devices) {
    for (const q of device.queues) {
      if (q.enabled && q.size !== queueSize) throw new Error(`scaling bench: ${device.name} ${q.name} runs with ${q.size} slots, not ${queueSize}`);
      if (q.enabled) total += q.size;
    }
  }
  return total;
}

/** One inspector update as the worker makes it: the view, and the copy that crosses to the page. */
function update(vm: NodeMachine): number {
  const t0 = performance.now();
  structuredClone(vm.machine.inspect());
  return (performance.now() - t0) * 1000;
}

/** One machine's figures as they are gathered. */
interface Tally {
  size: number;
  vm: NodeMachine;
  inspect: number[];
  clone: number[];
  updates: number[];
  off: number[];
  on: number[];
}

/** One batch of back-to-back calls: µs per inspect() and per structuredClone of its answer. */
function idleBatch(t: Tally): void {
  let view = t.vm.machine.inspect();
  let t0 = performance.now();
  for (let i = 0; i < CALLS_PER_BATCH; i++) view = t.vm.machine.inspect();
  t.inspect.push(((performance.now() - t0) * 1000) / CALLS_PER_BATCH);
  t0 = performance.now();
  for (let i = 0; i < CALLS_PER_BATCH; i++) structuredClone(view);
  t.clone.push(((performance.now() - t0) * 1000) / CALLS_PER_BATCH);
}

async function download(vm: NodeMachine, polled: number[] | undefined): Promise<number> {
  const timer = polled ? setInterval(() => polled.push(update(vm)), POLL_MS) : undefined;
  try {
    const { output, status } = await vm.shell.run(`time wget -q -O /dev/null '${URL}'`, T);
    const seconds = parseRealSeconds(output);
    if (status !== 0 || seconds === undefined || seconds <= 0) throw new Error(`scaling bench: the download failed: ${output}`);
    return MIB / seconds;
  } finally {
    clearInterval(timer);
  }
}

/** `items` rotated by `i`, so that no size always goes first. */
const rotated = <X>(items: readonly X[], i: number): X[] => items.map((_, k) => items[(k + i) % items.length]!);

/**
 * Both machines are up at once and take turns, batch by batch and download by download,
 * so that neither V8 warming up the inspector's code nor a slow stretch of this shared
 * machine favours one size.
 */
export async function benchInspectorScaling(runs: number, progress: (message: string) => void): Promise<InspectorScaling[]> {
  const tallies: Tally[] = [];
  try {
    for (const size of INSPECTOR_QUEUE_SIZES) tallies.push({ size, vm: await boot(size), inspect: [], clone: [], updates: [], off: [], on: [] });
    for (const t of tallies) for (let i = 0; i < WARM_UPS; i++) await download(t.vm, undefined);
    const slots = tallies.map((t) => liveSlots(t.vm, t.size));
    // Untimed first: V8 compiles the inspector's code.
    for (const t of tallies) for (let i = 0; i < CALLS_PER_BATCH; i++) update(t.vm);
    for (let b = 0; b < BATCHES; b++) for (const t of rotated(tallies, b)) idleBatch(t);
    for (let i = 0; i < runs; i++) {
      for (const t of rotated(tallies, i)) {
        for (const polling of i % 2 === 0 ? [false, true] : [true, false]) {
          (polling ? t.on : t.off).push(await download(t.vm, polling ? t.updates : undefined));
        }
        progress(`scaling inspector ${t.size} slots run ${i + 1}/${runs}: off ${t.off.at(-1)!.toFixed(1)} MiB/s, polled ${t.on.at(-1)!.toFixed(1)} MiB/s`);
      }
    }
    return tallies.map((t, k) => ({
      queue_size: t.size,
      total_slots: slots[k]!,
      view_bytes: JSON.stringify(t.vm.machine.inspect()).length,
      inspect_us: summarize(t.inspect),
      clone_us: summarize(t.clone),
      update_during_download_us: summarize(t.updates),
      download_mib_per_s_off: summarize(t.off),
      download_mib_per_s_on: summarize(t.on),
      paired_on_over_off: summarize(t.on.map((x, i) => x / t.off[i]!)).median,
    }));
  } finally {
    for (const t of tallies) await t.vm.destroy();
  }
}
