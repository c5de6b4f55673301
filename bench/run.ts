// npm run bench [-- --runs N] [--json] [--only node|disk|browser|devices|blk|net|iperf3|9p|inspector|snapshot|transports|timeline|scaling[,...]]
// npm run bench -- --soak [--json]: only the soak (soak-bench.ts), a few minutes long.
// npm run bench -- --soak --browser [--json]: the soak in Chromium, the machine in the
// built page's worker (soak-browser.ts; needs dist/, npm run build).
//
// Boot-to-shell, cold, over N runs: in Node (the kernel given to v86, then the same with
// v86's own JIT settings, and, taking turns with them, the firmware booting a disk that
// holds its own kernel: boot-disk.ts; --only disk for that alone), and in Chromium with
// the machine in the worker (ringside's scheduler and v86's own; ringside's JIT settings
// and v86's) and on the page's main thread. The browser
// variants take turns (A B C D A B C D ...) so a slow stretch of this shared machine hits
// them all alike. Then device throughput in one Node machine (devices.ts): console
// output, ours against v86's own virtio-console, and /dev/hwrng; the disk (blk-bench.ts)
// beside v86's IDE; the network (net-bench.ts) beside v86's cards, then (its own section, iperf3) Debian's iperf3 in
// the guest against the host's native iperf3 over user-mode networking (iperf3-bench.ts); shared folders
// (ninep-bench.ts) beside v86's virtio-9p; what the page's live
// inspector costs a download while it is open (inspector-bench.ts); boot-to-shell from the
// shipped snapshot against a cold boot (snapshot-bench.ts); split against packed rings, PCI
// against virtio-mmio, INTx against MSI-X for the console, the disk and the network
// (transport-bench.ts); what the timeline of ring events costs a download (timeline-bench.ts);
// last, one table of every device measured, beside v86's and the limits (summary-table.ts). Prints tables; --json
// prints the figures as JSON instead. --only scaling (scaling.ts: how cost grows with guest memory,
// queue size and concurrent transfers) takes several minutes and is never in the default run.
import { bootNodeOnce } from "./boot-node.js";
import { prepareDiskBoot } from "./boot-disk.js";
import { bootBrowserOnce, BROWSER_VARIANTS, MAIN_THREAD_BROWSER, OWN_JIT_BROWSER } from "./boot-browser.js";
import { V86_OWN_JIT } from "../src/machine/v86-emulator.js";
import type { BootBreakdown } from "./boot-phases.js";
import { formatDeviceResults, runDeviceBenchmarks, type DeviceResults } from "./devices.js";
import { benchBlk, type BlkResults } from "./blk-bench.js";
import { formatBlk } from "./blk-format.js";
import { benchNet, type NetResults } from "./net-bench.js";
import { formatNet } from "./net-format.js";
import { benchIperf3, formatIperf3, type Iperf3Results } from "./iperf3-bench.js";
import { benchNinep, formatNinep, type NinepResults } from "./ninep-bench.js";
import { benchInspector, formatInspector, type InspectorResults } from "./inspector-bench.js";
import { benchSnapshot, formatSnapshot, type SnapshotResults } from "./snapshot-bench.js";
import { benchTransports, formatTransports, type TransportResults } from "./transport-bench.js";
import { benchTimeline, formatTimeline } from "./timeline-bench.js";
import { benchScaling, formatScaling } from "./scaling.js";
import { formatMs, summarize, type Summary } from "./stats.js";
import { measureHostCopy } from "./host-copy.js";
import { formatSummary, summaryRows } from "./summary-table.js";
import { benchSoak } from "./soak-bench.js";
import { formatSoak } from "./soak-format.js";
import { benchBrowserSoak } from "./soak-browser.js";
import { formatBrowserSoak } from "./soak-browser-format.js";
import { openBuiltSite } from "../tests/support/built-site.js";
import { errorMessage } from "../src/util/error-message.js";

/** Where the project wants to be: a shell in under 1.5 s in Node on a 2-core machine. */
/** Issue 19's cold boot target, in Node and in Chromium's worker alike. */
const BOOT_GOAL_MS = 1000;
/** The boot scenarios with v86's own JIT settings (3 pages and 250 extra blocks per module), taking turns with ours. */
const OWN_JIT_NODE = "node (v86's own JIT settings)";

const SECTIONS = ["node", "disk", "browser", "devices", "blk", "net", "iperf3", "9p", "inspector", "snapshot", "transports", "timeline", "scaling"] as const;
type Section = (typeof SECTIONS)[number];

interface Options {
  runs: number;
  json: boolean;
  /** The sections to run (all when absent): `--only blk,net` runs two. */
  only?: Section[];
  /** Run the soak and nothing else (it is long, so never part of the default run). */
  soak: boolean;
  /** With --soak: run it in Chromium on the built page instead of in Node. */
  browser: boolean;
}

function parse(argv: string[]): Options {
  const options: Options = { runs: 5, json: false, soak: false, browser: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--json") options.json = true;
    else if (a === "--soak") options.soak = true;
    else if (a === "--browser") options.browser = true;
    else if (a === "--runs") {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 1) throw new Error("--runs needs a whole number >= 1");
      options.runs = n;
    } else if (a === "--only") {
      const names = (argv[++i] ?? "").split(",");
      const unknown = names.filter((v) => !SECTIONS.includes(v as Section));
      if (unknown.length > 0) throw new Error(`--only takes ${SECTIONS.map((s) => `"${s}"`).join(", ")} (comma-separated), not "${unknown.join(",")}"`);
      options.only = names as Section[];
    } else throw new Error(`unknown option ${a}; usage: npm run bench -- [--runs N] [--json] [--only ${SECTIONS.join("|")}] | --soak [--browser] [--json]`);
  }
  if (options.soak && options.only !== undefined) throw new Error("--soak runs only the soak; it does not combine with --only");
  if (options.browser && !options.soak) throw new Error("--browser goes with --soak (for the boot benchmarks in Chromium: --only browser)");
  return options;
}

type Scenario = { name: string; runs: BootBreakdown[] };

const PHASES: Array<[keyof BootBreakdown, string]> = [
  ["total", "boot to shell"],
  ["loading", "loading (images, wasm, v86 setup)"],
  ["firmware", "firmware (SeaBIOS)"],
  ["bootLoader", "  of which boot loader (disk boot)"],
  ["decompress", "kernel decompression"],
  ["kernelInit", "kernel init (to /init)"],
  ["userspace", "userspace (to prompt)"],
  ["ddMiBps", "after boot: guest dd, MiB/s"],
];

function summarizeScenario(s: Scenario): Record<string, Summary> {
  const out: Record<string, Summary> = {};
  for (const [key] of PHASES) {
    out[key] = summarize(s.runs.map((r) => r[key]).filter((v): v is number => v !== undefined));
  }
  return out;
}

function progress(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

async function main(): Promise<void> {
  const options = parse(process.argv.slice(2));
  if (options.soak) return options.browser ? browserSoak(options.json) : soak(options.json);
  const scenarios: Scenario[] = [];
  const wanted = (section: Section) => options.only === undefined || options.only.includes(section);

  // The disk boot runs beside the kernel boot (--only node runs both), taking turns with it.
  const kernelBoots = wanted("node");
  const diskBoots = wanted("node") || wanted("disk");
  if (kernelBoots || diskBoots) {
    const node: Scenario = { name: "node", runs: [] };
    const ownJit: Scenario = { name: OWN_JIT_NODE, runs: [] };
    const disk: Scenario = { name: "node, disk boot", runs: [] };
    const diskBench = diskBoots ? await prepareDiskBoot() : undefined;
    try {
      // Warm-up: compiles v86's wasm and fills the OS file cache.
      await (kernelBoots ? bootNodeOnce() : diskBench!.bootOnce());
      for (let i = 0; i < options.runs; i++) {
        if (kernelBoots) {
          node.runs.push(await bootNodeOnce());
          progress(`node run ${i + 1}/${options.runs}: ${Math.round(node.runs.at(-1)!.total)} ms`);
          ownJit.runs.push(await bootNodeOnce(undefined, { jit: V86_OWN_JIT }));
          progress(`${OWN_JIT_NODE} run ${i + 1}/${options.runs}: ${Math.round(ownJit.runs.at(-1)!.total)} ms`);
        }
        if (diskBench) {
          disk.runs.push(await diskBench.bootOnce());
          progress(`node disk boot run ${i + 1}/${options.runs}: ${Math.round(disk.runs.at(-1)!.total)} ms`);
        }
      }
    } finally {
      await diskBench?.close();
    }
    if (kernelBoots) scenarios.push(node, ownJit);
    if (diskBoots) scenarios.push(disk);
  }

  if (wanted("browser")) {
    const site = await openBuiltSite();
    try {
      const browserScenarios = BROWSER_VARIANTS.map((v) => ({ name: v.name, runs: [] as BootBreakdown[] }));
      await bootBrowserOnce(site.context, site.url, BROWSER_VARIANTS[0]!); // warm-up
      for (let i = 0; i < options.runs; i++) {
        for (const [k, variant] of BROWSER_VARIANTS.entries()) {
          const run = await bootBrowserOnce(site.context, site.url, variant);
          browserScenarios[k]!.runs.push(run);
          progress(`${variant.name} run ${i + 1}/${options.runs}: ${Math.round(run.total)} ms`);
        }
      }
      scenarios.push(...browserScenarios);
    } finally {
      await site.close();
    }
  }

  let devices: DeviceResults | undefined;
  if (wanted("devices")) devices = await runDeviceBenchmarks(options.runs, progress);
  let blk: BlkResults | undefined;
  if (wanted("blk")) blk = await benchBlk(options.runs, progress);
  let net: NetResults | undefined;
  let netIperf3: Iperf3Results | undefined;
  if (wanted("net")) net = await benchNet(options.runs, progress);
  // Debian's iperf3 in the guest: long (minutes), so --only net leaves it out.
  if (wanted("iperf3")) netIperf3 = await benchIperf3(options.runs, progress);
  let ninep: NinepResults | undefined;
  if (wanted("9p")) ninep = await benchNinep(options.runs, progress);
  let inspector: InspectorResults | undefined;
  if (wanted("inspector")) inspector = await benchInspector(options.runs, progress);
  const snapshot: SnapshotResults | undefined = wanted("snapshot") ? await benchSnapshot(options.runs, progress) : undefined;
  const transports: TransportResults | undefined = wanted("transports") ? await benchTransports(options.runs, progress) : undefined;
  const timeline = wanted("timeline") ? await benchTimeline(options.runs, progress) : undefined;
  const scaling = options.only?.includes("scaling") ? await benchScaling(options.runs, progress) : undefined;

  const hostCopy = devices || blk || net || ninep ? measureHostCopy() : undefined;
  const deviceTable = { devices, blk, net, ninep, hostCopy };
  const summaries = scenarios.map((s) => ({ name: s.name, ms: summarizeScenario(s) }));
  const nodeTotal = summaries.find((s) => s.name === "node")?.ms.total;
  const worker = summaries.find((s) => s.name === BROWSER_VARIANTS[0]!.name)?.ms;
  const main = summaries.find((s) => s.name === MAIN_THREAD_BROWSER)?.ms;
  const ratio = (key: keyof BootBreakdown) =>
    worker && main ? worker[key]!.median / main[key]!.median : undefined;
  const verdict = {
    boot_goal_ms: BOOT_GOAL_MS,
    node_median_ms: nodeTotal?.median,
    worker_median_ms: worker?.total?.median,
    /** Boot time, worker / main thread: below 1 means the worker boots faster. */
    worker_over_main_thread_boot: ratio("total"),
    /** Guest dd throughput, worker / main thread: above 1 means the worker runs faster. */
    worker_over_main_thread_dd: ratio("ddMiBps"),
  };

  if (options.json) {
    process.stdout.write(`${JSON.stringify({ runs: options.runs, boot: summaries, verdict, devices, blk, net, net_iperf3: netIperf3, ninep, inspector, snapshot, transports, timeline, scaling, host_copy: hostCopy, every_device: summaryRows(deviceTable) }, null, 2)}\n`);
    return;
  }
  const out: string[] = [];
  if (summaries.length > 0) out.push(...bootTable(summaries), "");
  for (const [where, median] of [["node", verdict.node_median_ms], [BROWSER_VARIANTS[0]!.name, verdict.worker_median_ms]] as const) {
    if (median === undefined) continue;
    const off = Math.round(Math.abs(median - BOOT_GOAL_MS));
    out.push(`${where}: median ${Math.round(median)} ms to a shell; goal ${BOOT_GOAL_MS} ms: ${median <= BOOT_GOAL_MS ? `met, ${off} ms under` : `not met, ${off} ms over`}`);
  }
  out.push(...jitComparison(summaries));
  if (verdict.worker_over_main_thread_boot !== undefined && verdict.worker_over_main_thread_dd !== undefined) {
    out.push(
      `chromium, worker / main thread: boot time ${verdict.worker_over_main_thread_boot.toFixed(2)} (below 1: worker faster), ` +
        `dd throughput ${verdict.worker_over_main_thread_dd.toFixed(2)} (above 1: worker faster)`,
    );
  }
  if (devices) out.push(...(out.length > 0 ? [""] : []), formatDeviceResults(devices));
  if (blk) out.push(...(out.length > 0 ? [""] : []), formatBlk(blk));
  if (net) out.push(...(out.length > 0 ? [""] : []), formatNet(net));
  if (netIperf3) out.push("", formatIperf3(netIperf3, net));
  if (ninep) out.push(...(out.length > 0 ? [""] : []), formatNinep(ninep));
  if (inspector) out.push(...(out.length > 0 ? [""] : []), formatInspector(inspector));
  if (snapshot) out.push(...(out.length > 0 ? [""] : []), formatSnapshot(snapshot));
  if (transports) out.push(...(out.length > 0 ? [""] : []), formatTransports(transports));
  if (timeline) out.push(...(out.length > 0 ? [""] : []), formatTimeline(timeline));
  if (scaling) out.push(...(out.length > 0 ? [""] : []), formatScaling(scaling));
  const everyDevice = formatSummary(deviceTable);
  if (everyDevice) out.push("", "Every device, ours beside v86's and the limits (medians):", everyDevice);
  process.stdout.write(`${out.join("\n")}\n`);
}

/** Boot time with ringside's JIT settings over v86's own, for each place both were booted in turns. */
function jitComparison(summaries: { name: string; ms: Record<string, Summary> }[]): string[] {
  const pairs: [string, string][] = [["node", OWN_JIT_NODE], [BROWSER_VARIANTS[0]!.name, OWN_JIT_BROWSER]];
  return pairs.flatMap(([ours, theirs]) => {
    const a = summaries.find((s) => s.name === ours)?.ms.total;
    const b = summaries.find((s) => s.name === theirs)?.ms.total;
    if (!a || !b) return [];
    return [`${ours}: the boot's JIT (compiling only in the decompressor, modules of one page) / v86's own settings throughout, boot time ${(a.median / b.median).toFixed(2)} (${Math.round(a.median)} against ${Math.round(b.median)} ms, medians)`];
  });
}

async function soak(json: boolean): Promise<void> {
  const results = await benchSoak(progress);
  process.stdout.write(json ? `${JSON.stringify({ soak: results }, null, 2)}\n` : `${formatSoak(results)}\n`);
  // A corrupted byte anywhere is a failure of the run, not just a figure.
  if (!results.sha256_all_match) throw new Error(`soak: ${results.mismatches.length} sha256 mismatches`);
}

async function browserSoak(json: boolean): Promise<void> {
  const results = await benchBrowserSoak(progress);
  process.stdout.write(json ? `${JSON.stringify({ browser_soak: results }, null, 2)}\n` : `${formatBrowserSoak(results)}\n`);
  if (!results.sha256_all_match) throw new Error(`browser soak: ${results.mismatches.length} sha256 mismatches`);
}

function bootTable(summaries: Array<{ name: string; ms: Record<string, Summary> }>): string[] {
  const header = ["ms (min / median / max)", ...summaries.map((s) => s.name)];
  const rows = PHASES.map(([key, label]) => [label, ...summaries.map((s) => formatMs(s.ms[key]!))]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("-|-"), ...rows.map(line)];
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench: ${errorMessage(err)}\n`);
    process.exit(1);
  },
);
