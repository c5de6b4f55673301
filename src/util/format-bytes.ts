// Byte counts for people: binary units (KiB, MiB, GiB), as the guest's tools and our
// options count memory and disks.

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/**
 * A size in the largest unit it reaches: "512 B", "1.5 KiB", "30.8 MiB", "4.21 GiB"
 * (GiB with two decimals: a disk's few GiB differ in the second digit). Below 1 KiB in
 * whole bytes, so a rate (bytes per second) reads the same way.
 */
export function formatBytes(bytes: number): string {
  const size = Math.abs(bytes);
  if (size >= GiB) return `${(bytes / GiB).toFixed(2)} GiB`;
  if (size >= MiB) return `${(bytes / MiB).toFixed(1)} MiB`;
  if (size >= KiB) return `${(bytes / KiB).toFixed(1)} KiB`;
  return `${Math.round(bytes)} B`;
}

/**
 * A size in MiB whatever its magnitude, "12.3 MiB": for figures read side by side (a
 * benchmark's rows, memory before and after), where one unit compares at a glance.
 */
export function formatMiB(bytes: number, decimals = 1): string {
  return `${(bytes / MiB).toFixed(decimals)} MiB`;
}
