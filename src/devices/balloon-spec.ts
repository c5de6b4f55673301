// virtio-balloon's wire format (spec 5.5): its ID, feature bits, config fields, queues and
// the tags of the guest's memory statistics.
import type { DeviceInfo } from "../virtio/device-info.js";

export const VIRTIO_ID_BALLOON = 5;

/** The guest must tell the host before it uses a deflated page (not offered). */
export const BALLOON_F_MUST_TELL_HOST = 1n << 0n;
/** The guest reports memory statistics on the stats queue. */
export const BALLOON_F_STATS_VQ = 1n << 1n;
/** The guest deflates the balloon itself when it runs out of memory. */
export const BALLOON_F_DEFLATE_ON_OOM = 1n << 2n;
/** The guest reports ranges of free memory the host may discard. */
export const BALLOON_F_PAGE_REPORTING = 1n << 5n;

/** The balloon's unit: inflate and deflate move 4 KiB pages whatever the guest's page size. */
export const BALLOON_PAGE_BYTES = 4096;

/** num_pages (the host's target, in balloon pages) and actual (the guest's count): u32 each. */
export const BALLOON_CONFIG_SIZE = 8;
export const CONFIG_NUM_PAGES = 0;
export const CONFIG_ACTUAL = 4;

/** Queue indices. The stats queue exists with STATS_VQ, reporting with PAGE_REPORTING: both are offered. */
export const INFLATEQ = 0;
export const DEFLATEQ = 1;

/** One statistic on the stats queue: u16 tag, u64 value, packed (10 bytes). */
export const STAT_ENTRY_BYTES = 10;

/** The spec's statistics (5.5.6.3), by tag: name, and whether the value is in bytes. */
export const STAT_TAGS: ReadonlyArray<readonly [tag: number, name: string, bytes: boolean]> = [
  [0, "swap_in", true],
  [1, "swap_out", true],
  [2, "major_faults", false],
  [3, "minor_faults", false],
  [4, "free_memory", true],
  [5, "total_memory", true],
  [6, "available_memory", true],
  [7, "disk_caches", true],
  [8, "hugetlb_allocations", false],
  [9, "hugetlb_failures", false],
];

/** What the balloon says about itself. */
export const BALLOON_INFO: DeviceInfo = {
  id: VIRTIO_ID_BALLOON,
  name: "virtio-balloon",
  kind: "other",
  featureNames: [
    [0, "BALLOON_F_MUST_TELL_HOST"],
    [1, "BALLOON_F_STATS_VQ"],
    [2, "BALLOON_F_DEFLATE_ON_OOM"],
    [3, "BALLOON_F_FREE_PAGE_HINT"],
    [4, "BALLOON_F_PAGE_POISON"],
    [5, "BALLOON_F_PAGE_REPORTING"],
  ],
  configSize: BALLOON_CONFIG_SIZE,
  config: [
    { name: "num_pages", offset: CONFIG_NUM_PAGES, size: 4, format: "number", about: "pages (4 KiB) the host asks the guest to give up" },
    { name: "actual", offset: CONFIG_ACTUAL, size: 4, format: "number", about: "pages the guest says it has given up" },
  ],
  queueNames: ["inflateq", "deflateq", "statsq", "reporting_vq"],
};

/**
 * Where the optional queues are. Linux numbers the queues it finds in order, leaving out
 * those of features it did not take: without STATS_VQ, reporting_vq is queue 2.
 */
export function optionalQueues(features: bigint): { stats: number | undefined; reporting: number | undefined } {
  const stats = (features & BALLOON_F_STATS_VQ) !== 0n ? 2 : undefined;
  const reporting = (features & BALLOON_F_PAGE_REPORTING) !== 0n ? (stats === undefined ? 2 : 3) : undefined;
  return { stats, reporting };
}
