// INTx routing on a PIIX3 PC: a function's pin reaches one of four PIRQ links, and the
// ISA bridge's PIRQ route registers (0x60-0x63) say which IRQ each link drives.
//
// PCI interrupts are level-triggered and shared lines are wired-OR: the line is high while
// any device on it asserts. v86's device_raise_irq/device_lower_irq hold one level per
// line and OR nothing, so this class does the OR for our functions: a line goes up when
// the first sharer asserts and down when the last one deasserts. (v86's own devices drive
// lines without us; the bus places our functions so that none shares a line with them.)
import type { Platform } from "../platform/platform.js";

/** What a function asserts: its slot, its pin (1-4 = INTA#-INTD#) and the level. */
export interface IntxSource {
  slot: number;
  pin: number;
  asserted: boolean;
}

/** The PIRQ link (0-3 = PIRQA-D) a slot's pin is swizzled to, as SeaBIOS's $PIR table and v86 do. */
export function pirqLink(slot: number, pin: number): number {
  return (pin - 1 + slot - 1) & 3;
}

/** IRQs PIIX3 cannot route a PIRQ to (0, 1, 2, 8, 13 are reserved in its route register). */
const RESERVED_IRQS = new Set([0, 1, 2, 8, 13]);

/** The IRQ a PIRQ route register value selects, or undefined when the link is not routed. */
export function routedIrq(route: number): number | undefined {
  if (route & 0x80) return undefined;
  const irq = route & 0x0f;
  return RESERVED_IRQS.has(irq) ? undefined : irq;
}

export class IntxRouter {
  /** Lines we hold high right now, one bit per IRQ (0-15). */
  private driven = 0;

  constructor(private readonly platform: Platform) {}

  /** The IRQ a slot's pin is routed to now (the guest may change the routes), if any. */
  lineFor(slot: number, pin: number): number | undefined {
    if (pin < 1 || pin > 4) return undefined;
    return routedIrq(this.platform.pirqRoute(pirqLink(slot, pin)));
  }

  /**
   * Drives every line to the OR of its sharers. Call after any source's level changes and
   * after the guest rewrites a PIRQ route (a line that lost its last asserted source drops).
   * Lines are bits of a number, so an update allocates nothing: it runs on every interrupt.
   */
  update(sources: Iterable<IntxSource>): void {
    let high = 0;
    for (const s of sources) {
      if (!s.asserted) continue;
      const line = this.lineFor(s.slot, s.pin);
      if (line !== undefined) high |= 1 << line;
    }
    const changed = high ^ this.driven;
    if (changed === 0) return;
    // Lowered lines first, then raised ones, as before: a route rewrite moves a level.
    for (let line = 0; line < 16; line++) {
      if (changed & (1 << line) && !(high & (1 << line))) this.platform.setIrqLine(line, false);
    }
    for (let line = 0; line < 16; line++) {
      if (changed & (1 << line) && high & (1 << line)) this.platform.setIrqLine(line, true);
    }
    this.driven = high;
  }

  /** Lowers every line we hold. */
  reset(): void {
    this.update([]);
  }
}
