// "How cost grows" (npm run bench -- --only scaling; several minutes, so not in the default
// run): guest memory from 128 MiB to 2 GiB (scaling-memory.ts), the inspector with 256
// against 1024-slot queues (scaling-inspector.ts), and 1 to 8 concurrent downloads
// (scaling-transfers.ts). Three tables, each with a last column or line that says how a
// figure grew against what it was scaled by.
import { benchMemoryScaling, type MemoryScaling } from "./scaling-memory.js";
import { benchInspectorScaling, POLL_MS, type InspectorScaling } from "./scaling-inspector.js";
import { benchTransferScaling, type TransferScaling } from "./scaling-transfers.js";
import type { Summary } from "./stats.js";

export interface ScalingResults {
  memory: MemoryScaling[];
  inspector: InspectorScaling[];
  transfers: TransferScaling[];
  note: string;
}

export async function benchScaling(runs: number, progress: (message: string) => void): Promise<ScalingResults> {
  const memory = await benchMemoryScaling(runs, progress);
  const inspector = await benchInspectorScaling(runs, progress);
  const transfers = await benchTransferScaling(runs, progress);
  return {
    memory,
    inspector,
    transfers,
    note:
      "memory: the instant shell's machine (console, rng, host network) cold-booted, saved 1 s after the prompt, restored until " +
      "`grep MemTotal` answered, sizes in a rotated order each run; inspector: Machine.inspect() plus a structuredClone of its " +
      "answer (the worker's update), and 64 MiB downloads with that update every 85 ms and without, alternating; transfers: " +
      "128 MiB split over N background wgets, one machine, counts from the card's rx and tx queues",
  };
}

const range = (s: Summary, digits = 0, scale = 1): string =>
  [s.min, s.median, s.max].map((v) => (v / scale).toFixed(digits)).join(" / ");

/** How much a figure grew from the first row to this one, against how much the scale grew. */
const growth = (first: number, now: number): string => `${(now / first).toFixed(2)}x`;

function memoryTable(rows: MemoryScaling[]): string[] {
  const first = rows[0]!;
  const lines = [
    "scaling: guest memory (min / median / max) | guest sees MiB | boot to shell ms | boot, M guest instructions | state raw MiB | state gzip MiB | save ms | decode ms | restore to answer ms | growth of boot instructions, gzip, save, restore",
  ];
  for (const r of rows) {
    lines.push(
      `${r.memory_mib} MiB | ${r.guest_mem_total_mib} | ${range(r.boot_ms)} | ${range(r.boot_instructions, 0, 1e6)} | ${range(r.state_raw_bytes, 1, 2 ** 20)} | ` +
        `${range(r.state_compressed_bytes, 2, 2 ** 20)} | ${range(r.save_ms)} | ${range(r.decode_ms)} | ${range(r.restore_ms)} | ` +
        [r.boot_instructions, r.state_compressed_bytes, r.save_ms, r.restore_ms]
          .map((s, i) => growth([first.boot_instructions, first.state_compressed_bytes, first.save_ms, first.restore_ms][i]!.median, s.median))
          .join(", ") +
        ` (memory ${growth(first.memory_mib, r.memory_mib)})`,
    );
  }
  return lines;
}

function inspectorTable(rows: InspectorScaling[]): string[] {
  const first = rows[0]!;
  const lines = [
    "scaling: inspector (min / median / max) | live slots | view bytes | inspect µs | clone µs | update during download µs | " +
      `share of the machine's thread at one update per ${POLL_MS} ms | download MiB/s, not polled | polled | polled/not (pairs)`,
  ];
  for (const r of rows) {
    lines.push(
      `${r.queue_size}-slot queues | ${r.total_slots} | ${r.view_bytes} | ${range(r.inspect_us, 1)} | ${range(r.clone_us, 1)} | ` +
        `${range(r.update_during_download_us, 1)} | ${((r.update_during_download_us.median / (POLL_MS * 1000)) * 100).toFixed(2)}% | ` +
        `${range(r.download_mib_per_s_off, 1)} | ${range(r.download_mib_per_s_on, 1)} | ` +
        `${r.paired_on_over_off.toFixed(3)}`,
    );
  }
  const last = rows.at(-1)!;
  lines.push(
    `from ${first.queue_size} to ${last.queue_size} slots (${growth(first.total_slots, last.total_slots)} the slots): view bytes ` +
      `${growth(first.view_bytes, last.view_bytes)}, inspect ${growth(first.inspect_us.median, last.inspect_us.median)}, ` +
      `clone ${growth(first.clone_us.median, last.clone_us.median)}`,
  );
  return lines;
}

function transferTable(rows: TransferScaling[]): string[] {
  const lines = [
    "scaling: transfers at once (min / median / max) | MiB each | total MiB/s | kicks per MiB | of them rx / tx (medians) | interrupts per MiB | rx stalls per MiB | frames per MiB | connections at once | retransmitted segments",
  ];
  for (const r of rows) {
    lines.push(
      `${r.transfers} | ${r.mib_per_transfer} | ${range(r.total_mib_per_s, 1)} | ${range(r.kicks_per_mib, 2)} | ${r.rx_kicks_per_mib.median.toFixed(2)} / ${r.tx_kicks_per_mib.median.toFixed(2)} | ${range(r.irqs_per_mib, 1)} | ${range(r.rx_stalls_per_mib, 2)} | ` +
        `${range(r.frames_per_mib, 1)} | ${range(r.most_connections)} | ${range(r.retransmitted_segments)}`,
    );
  }
  return lines;
}

export function formatScaling(r: ScalingResults): string {
  return [...memoryTable(r.memory), "", ...inspectorTable(r.inspector), "", ...transferTable(r.transfers), r.note].join("\n");
}
