// How the inspector writes numbers: addresses, sizes, rates and hex dumps, all as plain
// strings (the panel sets them with textContent).
import { formatBytes } from "../util/format-bytes.js";
import { slotStatusAt, type SlotStatus } from "../worker/api.js";

export function hex(n: number, digits = 0): string {
  return `0x${(n >>> 0).toString(16).padStart(digits, "0")}`;
}

/** 64-bit guest addresses arrive as numbers; above 2^32 `>>> 0` would cut them. */
export function address(n: number): string {
  return n > 0xffff_ffff ? `0x${n.toString(16)}` : hex(n, 8);
}

export function size(n: number): string {
  if (n >= 1 << 30 && n % (1 << 30) === 0) return `${n / (1 << 30)} GiB`;
  if (n >= 1 << 20 && n % (1 << 20) === 0) return `${n / (1 << 20)} MiB`;
  if (n >= 1 << 10 && n % (1 << 10) === 0) return `${n / (1 << 10)} KiB`;
  return `${n} B`;
}

/** A rate for the counters line: "0", "12.5", "3.4k", "1.2M". */
export function rate(perSecond: number): string {
  const n = Math.abs(perSecond);
  if (n >= 1e6) return `${(perSecond / 1e6).toFixed(1)}M`;
  if (n >= 1e4) return `${(perSecond / 1e3).toFixed(0)}k`;
  if (n >= 1e3) return `${(perSecond / 1e3).toFixed(1)}k`;
  if (n >= 10 || n === 0) return perSecond.toFixed(0);
  return perSecond.toFixed(1);
}

export function bytesPerSecond(perSecond: number): string {
  return `${formatBytes(perSecond)}/s`;
}

// Made once: toLocaleString builds a formatter on every call, dozens of times per update.
const GROUPED = new Intl.NumberFormat("en-US");
const CLOCK = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit" });

/** Whole counters with grouping, so 12345678 reads at a glance. */
export function count(n: number): string {
  return GROUPED.format(n);
}

/** "17:25:30", for the charts' time axis (seconds since the epoch in). */
export function clock(seconds: number): string {
  return CLOCK.format(seconds * 1000);
}

/** "00:03.0" (or a virtio-mmio device's "mmio@0xd0000000") from the inspector's address, checked so a bad value is shown, not trusted. */
export function pciAddress(a: string): string {
  return /^[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/i.test(a) || /^mmio@0x[0-9a-f]{8}$/i.test(a) ? a : `?${a}`;
}

export const IRQ_PINS = ["none", "INTA", "INTB", "INTC", "INTD"] as const;

export function irqPin(pin: number): string {
  return IRQ_PINS[pin] ?? `pin ${pin}`;
}

/** Split-ring flag words (virtio 1.x 2.7.6 and 2.7.8). */
export function availFlags(flags: number): string {
  return flags === 0 ? "0" : `${hex(flags)}${flags & 1 ? " NO_INTERRUPT" : ""}`;
}

export function usedFlags(flags: number): string {
  return flags === 0 ? "0" : `${hex(flags)}${flags & 1 ? " NO_NOTIFY" : ""}`;
}

/**
 * A hex dump: offset, 16 bytes in hex, and the printable ASCII (anything else as ".").
 * Values outside 0-255 are shown as "??" rather than trusted.
 */
export function hexDump(bytes: readonly number[], width = 16): string {
  const lines: string[] = [];
  for (let at = 0; at < bytes.length; at += width) {
    const row = bytes.slice(at, at + width);
    const hexes = row.map((b) => (Number.isInteger(b) && b >= 0 && b <= 255 ? b.toString(16).padStart(2, "0") : "??"));
    const ascii = row.map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".")).join("");
    const half = width / 2;
    const left = hexes.slice(0, half).join(" ");
    const right = hexes.slice(half).join(" ");
    lines.push(`${at.toString(16).padStart(4, "0")}  ${`${left}  ${right}`.padEnd(width * 3 + 1)} |${ascii}|`);
  }
  return lines.join("\n");
}

/** Device config space, as the machine sends it ("00 11 22 ..." or "001122..."), in rows of 16. */
export function configRows(config: string): string {
  const bytes = config.replace(/[^0-9a-f]/gi, "").match(/../g) ?? [];
  if (bytes.length === 0) return "(empty)";
  return hexDump(bytes.map((b) => parseInt(b, 16)));
}

/** "free 200 · available 56" and the like, in a fixed order. */
export function slotSummary(letters: string): Record<SlotStatus, number> {
  const sums: Record<SlotStatus, number> = { free: 0, available: 0, held: 0, used: 0 };
  for (let i = 0; i < letters.length; i++) {
    const state = slotStatusAt(letters, i);
    if (state) sums[state]++;
  }
  return sums;
}
