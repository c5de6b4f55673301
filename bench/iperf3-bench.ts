// Network throughput against a real peer nobody here wrote: Debian's i386 iperf3 in the
// guest (the tools disk images/tools/build-iperf3-disk.sh builds) against the host's
// native `iperf3 -s` on 127.0.0.1, reached as 10.0.2.2 through user-mode networking, so the
// bytes cross real host sockets. guest_to_host is `iperf3 -c`, host_to_guest `iperf3 -c -R`;
// MiB/s is what the receiving end counted over its own measured time (iperf3's
// sum_received). Kicks and interrupts per MiB come from our queue counters, and from the
// guest's /proc/interrupts for v86's virtio-net (kicks: not visible), as in net-bench.ts.
// Paused drops: segments the host network dropped because the host socket behind the
// connection was full (the guest sends them again after its retransmission timeout).
import { startNodeMachine, type NodeMachine } from "../src/node/node-machine.js";
import type { HostNetwork } from "../src/backends/net/host/host-network.js";
import { parseMachineDescription } from "../src/description/parse-machine.js";
import { MACHINE_DESCRIPTION_VERSION } from "../src/description/machine-description.js";
import { DEFAULT_CMDLINE, DEFAULT_MEMORY_MIB } from "../src/description/limits.js";
import { guestIperf3Client, iperf3Disk, mountToolsDisk, parseIperf3Json, startHostIperf3Server } from "../tests/support/iperf3-disk.js";
import { notificationCounter, type Card, type NetResults, type NetScenario, type NotificationCounter } from "./net-bench.js";
import { summarize, type Summary } from "./stats.js";
import { userNetworkForV86 } from "./iperf3-v86.js";

const MiB = 1024 * 1024;
const T = 120_000;
/** Seconds per iperf3 run: long enough for TCP's window to open, short enough for --runs 5. */
const SECONDS = 4;

export interface Iperf3Scenario {
  mib_per_s: Summary;
  kicks_per_mib: Summary | null;
  irqs_per_mib: Summary;
  /** MiB the receiver counted per run. */
  mib_per_run: Summary;
  /** Guest segments dropped per run while the host socket was full (tcp-receive-paused). */
  paused_drops_per_run: Summary;
}

/** Results keyed "iperf3_<card>_<direction>"; a card that could not run says why under its name. */
export type Iperf3Results = Record<string, Iperf3Scenario | string>;

export const IPERF3_CARDS: Record<string, Card> = {
  ours_shared: { kind: "ours", policy: "shared" },
  v86_virtio: { kind: "v86", type: "virtio" },
};

const DIRECTIONS = ["guest_to_host", "host_to_guest"] as const;
type Direction = (typeof DIRECTIONS)[number];

interface Sample {
  mibps: number;
  kicks: number | undefined;
  irqs: number;
  mib: number;
  pausedDrops: number;
}

interface Rig {
  vm: NodeMachine;
  counts: NotificationCounter;
  /** The card's far end (its drop counters). */
  host: HostNetwork;
}

/** One machine with the tools disk (vda, read-only, mounted) and the card on user-mode networking. */
async function boot(card: Card, diskPath: string): Promise<Rig> {
  const transport = { kind: "pci" };
  const devices: unknown[] = [
    { type: "virtio-console", transport },
    { type: "virtio-rng", transport },
    { type: "virtio-blk", transport, options: { backend: { kind: "file", path: diskPath }, readOnly: true } },
  ];
  if (card.kind === "ours") devices.push({ type: "virtio-net", transport, options: { backend: { kind: "user" }, policy: card.policy, ip: "auto" } });
  const description = parseMachineDescription({ version: MACHINE_DESCRIPTION_VERSION, memoryMiB: DEFAULT_MEMORY_MIB, cmdline: DEFAULT_CMDLINE, devices });
  const v86 = card.kind === "v86" ? userNetworkForV86(card.type) : undefined;
  const vm = await startNodeMachine({ description, ...(v86 ? { v86: v86.extras } : {}) });
  try {
    await vm.shell.waitUntilReady(T);
    const mounted = await vm.shell.run(mountToolsDisk(0), T);
    if (mounted.status !== 0) throw new Error(`iperf3 bench: cannot mount the tools disk: ${mounted.output}`);
    const counts = await notificationCounter(vm, card.kind);
    if (!v86) return { vm, counts, host: vm.hosts[0]! };
    return { vm: { ...vm, destroy: async () => (await vm.destroy(), v86.close()) }, counts, host: v86.host };
  } catch (e) {
    await vm.destroy();
    v86?.close();
    throw e;
  }
}

async function measure({ vm, counts, host: network }: Rig, direction: Direction): Promise<Sample> {
  const server = await startHostIperf3Server();
  const paused = () => network.stats().dropped["tcp-receive-paused"];
  try {
    const before = await counts();
    const paused0 = paused();
    const { output, status } = await vm.shell.run(guestIperf3Client(server.port, SECONDS, direction === "host_to_guest"), T);
    const after = await counts();
    const pausedDrops = paused() - paused0;
    if (status !== 0) throw new Error(`iperf3 bench: the guest's iperf3 failed: ${output.slice(0, 2000)}`);
    const sums = parseIperf3Json(output);
    const host = parseIperf3Json(await server.report);
    // The receiving end's own report must agree with what the client was told.
    const hostView = direction === "guest_to_host" ? host.receivedBytes : host.sentBytes;
    const clientView = direction === "guest_to_host" ? sums.receivedBytes : sums.sentBytes;
    if (hostView !== clientView) throw new Error(`iperf3 bench: the host's report says ${hostView} bytes, the guest's ${clientView}`);
    const mib = sums.receivedBytes / MiB;
    if (mib <= 0) throw new Error("iperf3 bench: no bytes crossed");
    return {
      mibps: mib / sums.receivedSeconds,
      kicks: after.kicks === undefined || before.kicks === undefined ? undefined : (after.kicks - before.kicks) / mib,
      irqs: (after.irqs - before.irqs) / mib,
      mib,
      pausedDrops,
    };
  } finally {
    server.stop();
  }
}

function scenario(samples: Sample[]): Iperf3Scenario {
  const kicks = samples.flatMap((s) => (s.kicks === undefined ? [] : [s.kicks]));
  return {
    mib_per_s: summarize(samples.map((s) => s.mibps)),
    kicks_per_mib: kicks.length === samples.length ? summarize(kicks) : null,
    irqs_per_mib: summarize(samples.map((s) => s.irqs)),
    mib_per_run: summarize(samples.map((s) => s.mib)),
    paused_drops_per_run: summarize(samples.map((s) => s.pausedDrops)),
  };
}

export async function benchIperf3(runs: number, progress: (message: string) => void): Promise<Iperf3Results> {
  const disk = await iperf3Disk();
  const results: Iperf3Results = {};
  for (const [name, card] of Object.entries(IPERF3_CARDS)) {
    let rig: Rig;
    try {
      rig = await boot(card, disk.path);
    } catch (e) {
      // v86's card may have no way onto user-mode networking: the table says so and goes on.
      results[`iperf3_${name}`] = `not run: ${e instanceof Error ? e.message : String(e)}`;
      progress(`iperf3 ${name}: ${results[`iperf3_${name}`]}`);
      continue;
    }
    try {
      for (const direction of DIRECTIONS) {
        // Warm-up: v86 compiles the guest's hot paths (TCP, copies) over the first run.
        await measure(rig, direction);
        const samples: Sample[] = [];
        for (let i = 0; i < runs; i++) samples.push(await measure(rig, direction));
        results[`iperf3_${name}_${direction}`] = scenario(samples);
        progress(`iperf3 ${name} ${direction}: ${samples.map((s) => s.mibps.toFixed(1)).join(", ")} MiB/s`);
      }
    } finally {
      await rig.vm.destroy();
    }
  }
  results.note =
    `iperf3 ${disk.versions.get("iperf3:i386") ?? "?"} (Debian i386) in the guest against the host's native iperf3 -s over user-mode networking, ` +
    `${SECONDS} s per run after one warm-up run; MiB/s and per-MiB figures over the bytes the receiver counted.`;
  return results;
}

/** The iperf3 rows, then iperf3 against the busybox transfers (net-bench.ts) on the same card. */
export function formatIperf3(results: Iperf3Results, net: NetResults | undefined): string {
  // Two decimals: with kicks suppressed during bulk transfers, ours takes well under one per MiB.
  const n = (x: number) => x.toFixed(2);
  const range = (v: Summary | null) => (v ? `${n(v.min)} / ${n(v.median)} / ${n(v.max)}` : "-");
  const lines = ["net, iperf3 over user-mode networking (min / median / max) | MiB/s | kicks per MiB | interrupts per MiB | MiB per run | paused drops per run"];
  const of = (key: string) => (typeof results[key] === "object" ? (results[key] as Iperf3Scenario) : undefined);
  for (const direction of DIRECTIONS) {
    for (const card of Object.keys(IPERF3_CARDS)) {
      const s = of(`iperf3_${card}_${direction}`);
      if (s) lines.push(`iperf3 ${card} ${direction} | ${range(s.mib_per_s)} | ${range(s.kicks_per_mib)} | ${range(s.irqs_per_mib)} | ${range(s.mib_per_run)} | ${range(s.paused_drops_per_run)}`);
    }
  }
  for (const card of Object.keys(IPERF3_CARDS)) {
    const skipped = results[`iperf3_${card}`];
    if (typeof skipped === "string") lines.push(`iperf3 ${card}: ${skipped}`);
    const ratios = DIRECTIONS.flatMap((d) => {
      const ip = of(`iperf3_${card}_${d}`);
      const bb = net?.[`${card}_${d}`] as NetScenario | undefined;
      return ip && typeof bb === "object" ? [`${d} ${(ip.mib_per_s.median / bb.mib_per_s.median).toFixed(2)}`] : [];
    });
    if (ratios.length > 0) lines.push(`iperf3 / busybox wget and nc on the host network, ${card} (MiB/s medians): ${ratios.join(", ")}`);
  }
  if (typeof results.note === "string") lines.push(results.note);
  return lines.join("\n");
}
