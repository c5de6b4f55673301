// Base address registers: what a BAR is, how its register answers the sizing probe, where
// it points, and mapping it into the PC's port or memory space through the Platform.
//
// Sizing works the way the spec describes and firmware relies on: the address bits below
// the (power-of-two) size are not writable, so writing all ones and reading back yields
// ~(size - 1) plus the read-only type bits. A 64-bit BAR takes two registers; the upper one
// is fully writable.
import { MMIO_BLOCK_SIZE, type AccessSize, type IoHandler, type MmioHandler, type Platform } from "../platform/platform.js";

export type BarKind = "io" | "mem32" | "mem64";

/**
 * Accesses to a BAR, by offset from its start (the bus translates absolute addresses).
 * I/O BARs see true 1, 2 and 4-byte accesses. Memory BARs see only 1 and 4 (v86 has no
 * other MMIO handlers: a 16-bit guest access arrives as two byte accesses, a 64-bit one as
 * two 4-byte accesses); offsets of 4-byte accesses are not necessarily aligned.
 * Reads return the value in the low `size` bytes.
 */
export interface BarHandler {
  read(offset: number, size: AccessSize): number;
  write(offset: number, size: AccessSize, value: number): void;
}

export interface BarDefinition {
  kind: BarKind;
  /**
   * Bytes, a power of two. I/O: at least 4 (the two low register bits are type bits) and at
   * most 256 (the PCI spec's limit for I/O BARs). Memory: at least 128 KiB, because v86
   * maps MMIO in 128 KiB blocks.
   */
  size: number;
  /** Memory BARs only: reads have no side effects, so the guest may prefetch and merge. */
  prefetchable?: boolean;
  handler: BarHandler;
}

export class PciConfigError extends Error {
  override name = "PciConfigError";
}

const IO_MIN = 4;
const IO_MAX = 256;
const IO_SPACE_END = 0x10000;
const ADDRESS_SPACE_END = 0x1_0000_0000;
/** Configuration mechanism #1's address and data ports, 0xCF8-0xCFF. */
const CONFIG_PORTS_START = 0xcf8;
const CONFIG_PORTS_END = 0xd00;

export function validateBar(index: number, def: BarDefinition): void {
  const { kind, size } = def;
  const where = `BAR ${index}`;
  if (!Number.isInteger(index) || index < 0 || index > 5) throw new PciConfigError(`${where}: a function has BARs 0 to 5`);
  if (kind === "mem64" && index === 5) throw new PciConfigError(`${where}: a 64-bit BAR needs two registers, BAR 5 is the last`);
  if (!Number.isInteger(size) || size <= 0 || (size & (size - 1)) !== 0 || size > 0x8000_0000) {
    throw new PciConfigError(`${where}: size ${size} is not a power of two up to 2 GiB`);
  }
  if (kind === "io") {
    if (size < IO_MIN || size > IO_MAX) throw new PciConfigError(`${where}: an I/O BAR is ${IO_MIN} to ${IO_MAX} bytes (got ${size})`);
    if (def.prefetchable) throw new PciConfigError(`${where}: only memory BARs can be prefetchable`);
  } else if (size < MMIO_BLOCK_SIZE) {
    throw new PciConfigError(`${where}: a memory BAR must be at least ${MMIO_BLOCK_SIZE} bytes (v86 maps MMIO in 128 KiB blocks), got ${size}`);
  }
}

/** The read-only low bits of the (first) BAR register: space, type and prefetchable. */
export function barTypeBits(def: BarDefinition): number {
  if (def.kind === "io") return 0x1;
  return (def.kind === "mem64" ? 0x4 : 0x0) | (def.prefetchable ? 0x8 : 0);
}

/** The writable bits of the (first) BAR register: the address bits at or above the size. */
export function barWritableMask(def: BarDefinition): number {
  const typeBits = def.kind === "io" ? 0x3 : 0xf;
  return (~(def.size - 1) & ~typeBits) >>> 0;
}

/**
 * Where a BAR decodes, given its register contents and whether the command register
 * enables its space; undefined means "not mapped". As on real chipsets (and QEMU), a BAR
 * at 0, one reaching past the end of its space (which is also where a BAR sits while it
 * is being sized) and a 64-bit BAR above 4 GiB (v86 has 32 physical address bits) do not
 * decode. Nor does an I/O BAR over the configuration ports 0xCF8-0xCFF: on a PC the host
 * bridge claims those before any device, and a mapping on top of them would cut the
 * guest off from every function's configuration space until a machine reset (found by
 * the PCI fuzzer).
 */
export function barWindow(def: BarDefinition, low: number, high: number, decodingEnabled: boolean): number | undefined {
  if (!decodingEnabled) return undefined;
  const base = (low & barWritableMask(def)) >>> 0;
  if (base === 0) return undefined;
  if (def.kind === "mem64" && high !== 0) return undefined;
  const end = def.kind === "io" ? IO_SPACE_END : ADDRESS_SPACE_END;
  if (base + def.size >= end) return undefined;
  if (def.kind === "io" && base < CONFIG_PORTS_END && base + def.size > CONFIG_PORTS_START) return undefined;
  return base;
}

/** One BAR of a function and its current mapping. */
export class Bar {
  private mappedAt: number | undefined;
  private unmap: (() => void) | undefined;

  constructor(
    readonly index: number,
    readonly def: BarDefinition,
  ) {
    validateBar(index, def);
  }

  /** The address the BAR decodes at now, or undefined. */
  get base(): number | undefined {
    return this.mappedAt;
  }

  /** Moves the mapping to `base` (undefined: unmap). Does nothing if it is already there. */
  place(platform: Platform, base: number | undefined): void {
    if (base === this.mappedAt) return;
    this.unmap?.();
    this.unmap = undefined;
    this.mappedAt = undefined;
    if (base === undefined) return;
    const window = new BarWindow(this.def.handler, base);
    this.unmap = this.def.kind === "io" ? platform.mapIo(base, this.def.size, window) : platform.mapMmio(base, this.def.size, window);
    this.mappedAt = base;
  }
}

/**
 * A BAR where it is mapped now: turns the platform's absolute port or address into an
 * offset in the BAR for its handler (the step between v86's MMIO handler and the device's
 * registers on every access, a doorbell included).
 */
export class BarWindow implements IoHandler, MmioHandler {
  constructor(private readonly handler: BarHandler, private readonly base: number) {}

  read(at: number, size: AccessSize): number {
    return this.handler.read(at - this.base, size);
  }

  write(at: number, size: AccessSize, value: number): void {
    this.handler.write(at - this.base, size, value);
  }
}
