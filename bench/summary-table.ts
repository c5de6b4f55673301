// One table of every device from one run: ours beside v86's own device measured in the
// same machine, and beside the limits no device can pass (the guest's own memory
// bandwidth, `dd` from /dev/zero to /dev/null; the host's own copy speed). A row whose
// figure is not a byte rate (files/s, IOPS) is set against the limits as the bytes it
// moves, so its ratio to a limit says how far the per-request cost keeps it from them.
import type { BlkResults } from "./blk-bench.js";
import type { DeviceResults } from "./devices.js";
import type { NetResults, NetScenario } from "./net-bench.js";
import type { NinepResults } from "./ninep-bench.js";
import type { Summary } from "./stats.js";

export interface SummaryInputs {
  devices?: DeviceResults;
  blk?: BlkResults;
  net?: NetResults;
  ninep?: NinepResults;
  /** The host's copy speed, MiB/s (host-copy.ts). */
  hostCopy?: Summary;
}

export interface SummaryRow {
  device: string;
  unit: string;
  ours: number;
  v86: number | null;
  /** What `ours` comes to in MiB/s, to set against the limits. */
  oursMiBps: number;
}

const KiB4 = 4 / 1024;
const SMALL_FILE_MIB = 1 / 1024;

export function summaryRows(r: SummaryInputs): SummaryRow[] {
  const rows: SummaryRow[] = [];
  const push = (device: string, unit: string, ours: Summary, v86: Summary | null, mibPerUnit: number) =>
    rows.push({ device, unit, ours: ours.median, v86: v86?.median ?? null, oursMiBps: ours.median * mibPerUnit });
  const d = r.devices;
  if (d) {
    push("console, raw", "MiB/s", d.console_raw_ours.mib_per_s, d.console_raw_v86.mib_per_s, 1);
    push("console, cooked (opost onlcr)", "MiB/s", d.console_cooked_ours.mib_per_s, d.console_cooked_v86.mib_per_s, 1);
    push("console, cooked-lf (opost -onlcr)", "MiB/s", d.console_cooked_lf_ours.mib_per_s, d.console_cooked_lf_v86.mib_per_s, 1);
    push("rng (v86 has none)", "MiB/s", d.hwrng.mib_per_s, null, 1);
  }
  const b = r.blk;
  if (b) {
    push("disk, sequential read", "MiB/s", b.blk_seq_read.mib_per_s, b.ide_seq_read.mib_per_s, 1);
    push("disk, sequential write", "MiB/s", b.blk_seq_write.mib_per_s, b.ide_seq_write.mib_per_s, 1);
    const iops = (s: BlkResults["blk_rand_read_4k"]) => s.iops ?? null;
    const ours = iops(b.blk_rand_read_4k);
    if (ours) push("disk, 4 KiB random read", "IOPS", ours, iops(b.ide_rand_read_4k), KiB4);
  }
  const n = r.net;
  if (n) {
    const card = (key: string) => (typeof n[key] === "object" ? (n[key] as NetScenario).mib_per_s : null);
    const directions = [
      ["network, host to guest (wget)", "host_to_guest"],
      ["network, guest to host (nc, 1 KiB writes)", "guest_to_host"],
      ["network, guest to host (large writes)", "guest_to_host_bulk"],
    ] as const;
    for (const [label, direction] of directions) {
      const ours = card(`ours_shared_${direction}`);
      if (ours) push(label, "MiB/s", ours, card(`v86_virtio_${direction}`), 1);
    }
  }
  const p = r.ninep;
  if (p) {
    push("9p, read 1 KiB files", "files/s", p.ours_read.per_s, p.v86_read.per_s, SMALL_FILE_MIB);
    push("9p, create 1 KiB files", "files/s", p.ours_create.per_s, p.v86_create.per_s, SMALL_FILE_MIB);
    push("9p, read 64 MiB file", "MiB/s", p.ours_read64.per_s, p.v86_read64.per_s, 1);
    push("9p, write 64 MiB file", "MiB/s", p.ours_write64.per_s, p.v86_write64.per_s, 1);
  }
  return rows;
}

/** The table as Markdown, ready for docs/benchmarks.md. */
export function formatSummary(r: SummaryInputs): string {
  const rows = summaryRows(r);
  if (rows.length === 0) return "";
  const guestLimit = r.blk?.guest_dd_ceiling.mib_per_s.median;
  const hostLimit = r.hostCopy?.median;
  const f = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
  // Two significant figures below 0.1, so a far-off ratio (1 KiB files against GiB/s) is not 0.000.
  const ratio = (a: number, b: number | null | undefined) => (b ? `${a / b < 0.1 ? (a / b).toPrecision(2) : (a / b).toFixed(2)}` : "-");
  const lines = [
    `limits: guest memory bandwidth ${guestLimit ? `${f(guestLimit)} MiB/s` : "not measured (needs --only blk)"}, ` +
      `host copy ${hostLimit ? `${f(hostLimit)} MiB/s` : "not measured"}`,
    "| device | unit | ours | v86's | ours / v86's | ours / guest memory bandwidth | ours / host copy |",
    "| --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const row of rows) {
    lines.push(
      `| ${row.device} | ${row.unit} | ${f(row.ours)} | ${row.v86 === null ? "-" : f(row.v86)} | ${ratio(row.ours, row.v86)} | ` +
        `${ratio(row.oursMiBps, guestLimit)} | ${ratio(row.oursMiBps, hostLimit)} |`,
    );
  }
  return lines.join("\n");
}
