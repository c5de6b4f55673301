import { describe, expect, it } from "vitest";
import { formatSummary, summaryRows, type SummaryInputs } from "../../bench/summary-table.js";
import { summarize } from "../../bench/stats.js";
import type { BlkResults } from "../../bench/blk-bench.js";

const s = (median: number) => summarize([median * 0.9, median, median * 1.1]);
const blkScenario = (mibps: number, iops?: number) => ({ mib_per_s: s(mibps), ...(iops === undefined ? {} : { iops: s(iops) }), kicks_per_mib: null, irqs_per_mib: null });

function blk(): BlkResults {
  return {
    blk_seq_write: blkScenario(110), blk_seq_read: blkScenario(360), blk_rand_read_4k: blkScenario(25, 6400),
    blk_direct_write: blkScenario(760), blk_direct_read: blkScenario(1600),
    ide_seq_write: blkScenario(114), ide_seq_read: blkScenario(337), ide_rand_read_4k: blkScenario(18, 4600),
    ide_direct_write: blkScenario(840), ide_direct_read: blkScenario(1550),
    guest_dd_ceiling: blkScenario(5120), note: "",
  } as BlkResults;
}

describe("the every-device benchmark table", () => {
  it("sets a disk's IOPS against the limits as the bytes its 4 KiB reads move", () => {
    const rows = summaryRows({ blk: blk() });
    const random = rows.find((r) => r.device === "disk, 4 KiB random read");
    expect(random).toMatchObject({ unit: "IOPS", ours: 6400, v86: 4600 });
    expect(random!.oursMiBps).toBeCloseTo(25, 6);
    expect(rows.map((r) => r.device)).toEqual(["disk, sequential read", "disk, sequential write", "disk, 4 KiB random read"]);
  });

  it("gives each row its ratio to v86's and to both limits, and a dash where there is none", () => {
    const inputs: SummaryInputs = { blk: blk(), hostCopy: s(10240) };
    const table = formatSummary(inputs);
    expect(table).toContain("guest memory bandwidth 5120 MiB/s, host copy 10240 MiB/s");
    // 360 / 337 = 1.07; 360 / 5120 = 0.070 (below 0.1: three decimals); 360 / 10240 = 0.035.
    expect(table).toContain("| disk, sequential read | MiB/s | 360 | 337 | 1.07 | 0.070 | 0.035 |");
    const noLimits = formatSummary({ blk: { ...blk(), guest_dd_ceiling: { ...blkScenario(0), mib_per_s: summarize([]) } } });
    expect(noLimits).toContain("| disk, sequential read | MiB/s | 360 | 337 | 1.07 | - | - |");
  });

  it("is empty when no device section ran", () => {
    expect(formatSummary({})).toBe("");
  });
});
