// What the PCI bus needs from the emulated PC, as a typed interface. src/v86/ implements
// it over v86's internals; unit tests implement it with plain objects.

export type AccessSize = 1 | 2 | 4;

/** Port I/O: v86 delivers true 8/16/32-bit accesses. */
export interface IoHandler {
  read(port: number, size: AccessSize): number;
  write(port: number, size: AccessSize, value: number): void;
}

/**
 * Memory-mapped I/O. v86 only has 8- and 32-bit MMIO handlers: a 16-bit guest access
 * arrives as two byte accesses, a 64-bit one as two 32-bit accesses. `addr` is the
 * physical address as an unsigned number.
 */
export interface MmioHandler {
  read(addr: number, size: 1 | 4): number;
  write(addr: number, size: 1 | 4, value: number): void;
}

/** v86 registers MMIO in blocks of this size: memory BARs must be at least this big. */
export const MMIO_BLOCK_SIZE = 128 * 1024;

export interface Platform {
  /** Routes ports [base, base + count) to `handler`; the returned function unmaps them. */
  mapIo(base: number, count: number, handler: IoHandler): () => void;
  /**
   * Routes [base, base + size) to `handler`; base and size are multiples of
   * MMIO_BLOCK_SIZE. The returned function unmaps the range.
   */
  mapMmio(base: number, size: number, handler: MmioHandler): () => void;
  /** v86's own handlers for ports 0xCF8-0xCFF, captured before the bus took them. */
  readonly v86ConfigPorts: IoHandler;
  /** Drives one interrupt line of the PIC/IOAPIC (level: true raises, false lowers). */
  setIrqLine(line: number, level: boolean): void;
  /** PIIX3 PIRQ route register for PIRQ A-D (index 0-3): bit 7 set means "not routed". */
  pirqRoute(index: number): number;
  /** PCI device numbers (slots) on bus 0 that v86's own devices occupy. */
  v86Slots(): number[];
  /**
   * True when the PC has a local APIC that message-signalled interrupts reach (v86 has one
   * only with its `acpi` option); without it an MSI goes nowhere.
   */
  readonly hasApic: boolean;
  /**
   * A message-signalled interrupt: the function's memory write of `data` (32 bits) to
   * `address` (up to 64 bits, as a number), which the APIC takes for an interrupt.
   */
  signalMsi(address: number, data: number): void;
}
