// Device throughput, in one machine booted with v86's virtio-console next to ours:
// console output (ours against v86's, the runs alternating and taking turns going first,
// in a raw terminal, a cooked one and a cooked one that leaves newlines alone; see
// console-bench.ts; MiB/s and per MiB count the file's bytes, not the CRs a cooked
// terminal adds) and /dev/hwrng from our
// virtio-rng. Times come from the guest (busybox `time`); kicks and interrupts from our
// per-queue counters, and for v86's device from the guest's /proc/interrupts.
import {
  openV86Console,
  prepareConsoleFile,
  runOurConsole,
  runV86Console,
  setConsoleMode,
  type ConsoleMode,
  type ConsoleRun,
} from "./console-bench.js";
import { startDeviceMachine } from "./device-machine.js";
import { runRng, type RngRun } from "./rng-bench.js";
import { summarize, type Summary } from "./stats.js";
import { formatMiB } from "../src/util/format-bytes.js";

/** The console file is this many copies of 1.35 MiB of base64 (about 12 MiB). */
const CONSOLE_COPIES = 9;
const MODES: readonly ConsoleMode[] = ["raw", "cooked", "cooked-lf"];
/**
 * Copies of the file per run, so that each of ours takes 0.7-1.3 s here (raw output is about
 * 3x as fast as cooked-lf, and cooked, with two kicks a line, 5x slower than that): the
 * guest's `time` counts in 10 ms steps, and one copy at the 50 MiB/s cooked-lf reaches took
 * 0.24 s, a 4% step.
 */
const SEND_COPIES: Record<ConsoleMode, number> = { raw: 8, cooked: 1, "cooked-lf": 3 };
const WARM_UP_RUNS = 2;
/** /dev/hwrng reads of this many 4 KiB blocks (1 MiB): about 1.5 s at ~0.7 MiB/s. */
const RNG_BLOCKS = 256;

export interface DeviceScenario {
  name: string;
  /** Bytes moved per run. */
  bytes: number;
  mib_per_s: Summary;
  kicks_per_mib: Summary | null;
  irqs_per_mib: Summary | null;
  /**
   * Interrupts the guest took on the device's IRQ line per MiB (/proc/interrupts), less
   * those our devices sharing the line raised meanwhile; null when a device not ours
   * shares it. For ours a cross-check of irqs_per_mib (this also counts the receive queue
   * and the shell's framing around each run).
   */
  guest_irqs_per_mib: Summary | null;
  note?: string;
}

export interface ConsoleRatio {
  /** Console throughput ours / v86's: of the medians, and per alternating pair. */
  of_medians: number;
  per_pair: Summary;
}

export interface DeviceResults {
  console_raw_ours: DeviceScenario;
  console_raw_v86: DeviceScenario;
  console_cooked_ours: DeviceScenario;
  console_cooked_v86: DeviceScenario;
  console_cooked_lf_ours: DeviceScenario;
  console_cooked_lf_v86: DeviceScenario;
  hwrng: DeviceScenario;
  console_ours_over_v86: Record<ConsoleMode, ConsoleRatio>;
  /** How the guest reaches v86's console, e.g. /dev/hvc1. */
  v86_console_node: string;
}

/** A mode as it appears in result keys (console_cooked_lf_ours). */
const MODE_KEY: Record<ConsoleMode, "raw" | "cooked" | "cooked_lf"> = { raw: "raw", cooked: "cooked", "cooked-lf": "cooked_lf" };

const orNull = (values: readonly (number | null)[]): Summary | null => {
  const known = values.filter((v): v is number => v !== null);
  return known.length > 0 ? summarize(known) : null;
};

function consoleScenario(name: string, bytes: number, runs: ConsoleRun[], notes: string[]): DeviceScenario {
  const irqs = runs.map((r) => r.guestIrqsPerMiB);
  const known = irqs.filter((v) => v !== null).length;
  if (known > 0 && known < runs.length) notes.push(`guest IRQs from ${known} of ${runs.length} runs`);
  notes.push(...new Set(runs.flatMap((r) => (r.note ? [r.note] : []))));
  const shared = runs.flatMap((r) => (r.line && r.line.sharers.length > 0 ? [r.line] : []));
  if (shared.length > 0) {
    const subtracted = shared.reduce((n, l) => n + l.subtracted, 0);
    notes.push(
      `IRQ ${shared[0]!.irq} is shared with our ${[...new Set(shared.flatMap((l) => l.sharers))].join(", ")}: ` +
        `the ${subtracted} interrupt(s) it raised during the ${runs.length} runs (our counters) were taken off the guest's count`,
    );
  }
  const note = notes.join("; ");
  return {
    name,
    bytes,
    mib_per_s: summarize(runs.map((r) => r.mibPerS)),
    kicks_per_mib: orNull(runs.map((r) => r.kicksPerMiB)),
    irqs_per_mib: orNull(runs.map((r) => r.irqsPerMiB)),
    guest_irqs_per_mib: orNull(irqs),
    ...(note ? { note } : {}),
  };
}

function rngScenario(bytes: number, runs: RngRun[]): DeviceScenario {
  const perBuffer = [...new Set(runs.map((r) => Math.round(r.bytesPerBuffer)))].join(", ");
  return {
    name: "hwrng: ours (dd bs=4096)",
    bytes,
    mib_per_s: summarize(runs.map((r) => r.mibPerS)),
    kicks_per_mib: summarize(runs.map((r) => r.kicksPerMiB)),
    irqs_per_mib: summarize(runs.map((r) => r.irqsPerMiB)),
    guest_irqs_per_mib: null,
    note: `the guest driver posts ${perBuffer} bytes per buffer, one buffer at a time; guest_irqs_per_mib: the line is shared with v86's console`,
  };
}

export async function runDeviceBenchmarks(runs: number, progress: (message: string) => void): Promise<DeviceResults> {
  const m = await startDeviceMachine();
  try {
    const file = await prepareConsoleFile(m, CONSOLE_COPIES);
    const node = await openV86Console(m);
    progress(`devices: ${formatMiB(file.bytes, 2)} console file; v86's console is ${node}`);
    const sent: Record<ConsoleMode, { ours: ConsoleRun[]; v86: ConsoleRun[] }> = {
      raw: { ours: [], v86: [] },
      cooked: { ours: [], v86: [] },
      "cooked-lf": { ours: [], v86: [] },
    };
    // Negative runs are warm-ups, not counted: ours needs two or three runs to reach its
    // steady speed (host JIT tiering of our device path, v86 compiling the guest's code).
    for (let i = -WARM_UP_RUNS; i < runs; i++) {
      for (const mode of MODES) {
        await setConsoleMode(m, mode);
        const copies = SEND_COPIES[mode];
        // Each pair of runs alternates which console goes first.
        const pair = (i & 1) === 0 ? (["ours", "v86"] as const) : (["v86", "ours"] as const);
        const got: Partial<Record<"ours" | "v86", ConsoleRun>> = {};
        for (const which of pair) {
          got[which] = which === "ours" ? await runOurConsole(m, file, copies, mode) : await runV86Console(m, file, copies, mode);
        }
        if (i < 0) continue;
        sent[mode].ours.push(got.ours!);
        sent[mode].v86.push(got.v86!);
        progress(`console ${mode} run ${i + 1}/${runs}: ours ${got.ours!.mibPerS.toFixed(2)} MiB/s, v86's ${got.v86!.mibPerS.toFixed(2)} MiB/s`);
      }
    }

    await runRng(m, RNG_BLOCKS / 4); // warm-up
    const rng: RngRun[] = [];
    for (let i = 0; i < runs; i++) {
      rng.push(await runRng(m, RNG_BLOCKS));
      progress(`hwrng run ${i + 1}/${runs}: ${rng.at(-1)!.mibPerS.toFixed(2)} MiB/s`);
    }

    const v86Name = node.replace("/dev/", "");
    const v86Note = "kicks_per_mib: v86 keeps no counters; irqs_per_mib: the guest's /proc/interrupts";
    const scenario = (mode: ConsoleMode, which: "ours" | "v86") =>
      consoleScenario(
        `console ${mode}: ${which === "ours" ? "ours (hvc0)" : `v86's (${v86Name})`}`,
        file.bytes * SEND_COPIES[mode],
        sent[mode][which],
        which === "v86" ? [v86Note] : [],
      );
    const results = {
      console_raw_ours: scenario("raw", "ours"),
      console_raw_v86: scenario("raw", "v86"),
      console_cooked_ours: scenario("cooked", "ours"),
      console_cooked_v86: scenario("cooked", "v86"),
      console_cooked_lf_ours: scenario("cooked-lf", "ours"),
      console_cooked_lf_v86: scenario("cooked-lf", "v86"),
    };
    const ratio = (mode: ConsoleMode): ConsoleRatio => ({
      of_medians: results[`console_${MODE_KEY[mode]}_ours`].mib_per_s.median / results[`console_${MODE_KEY[mode]}_v86`].mib_per_s.median,
      per_pair: summarize(sent[mode].ours.map((r, i) => r.mibPerS / sent[mode].v86[i]!.mibPerS)),
    });
    return {
      ...results,
      hwrng: rngScenario(RNG_BLOCKS * 4096, rng),
      console_ours_over_v86: { raw: ratio("raw"), cooked: ratio("cooked"), "cooked-lf": ratio("cooked-lf") },
      v86_console_node: node,
    };
  } finally {
    await m.destroy();
  }
}

/** The devices table and what to read from it. */
export function formatDeviceResults(d: DeviceResults): string {
  const f = (s: Summary | null, digits: number) =>
    s ? [s.min, s.median, s.max].map((v) => v.toFixed(digits)).join(" / ") : "-";
  const scenarios = [
    d.console_raw_ours, d.console_raw_v86, d.console_cooked_ours, d.console_cooked_v86,
    d.console_cooked_lf_ours, d.console_cooked_lf_v86, d.hwrng,
  ];
  const header = ["devices (min / median / max)", "MiB/s", "kicks per MiB", "interrupts per MiB", "guest IRQs per MiB"];
  const rows = scenarios.map((s) => [
    s.name,
    f(s.mib_per_s, 2),
    f(s.kicks_per_mib, 0),
    f(s.irqs_per_mib, 0),
    f(s.guest_irqs_per_mib, 0),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ");
  return [
    line(header),
    widths.map((w) => "-".repeat(w)).join("-|-"),
    ...rows.map(line),
    "",
    ...MODES.map((mode) => {
      const r = d.console_ours_over_v86[mode];
      return `console ${mode} throughput, ours / v86's: ${r.of_medians.toFixed(2)} (medians); per alternating pair ${f(r.per_pair, 2)}`;
    }),
    ...scenarios.filter((s) => s.note).map((s) => `${s.name}: ${s.note}`),
  ].join("\n");
}
