// The browser soak's tables, in the Node soak's style (whose table and phase rows it shares).
import type { BrowserSoakResults } from "./soak-browser.js";
import { MEMORY_FIELDS, type BrowserMemoryGrowth, type BrowserMemorySample, type MemoryField } from "./soak-browser-memory.js";
import { phaseRow, table } from "./soak-format.js";
import { formatMiB } from "../src/util/format-bytes.js";

const MiB = 1024 * 1024;
const mib = (n: number) => `${n >= 0 ? "" : "-"}${(Math.abs(n) / MiB).toFixed(1)}`;
const signed = (n: number) => `${n >= 0 ? "+" : "-"}${mib(Math.abs(n))}`;

const LABELS: Record<MemoryField, string> = {
  worker_bytes: "worker, measureUserAgentSpecificMemory",
  worker_heap_used: "  worker V8 heap used (CDP)",
  worker_heap_total: "  worker V8 heap total, reserved (CDP)",
  worker_embedder_heap_used: "  worker Blink objects (CDP)",
  worker_backing_storage: "  worker ArrayBuffers (CDP)",
  window_bytes: "page (Window), measureUserAgentSpecificMemory",
  total_bytes: "whole measurement (page, workers, DOM, shared)",
};

function memoryRows(g: BrowserMemoryGrowth): string[][] {
  return MEMORY_FIELDS.map((f) => [LABELS[f], mib(g.before[f]), mib(g.after[f]), signed(g.growth[f])]);
}

export function formatBrowserSoak(s: BrowserSoakResults): string {
  const lines = table(
    ["browser soak (Chromium worker)", "MiB", "MiB/s", "per chunk MiB/s: min / median / max (first -> last)", "kicks per MiB", "interrupts per MiB", "sha256 match"],
    [
      phaseRow("virtio-net host to guest", s.net_download),
      phaseRow("virtio-net guest to host", s.net_upload),
      phaseRow("virtio-blk write to OPFS (fsync)", s.blk_write),
      phaseRow("virtio-blk read (cache dropped)", s.blk_read),
    ],
  );
  const g = s.memory;
  lines.push(
    "",
    ...table(["memory, MiB (after forced GC)", g.before.label, g.after.label, "growth"], memoryRows(g)),
    `  after warm-up (${s.memory_after_warmup.before.label} -> end): worker measured ${signed(s.memory_after_warmup.growth.worker_bytes)}, ` +
      `heap used ${signed(s.memory_after_warmup.growth.worker_heap_used)}, ArrayBuffers ${signed(s.memory_after_warmup.growth.worker_backing_storage)} MiB`,
    ...workerEntries(g.after),
  );
  const trend = (f: (m: BrowserMemorySample) => number) => s.memory_samples.map((m) => (f(m) / MiB).toFixed(1)).join(" ");
  lines.push(
    "",
    "after boot, each chunk and the end, MiB:",
    `  worker, measured:     ${trend((m) => m.worker_bytes)}`,
    `  worker heap used:     ${trend((m) => m.worker_heap_used)}`,
    `  worker ArrayBuffers:  ${trend((m) => m.worker_backing_storage)}`,
  );
  lines.push(
    "",
    `cross-origin isolated: ${s.cross_origin_isolated ? "yes" : "NO"}; boot to prompt ${s.boot_seconds.toFixed(1)} s; ` +
      `page errors: ${s.page_errors.length === 0 ? "none" : s.page_errors.join(" | ")}`,
    `sha256: ${s.sha256_all_match ? "every chunk matched" : `${s.mismatches.length} MISMATCHES`}; wall time ${s.wall_seconds.toFixed(0)} s`,
  );
  lines.push(...s.mismatches.map((m) => `  ${m}`));
  lines.push(s.note);
  return lines.join("\n");
}

function workerEntries(sample: BrowserMemorySample): string[] {
  return sample.worker_entries.map((e) => `  worker entry at the end: ${formatMiB(e.bytes)} [${e.types.join(", ")}] ${e.url}`);
}
