// Split against packed rings, virtio-pci against virtio-mmio, INTx against MSI-X: the same
// four devices (console, rng, disk, network card) in every variant, the same guest
// commands, timed by busybox `time` in the guest. Each run boots every variant in turn
// (A B C ... A B C) so a slow stretch of this shared machine hits them all alike. Kicks and
// interrupts per MiB come from our devices' queue counters (every queue of the device).
//
// Workloads: console output (the shell's terminal, hvc0, in raw mode: the device's share of
// the time shows), disk sequential read and write in 1 MiB blocks with O_DIRECT (no page
// cache between the guest and the device), network host-to-guest (wget from the host
// network's HTTP service) and guest-to-host (nc to its discard service).
import { startNodeMachine, type NodeMachine } from "../src/node/node-machine.js";
import { MACHINE_DESCRIPTION_VERSION, type DeviceDescription, type MachineDescription, type RingLayout, type TransportDescription } from "../src/description/machine-description.js";
import { DEFAULT_CMDLINE } from "../src/description/limits.js";
import type { DeviceType } from "../src/description/machine-description.js";
import { parseRealSeconds } from "./guest-workloads.js";
import { summarize, type Summary } from "./stats.js";

const MiB = 1024 * 1024;
const T = 300_000;
const DISK_MIB = 64;
/** O_DIRECT passes over the disk per timed run: one pass takes only tens of milliseconds. */
const DISK_PASSES = 4;
const NET_MIB = 32;

export interface TransportVariant {
  name: string;
  transport: TransportDescription;
  ring: RingLayout;
}

export const TRANSPORT_VARIANTS: readonly TransportVariant[] = [
  { name: "pci split intx", transport: { kind: "pci" }, ring: "split" },
  { name: "pci packed intx", transport: { kind: "pci" }, ring: "packed" },
  { name: "mmio split", transport: { kind: "mmio" }, ring: "split" },
  { name: "mmio packed", transport: { kind: "mmio" }, ring: "packed" },
  { name: "pci split msix", transport: { kind: "pci", msix: true }, ring: "split" },
  { name: "pci packed msix", transport: { kind: "pci", msix: true }, ring: "packed" },
];

const WORKLOADS = ["console_out", "disk_read", "disk_write", "net_host_to_guest", "net_guest_to_host"] as const;
type Workload = (typeof WORKLOADS)[number];

export interface TransportFigure {
  mib_per_s: Summary;
  kicks_per_mib: Summary;
  irqs_per_mib: Summary;
}

/** Figures by variant name, then by workload; a variant that could not run says why. */
export type TransportResults = Record<string, Record<Workload, TransportFigure> | string>;

interface Sample {
  mibps: number;
  kicks: number;
  irqs: number;
}

export function describeVariant(v: TransportVariant): MachineDescription {
  const common = { transport: v.transport, ring: v.ring };
  const devices: DeviceDescription[] = [
    { type: "virtio-console", ...common },
    { type: "virtio-rng", ...common },
    { type: "virtio-blk", ...common, options: { backend: { kind: "memory", sizeMiB: DISK_MIB * 2 }, readOnly: false } },
    { type: "virtio-net", ...common, options: { backend: { kind: "host" }, policy: "shared", ip: "auto" } },
  ];
  return { version: MACHINE_DESCRIPTION_VERSION, memoryMiB: 256, cmdline: DEFAULT_CMDLINE, devices };
}

/** Kicks and interrupts so far, summed over every queue of our device of `type`. */
function counts(vm: NodeMachine, type: DeviceType): { kicks: number; irqs: number } {
  const d = vm.machine.deviceViews().find((v) => v.type === type);
  if (!d) throw new Error(`transport bench: no ${type}`);
  let kicks = 0;
  let irqs = 0;
  for (const q of d.virtio.queues) {
    kicks += q.ring?.counters.kicks ?? 0;
    irqs += q.ring?.counters.interrupts ?? 0;
  }
  return { kicks, irqs };
}

async function sh(vm: NodeMachine, command: string): Promise<string> {
  const { output, status } = await vm.shell.run(command, T);
  if (status !== 0) throw new Error(`transport bench: "${command}" failed (${status}): ${output.slice(-300)}`);
  return output;
}

/** Runs `command` under busybox time (its report to /tmp/t) and counts `type`'s notifications around it. */
async function timed(vm: NodeMachine, type: DeviceType, command: string, mib: number): Promise<Sample> {
  const before = counts(vm, type);
  await sh(vm, `time sh -c '${command}' 2>/tmp/t`);
  const after = counts(vm, type);
  const seconds = parseRealSeconds(await sh(vm, "cat /tmp/t"));
  if (seconds === undefined || seconds <= 0) throw new Error(`transport bench: no time for "${command}"`);
  return { mibps: mib / seconds, kicks: (after.kicks - before.kicks) / mib, irqs: (after.irqs - before.irqs) / mib };
}

function passes(command: string): string {
  return `for i in ${Array.from({ length: DISK_PASSES }, (_, i) => i + 1).join(" ")}; do ${command} || exit 1; done`;
}

const COMMANDS: Record<Workload, { device: DeviceType; command: string; mib: number }> = {
  // Raw mode: the tty layer hands its buffers straight to the driver. The bytes go to the
  // shell session like any command output (the same host cost in every variant).
  console_out: { device: "virtio-console", command: "cat /tmp/c /tmp/c /tmp/c /tmp/c >/dev/hvc0", mib: 0 },
  disk_read: { device: "virtio-blk", command: passes(`dd if=/dev/vda of=/dev/null bs=1M count=${DISK_MIB} iflag=direct 2>/dev/null`), mib: DISK_MIB * DISK_PASSES },
  disk_write: { device: "virtio-blk", command: passes(`dd if=/dev/zero of=/dev/vda bs=1M count=${DISK_MIB} oflag=direct 2>/dev/null`), mib: DISK_MIB * DISK_PASSES },
  net_host_to_guest: { device: "virtio-net", command: `wget -q -O /dev/null "http://10.0.2.2/blob?bytes=${NET_MIB * MiB}&seed=1"`, mib: NET_MIB },
  net_guest_to_host: { device: "virtio-net", command: `dd if=/dev/zero bs=64k count=${NET_MIB * 16} 2>/dev/null | nc 10.0.2.2 9`, mib: NET_MIB },
};

/** Throws unless the guest really uses what the variant names: a figure for packed rings measured on split ones would mislead. */
async function checkVariant(vm: NodeMachine, v: TransportVariant): Promise<void> {
  for (const d of vm.machine.deviceViews()) {
    const packed = d.virtio.featuresNegotiatedNames.includes("RING_PACKED");
    if (packed !== (v.ring === "packed")) throw new Error(`${d.label} negotiated ${packed ? "packed" : "split"} rings, not ${v.ring}`);
  }
  if (v.transport.kind === "pci" && v.transport.msix) {
    const msi = (await sh(vm, "cat /proc/interrupts")).split("\n").filter((l) => /MSI/.test(l) && /virtio/.test(l));
    if (msi.length === 0) throw new Error("no virtio MSI-X vectors in the guest's /proc/interrupts");
  }
}

async function runVariant(v: TransportVariant, into: Map<string, Map<Workload, Sample[]>>): Promise<void> {
  const vm = await startNodeMachine({ description: describeVariant(v) });
  try {
    await vm.shell.waitUntilReady(T);
    await checkVariant(vm, v);
    // One MiB of base64 text (no bytes the shell session treats as framing), four times over.
    await sh(vm, `head -c ${(3 * MiB) / 4} /dev/urandom | base64 > /tmp/c`);
    const consoleMiB = (4 * Number((await sh(vm, "wc -c < /tmp/c")).trim())) / MiB;
    const samples = into.get(v.name) ?? new Map<Workload, Sample[]>();
    into.set(v.name, samples);
    for (const w of WORKLOADS) {
      const { device, command, mib } = COMMANDS[w];
      if (w === "console_out") await sh(vm, "stty -opost </dev/hvc0");
      const sample = await timed(vm, device, command, w === "console_out" ? consoleMiB : mib);
      if (w === "console_out") await sh(vm, "stty opost </dev/hvc0");
      samples.set(w, [...(samples.get(w) ?? []), sample]);
    }
  } finally {
    await vm.destroy();
  }
}

export async function benchTransports(runs: number, progress: (message: string) => void): Promise<TransportResults> {
  const samples = new Map<string, Map<Workload, Sample[]>>();
  const failed = new Map<string, string>();
  for (let run = 1; run <= runs; run++) {
    for (const v of TRANSPORT_VARIANTS) {
      if (failed.has(v.name)) continue;
      progress(`transports: ${v.name}, run ${run}/${runs}`);
      try {
        await runVariant(v, samples);
      } catch (e) {
        failed.set(v.name, e instanceof Error ? e.message : String(e));
      }
    }
  }
  const results: TransportResults = {};
  for (const v of TRANSPORT_VARIANTS) {
    const why = failed.get(v.name);
    const s = samples.get(v.name);
    if (why !== undefined || !s) {
      results[v.name] = why ?? "did not run";
      continue;
    }
    const figures = {} as Record<Workload, TransportFigure>;
    for (const w of WORKLOADS) {
      const list = s.get(w) ?? [];
      figures[w] = {
        mib_per_s: summarize(list.map((x) => x.mibps)),
        kicks_per_mib: summarize(list.map((x) => x.kicks)),
        irqs_per_mib: summarize(list.map((x) => x.irqs)),
      };
    }
    results[v.name] = figures;
  }
  return results;
}

/** One table: a row per variant and workload, with the ratio to the first variant's median MiB/s. */
export function formatTransports(results: TransportResults): string {
  const base = results[TRANSPORT_VARIANTS[0]!.name];
  const lines = ["Transports and ring layouts (MiB/s min / median / max; kicks and interrupts per MiB, median):"];
  const f = (n: number) => (Number.isFinite(n) ? n.toFixed(n < 10 ? 2 : 1) : "-");
  for (const w of WORKLOADS) {
    lines.push(`  ${w}`);
    for (const v of TRANSPORT_VARIANTS) {
      const r = results[v.name];
      if (typeof r === "string" || r === undefined) {
        lines.push(`    ${v.name.padEnd(18)} failed: ${r ?? "did not run"}`);
        continue;
      }
      const x = r[w];
      const ratio = typeof base === "object" ? x.mib_per_s.median / base[w].mib_per_s.median : Number.NaN;
      lines.push(
        `    ${v.name.padEnd(18)} ${f(x.mib_per_s.min)} / ${f(x.mib_per_s.median)} / ${f(x.mib_per_s.max)} MiB/s  x${f(ratio)}` +
          `  kicks/MiB ${f(x.kicks_per_mib.median)}  irqs/MiB ${f(x.irqs_per_mib.median)}`,
      );
    }
  }
  return lines.join("\n");
}
