// Network throughput between the guest and the in-worker host network, in both directions,
// for four cards on the same host network and guest: ringside's virtio-net with the shared
// notification channel, the same device with plain per-queue kicks, v86's own virtio-net
// and v86's ne2k, every card with the same transfer size. Host to guest is `wget` of a /blob
// to /dev/null; guest to host is zeros piped into `nc` to the discard port (the host counts
// what arrived; busybox nc writes 1 KiB at a time), and, with a client that writes large
// buffers, `wget --post-file` of a file in the guest's tmpfs to the web server's /discard
// (busybox wget reads the file whole and writes it in large blocks; it sends the file as a
// C string, so the file holds no zero byte). Times come from the guest (busybox `time`). Kicks and interrupts per MiB come from our queue counters for
// our device, and from the guest's /proc/interrupts for v86's cards (kicks: not visible);
// packets per MiB are the frames the host network exchanged in the transfer's direction.
import { startNodeMachine, type NodeMachine } from "../src/node/node-machine.js";
import { HostNetwork } from "../src/backends/net/host/host-network.js";
import { createStandardServices } from "../src/backends/net/services/standard-services.js";
import type { DiscardStats } from "../src/backends/net/services/discard.js";
import type { NotificationPolicy } from "../src/devices/virtio-net.js";
import type { V86NicType } from "../src/v86/v86-nic.js";
import { parseRealSeconds } from "./guest-workloads.js";
import { parseProcInterrupts } from "./proc-interrupts.js";
import { summarize, type Summary } from "./stats.js";
import { v86Nic } from "./v86-extras.js";

const MiB = 1024 * 1024;
const T = 600_000;
/**
 * MiB per run, the same for every card in each direction (v86's ne2k makes a download of this
 * size take about 25 s). The guest's `time` counts in 10 ms steps, and a settled download runs
 * at about 300 MiB/s: 128 MiB make a step 2.5% of a run. The uploads stay at 64 MiB: the bulk
 * one sends a tmpfs file that busybox wget reads whole, two copies in the guest's 256 MiB.
 */
const MIB_PER_RUN: Record<Direction, number> = { host_to_guest: 128, guest_to_host: 64, guest_to_host_bulk: 64 };
/** The file the bulk upload sends: its MIB_PER_RUN of "a" (no zero byte: wget posts a C string). */
const UPLOAD_FILE = "/tmp/net-bench-upload";

export interface NetScenario {
  mib_per_s: Summary;
  kicks_per_mib: Summary | null;
  irqs_per_mib: Summary;
  packets_per_mib: Summary;
  mib_per_run: number;
}

export type Card = { kind: "ours"; policy: NotificationPolicy } | { kind: "v86"; type: V86NicType };

export const CARDS: Record<string, Card> = {
  ours_shared: { kind: "ours", policy: "shared" },
  ours_per_queue: { kind: "ours", policy: "per-queue" },
  v86_virtio: { kind: "v86", type: "virtio" },
  v86_ne2k: { kind: "v86", type: "ne2k" },
};

/** Results keyed "<card>_<direction>", e.g. ours_shared_host_to_guest. */
export type NetResults = Record<string, NetScenario | string>;

interface Sample {
  mibps: number;
  kicks: number | undefined;
  irqs: number;
  packets: number;
}

interface Rig {
  vm: NodeMachine;
  host: HostNetwork;
  discard: DiscardStats;
  counts: NotificationCounter;
}

async function boot(card: Card): Promise<Rig> {
  const discard: DiscardStats = { connections: 0, bytes: 0 };
  const host = new HostNetwork({ services: createStandardServices({ discardStats: discard }) });
  const tick = (now: number) => host.tick(now);
  const vm = await startNodeMachine(
    card.kind === "ours"
      ? { network: { backend: host, tick }, policy: card.policy }
      : { v86: v86Nic(card.type, host, tick) },
  );
  await vm.shell.waitUntilReady(T);
  return { vm, host, discard, counts: await notificationCounter(vm, card.kind) };
}

/** Notification counts so far: kicks (ours only) and guest interrupts of the machine's card. */
export type NotificationCounter = () => Promise<{ kicks: number | undefined; irqs: number }>;

/** How to count the card's notifications: ours from its queue counters, v86's from the guest. */
export async function notificationCounter(vm: NodeMachine, kind: Card["kind"]): Promise<NotificationCounter> {
  if (kind === "ours") {
    return async () => {
      const net = vm.machine.deviceViews().find((d) => d.type === "virtio-net");
      let kicks = 0;
      let irqs = 0;
      for (const q of net?.virtio.queues.slice(0, 2) ?? []) {
        kicks += q.ring?.counters.kicks ?? 0;
        irqs += q.ring?.counters.interrupts ?? 0;
      }
      return { kicks, irqs };
    };
  }
  // v86's card: its driver's name in /proc/interrupts ("virtioN" for v86's virtio-net,
  // "eth0" for ne2k). Interrupts our own devices raised on a shared line are subtracted.
  const link = (await vm.shell.run("basename $(readlink /sys/class/net/eth0/device)", T)).output.trim();
  const name = /^virtio\d+$/.test(link) ? link : "eth0";
  const ourOnLine = (irq: number) =>
    vm.machine
      .deviceViews()
      .filter((d) => d.pci?.irqLine === irq)
      .reduce((sum, d) => sum + d.virtio.queues.reduce((s, q) => s + (q.ring?.counters.interrupts ?? 0), 0), 0);
  return async () => {
    const { output } = await vm.shell.run("cat /proc/interrupts", T);
    const line = parseProcInterrupts(output).find((l) => l.names.includes(name));
    if (!line) throw new Error(`net bench: no ${name} in /proc/interrupts`);
    return { kicks: undefined, irqs: line.count - ourOnLine(line.irq) };
  };
}

const DIRECTIONS = ["host_to_guest", "guest_to_host", "guest_to_host_bulk"] as const;
type Direction = (typeof DIRECTIONS)[number];

function commandFor(direction: Direction, mib: number): string {
  const bytes = mib * MiB;
  if (direction === "host_to_guest") return `wget -q -O /dev/null 'http://10.0.2.2/blob?bytes=${bytes}&seed=1'`;
  if (direction === "guest_to_host") return `dd if=/dev/zero bs=64k count=${mib * 16} 2>/dev/null | nc 10.0.2.2 9`;
  return `wget -q -O - --post-file=${UPLOAD_FILE} http://10.0.2.2/discard`;
}

async function measure(rig: Rig, direction: Direction, mib: number): Promise<Sample> {
  const bytes = mib * MiB;
  const command = commandFor(direction, mib);
  const before = await rig.counts();
  const stats0 = rig.host.stats();
  const discarded0 = rig.discard.bytes;
  const { output, status } = await rig.vm.shell.run(`time sh -c "${command}"`, T);
  const after = await rig.counts();
  const stats1 = rig.host.stats();
  const seconds = parseRealSeconds(output);
  if (status !== 0 || seconds === undefined || seconds <= 0) throw new Error(`net bench: "${command}" failed: ${output}`);
  if (direction === "guest_to_host" && rig.discard.bytes - discarded0 !== bytes) {
    throw new Error(`net bench: the host received ${rig.discard.bytes - discarded0} of ${bytes} bytes`);
  }
  // /discard answers with the byte count it took.
  if (direction === "guest_to_host_bulk" && !output.split("\n").some((line) => line.trim() === String(bytes))) {
    throw new Error(`net bench: /discard did not report ${bytes} bytes: ${output}`);
  }
  const packets = direction === "host_to_guest" ? stats1.framesToGuest - stats0.framesToGuest : stats1.framesFromGuest - stats0.framesFromGuest;
  return {
    mibps: mib / seconds,
    kicks: after.kicks === undefined || before.kicks === undefined ? undefined : (after.kicks - before.kicks) / mib,
    irqs: (after.irqs - before.irqs) / mib,
    packets: packets / mib,
  };
}

function scenario(samples: Sample[], mib: number): NetScenario {
  const kicks = samples.flatMap((s) => (s.kicks === undefined ? [] : [s.kicks]));
  return {
    mib_per_s: summarize(samples.map((s) => s.mibps)),
    kicks_per_mib: kicks.length === samples.length ? summarize(kicks) : null,
    irqs_per_mib: summarize(samples.map((s) => s.irqs)),
    packets_per_mib: summarize(samples.map((s) => s.packets)),
    mib_per_run: mib,
  };
}

/**
 * What each card moves in each direction before the measured runs: at least WARM_UP_MIB and
 * at least WARM_UP_SECONDS of the guest's time, at most WARM_UP_MAX_RUNS runs. v86 compiles a
 * page of guest code once that code has run enough, so what warms a machine up is time spent
 * running the transfer's code, not MiB: a fast card moves more MiB before it settles. One
 * machine's 64 MiB downloads went 73, 84, 123, 119, 183, 178, 229, 221, 229, 237 and 256 MiB/s
 * (docs/benchmarks.md, "Where a download settles"): 128 MiB caught it a quarter of the way.
 */
const WARM_UP_MIB = 128;
const WARM_UP_SECONDS = 4;
const WARM_UP_MAX_RUNS = 24;

async function warmUp(rig: Rig, direction: Direction, mib: number): Promise<void> {
  let moved = 0;
  let seconds = 0;
  for (let run = 0; run < WARM_UP_MAX_RUNS && (moved < WARM_UP_MIB || seconds < WARM_UP_SECONDS); run++) {
    const sample = await measure(rig, direction, mib);
    moved += mib;
    seconds += mib / sample.mibps;
  }
}

async function makeUploadFile(rig: Rig, mib: number): Promise<void> {
  const made = await rig.vm.shell.run(`dd if=/dev/zero bs=1M count=${mib} 2>/dev/null | tr '\\0' a > ${UPLOAD_FILE}`, T);
  if (made.status !== 0) throw new Error(`net bench: cannot make the upload file: ${made.output}`);
}

export async function benchNet(runs: number, progress: (message: string) => void): Promise<NetResults> {
  const results: NetResults = {};
  for (const [name, card] of Object.entries(CARDS)) {
    const rig = await boot(card);
    try {
      for (const direction of DIRECTIONS) {
        const mib = MIB_PER_RUN[direction];
        // The bulk upload's file is made just before its runs: 64 MiB of the guest's 256 MiB
        // in tmpfs slowed the nc runs by a fifth (18-20 against 21-27 MiB/s in one machine).
        if (direction === "guest_to_host_bulk") await makeUploadFile(rig, mib);
        await warmUp(rig, direction, mib);
        const samples: Sample[] = [];
        for (let i = 0; i < runs; i++) samples.push(await measure(rig, direction, mib));
        results[`${name}_${direction}`] = scenario(samples, mib);
        progress(`net ${name} ${direction}: ${samples.map((s) => s.mibps.toFixed(1)).join(", ")} MiB/s`);
      }
    } finally {
      await rig.vm.destroy();
    }
  }
  results.note =
    "host_to_guest: wget of /blob to /dev/null; guest_to_host: zeros through nc to the discard port (1 KiB writes), byte count checked on the host; " +
    "guest_to_host_bulk: wget --post-file of a tmpfs file to /discard (large writes), byte count checked in the reply. " +
    `Every card with ${MIB_PER_RUN.host_to_guest} MiB per download and ${MIB_PER_RUN.guest_to_host} per upload, after at least ${WARM_UP_MIB} MiB and ${WARM_UP_SECONDS} s of the guest's time in each direction. kicks_per_mib: rx+tx doorbells (ours only: v86's are not visible); ` +
    "irqs_per_mib: ours from the device, v86's from the guest's /proc/interrupts; packets_per_mib: frames in the transfer's direction.";
  return results;
}
