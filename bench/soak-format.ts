// The soak's tables, in the style of the other bench sections.
import type { MemoryGrowth, MemorySample } from "./soak-memory.js";
import type { SoakPhase, SoakResults } from "./soak-bench.js";
import { formatMiB } from "../src/util/format-bytes.js";

const MiB = 1024 * 1024;

export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("-|-"), ...rows.map(line)];
}

export function phaseRow(name: string, p: SoakPhase): string[] {
  const n = (x: number) => x.toFixed(1);
  const c = p.chunk_mib_per_s;
  return [
    name,
    `${p.mib}`,
    n(p.mib_per_s),
    `${n(c.min)} / ${n(c.median)} / ${n(c.max)} (${n(p.first_chunk_mib_per_s)} -> ${n(p.last_chunk_mib_per_s)})`,
    p.kicks_per_mib.toFixed(2),
    p.irqs_per_mib.toFixed(2),
    `${p.sha256_match ? "yes" : "NO"} (${p.chunks_checked} chunks)`,
  ];
}

const mib = (n: number) => `${n >= 0 ? "" : "-"}${(Math.abs(n) / MiB).toFixed(1)}`;

const MEMORY_FIELDS: Array<[keyof MemoryGrowth["growth"], string]> = [
  ["heap_used", "heap used"],
  ["heap_total", "heap total (reserved)"],
  ["external", "external (incl. wasm memory, reserved whole)"],
  ["array_buffers", "array buffers"],
  ["rss", "rss"],
  ["wasm_resident", "  of which guest RAM (wasm memory) resident"],
];

function memoryRows(g: MemoryGrowth): string[][] {
  return MEMORY_FIELDS.map(([f, label]) => [
    label,
    mib(g.before[f]),
    mib(g.after[f]),
    mib(g.growth[f]),
    // The guest's RAM is what rss's "beyond" figure leaves out, not a figure of its own.
    f === "wasm_resident" ? "-" : mib(g.growth_beyond_disk[f]),
  ]);
}

/** One line per window: growth beyond the disk data, field by field. */
function windowLine(title: string, g: MemoryGrowth): string {
  const b = g.growth_beyond_disk;
  return `  ${title} (${g.before.label} -> ${g.after.label}, disk +${mib(g.disk_growth)}): heap used ${mib(b.heap_used)}, ` +
    `heap total ${mib(b.heap_total)}, external ${mib(b.external)}, array buffers ${mib(b.array_buffers)}, rss ${mib(b.rss)} ` +
    `(guest RAM resident ${mib(g.growth.wasm_resident)})`;
}

export function formatSoak(s: SoakResults): string {
  const lines = table(
    ["soak", "MiB", "MiB/s", "per chunk MiB/s: min / median / max (first -> last)", "kicks per MiB", "interrupts per MiB", "sha256 match"],
    [
      phaseRow("virtio-net host to guest", s.net_download),
      phaseRow("virtio-net guest to host", s.net_upload),
      phaseRow("virtio-blk write (fsync)", s.blk_write),
      phaseRow("virtio-blk read (cache dropped)", s.blk_read),
    ],
  );
  const g = s.memory;
  lines.push(
    "",
    ...table(["memory, MiB (after forced GC)", g.before.label, g.after.label, "growth", "growth beyond disk data"], memoryRows(g)),
    `disk data held by the backend: ${formatMiB(g.before.disk_bytes)} -> ${formatMiB(g.after.disk_bytes)}`,
    "growth beyond disk data in later windows, MiB:",
    windowLine("after warm-up", s.memory_after_warmup),
    windowLine("after the disk writes", s.memory_after_disk_writes),
  );
  const trend = (f: (m: MemorySample) => number) => s.memory_samples.map((m) => (f(m) / MiB).toFixed(1)).join(" ");
  lines.push(
    "",
    "after boot, each chunk and the end, MiB:",
    `  heap used:                             ${trend((m) => m.heap_used)}`,
    `  rss:                                   ${trend((m) => m.rss)}`,
    `  rss - disk data - guest RAM resident:  ${trend((m) => m.rss - m.disk_bytes - m.wasm_resident)}`,
    "growth beyond disk data: heap as measured (it holds the disk's index of its chunks); external and array buffers minus the disk's bytes; " +
      "rss minus the disk's bytes and minus the guest RAM made resident (bounded by the guest's RAM size).",
  );
  lines.push("", `sha256: ${s.sha256_all_match ? "every chunk matched" : `${s.mismatches.length} MISMATCHES`}; wall time ${s.wall_seconds.toFixed(0)} s`);
  lines.push(...s.mismatches.map((m) => `  ${m}`));
  lines.push(s.note);
  return lines.join("\n");
}
