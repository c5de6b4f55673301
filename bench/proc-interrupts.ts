// The guest's /proc/interrupts, for counting interrupts of devices that are not ours (we
// count our own on the host, per queue). A line's count is interrupts the guest took on
// that IRQ line, whoever raised it: it is one device's only when no other device shares
// the line, or when the sharers are ours and our counters show they raised nothing.
export interface IrqLine {
  irq: number;
  /** Summed over CPUs. */
  count: number;
  /** Driver names on the line, e.g. ["virtio2", "virtio1"]. */
  names: string[];
}

export function parseProcInterrupts(text: string): IrqLine[] {
  const lines: IrqLine[] = [];
  for (const line of text.split("\n")) {
    const m = /^\s*(\d+):((?:\s+\d+)+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const count = m[2]!.trim().split(/\s+/).reduce((sum, n) => sum + Number(n), 0);
    // The rest is the chip ("XT-PIC", "IO-APIC 11-fasteoi") then the names, ", "-separated.
    const names = m[3]!.split(",").map((part) => part.trim().split(/\s+/).pop()!).filter((n) => n.length > 0);
    lines.push({ irq: Number(m[1]), count, names });
  }
  return lines;
}

/** The line that lists `name` (a driver name such as "virtio2"). */
export function lineOf(lines: readonly IrqLine[], name: string): IrqLine | undefined {
  return lines.find((l) => l.names.includes(name));
}
