// Bus 0, as the guest reaches it through configuration mechanism #1: a 32-bit address latch
// at 0xCF8 (enable bit 31, bus 23:16, device 15:11, function 10:8, register 7:2) and a data
// window at 0xCFC-0xCFF.
//
// v86 built its own bus (host bridge 00:00.0, PIIX3 ISA bridge 00:01.0, its VGA, ...) on
// the same ports. We take the ports over and share them: a configuration cycle for one of
// our functions is answered here, every other one goes to v86's port handlers unchanged.
// v86 computes its answer when the address is written, so every address write is passed on
// to v86 as well: its latch always equals ours. Byte writes to 0xCF9 (the PIIX reset
// control register, which v86 implements inside its latch) go to v86 too, so a guest
// reboot still works.
//
// Firmware sees our functions like any others: SeaBIOS (1.16) sizes and places their BARs
// with v86's, top-down below 0xFEC00000 (non-prefetchable memory from the top, then
// prefetchable), I/O from 0xC000, and programs the PIRQ routes as A, B -> IRQ 10 and
// C, D -> IRQ 11. v86 ignores what SeaBIOS writes to its VGA's memory BAR and ROM BAR: the
// framebuffer stays at 0xE0000000 (2 MiB) and the ROM at 0xFEB00000, so SeaBIOS reserves
// a phantom 2 MiB for the framebuffer near 0xFE800000 and our BARs stay far above the real
// one. Only with about seven or more non-prefetchable 128 KiB BARs would SeaBIOS reach
// down to the VGA ROM's address (harmless while v86 loads no VGA BIOS, which maps there).
import type { AccessSize, IoHandler, Platform } from "../platform/platform.js";
import { PciConfigError } from "./bar.js";
import { IntxRouter, pirqLink, type IntxSource } from "./intx.js";
import type { PciFunction } from "./pci-function.js";
import { INTERRUPT_PIN, VENDOR_ID } from "./registers.js";

/** One function on bus 0 as the inspector sees it; reading it has no effect on anything. */
export interface PciFunctionInfo {
  /** Device number << 3 | function number. */
  devfn: number;
  /** True for ringside's functions, false for v86's. */
  ours: boolean;
  /** What the emulator calls it ("virtio-net", v86's "82441FX PMC"), if anything. */
  name: string | undefined;
  /** Configuration bytes as they are now: no capability hooks run, no latch moves. */
  readConfig(offset: number, size: AccessSize): number;
  /** The BARs it implements, a 64-bit one once at its lower index; size 0 when unknown. */
  bars: Array<{ index: number; size: number }>;
}

/**
 * Read-only access to v86's functions (src/v86/v86-pci-view.ts). Without it the bus lists
 * only its own: configuration cycles of ours would move v86's latch, and some latch
 * sequences make v86 reset the machine.
 */
export interface V86PciView {
  /** devfns of v86's functions on bus 0. */
  devfns(): number[];
  /** Configuration bytes of `devfn` (all ones where there is no function). */
  readConfig(devfn: number, offset: number, size: AccessSize): number;
  name(devfn: number): string | undefined;
  /** The BARs of `devfn` with v86's sizes (0 where v86 does not say). */
  bars(devfn: number): Array<{ index: number; size: number }>;
}

export interface PciBusOptions {
  /** Lets functions() list v86's functions too. */
  v86View?: V86PciView;
}

export const CONFIG_ADDRESS_PORT = 0xcf8;
export const CONFIG_DATA_PORT = 0xcfc;

const ENABLE_BIT = 0x8000_0000;
/** Slot 0 is the host bridge and 1 the ISA bridge on every PIIX PC; devices go from 2. */
const FIRST_DEVICE_SLOT = 2;
const SLOT_COUNT = 32;
/** devfn of the PIIX3 ISA bridge, which holds the PIRQ route registers. */
const ISA_BRIDGE_DEVFN = 1 << 3;
const PIRQ_ROUTE = 0x60;

export interface AddFunctionOptions {
  /** Device number on bus 0 (default: the lowest free one that suits the interrupt pin). */
  slot?: number;
}

interface Attached {
  fn: PciFunction;
  slot: number;
}

export class PciBus {
  private latch = 0;
  private readonly attached = new Map<number, Attached>();
  private readonly intxSources: IntxSource[] = [];
  private readonly intx: IntxRouter;
  private readonly v86Slots: ReadonlySet<number>;
  private readonly unmapPorts: () => void;

  constructor(private readonly platform: Platform, private readonly options: PciBusOptions = {}) {
    this.intx = new IntxRouter(platform);
    this.v86Slots = new Set(platform.v86Slots());
    const ports: IoHandler = {
      read: (port, size) => this.portRead(port, size),
      write: (port, size, value) => this.portWrite(port, size, value),
    };
    this.unmapPorts = platform.mapIo(CONFIG_ADDRESS_PORT, 8, ports);
  }

  /**
   * Puts `fn` on bus 0 as function 0 of a slot and returns the slot. Without `slot`, takes
   * the lowest free slot from 2 whose INTx route no v86 device uses (v86 cannot OR our
   * level with its devices' on a shared line). Slots 2-6 are the ones SeaBIOS's $PIR table
   * lists, so Linux's PIRQ router sets their IRQs level-triggered.
   */
  addFunction(fn: PciFunction, options: AddFunctionOptions = {}): number {
    const pin = fn.interruptPin;
    const conflict = (slot: number): string | undefined => {
      if (this.v86Slots.has(slot)) return "v86 uses it";
      if (this.attached.has(slot)) return `${this.attached.get(slot)!.fn.name} is there`;
      if (pin !== 0 && this.intxClashesWithV86(slot, pin)) return "its INTx route is shared with a v86 device";
      return undefined;
    };
    let slot = options.slot;
    if (slot !== undefined) {
      if (!Number.isInteger(slot) || slot < 0 || slot >= SLOT_COUNT) throw new PciConfigError(`slot ${slot} is not 0-31`);
      const why = conflict(slot);
      if (why) throw new PciConfigError(`${fn.name} cannot go in slot ${slot}: ${why}`);
    } else {
      for (let s = FIRST_DEVICE_SLOT; s < SLOT_COUNT && slot === undefined; s++) if (!conflict(s)) slot = s;
      if (slot === undefined) throw new PciConfigError(`no free slot for ${fn.name} on bus 0`);
    }
    const at = slot;
    this.attached.set(at, { fn, slot: at });
    // One long-lived record per function, read afresh on every update: an interrupt changes a
    // line without building anything (the rng raises one per 32 bytes).
    this.intxSources.push({ slot: at, get pin() { return fn.interruptPin; }, get asserted() { return fn.intxAsserted; } });
    fn.attach({
      platform: this.platform,
      intxChanged: () => this.updateIntx(),
      routedLine: () => this.intx.lineFor(at, pin),
    });
    return at;
  }

  /** The function in `slot`, if it is ours. */
  functionAt(slot: number): PciFunction | undefined {
    return this.attached.get(slot)?.fn;
  }

  /**
   * Every function on bus 0, ours and (with a V86PciView) v86's, in devfn order: for the
   * inspector. Nothing the guest can see changes (no configuration cycle, no hook).
   */
  functions(): PciFunctionInfo[] {
    const out: PciFunctionInfo[] = [];
    const v86 = this.options.v86View;
    for (const devfn of v86?.devfns() ?? []) {
      // A config cycle for function 0 of one of our slots never reaches v86.
      if (!v86 || ((devfn & 7) === 0 && this.attached.has(devfn >> 3))) continue;
      out.push({ devfn, ours: false, name: v86.name(devfn), readConfig: (offset, size) => v86.readConfig(devfn, offset, size), bars: v86.bars(devfn) });
    }
    for (const { fn, slot } of this.attached.values()) {
      out.push({
        devfn: slot << 3,
        ours: true,
        name: fn.name,
        readConfig: (offset, size) => fn.config.read(offset, size),
        bars: fn.bars.map((bar) => ({ index: bar.index, size: bar.def.size })),
      });
    }
    return out.sort((a, b) => a.devfn - b.devfn);
  }

  /** Machine reset: every function back to power-on state, our INTx lines low. */
  reset(): void {
    for (const { fn } of this.attached.values()) fn.reset();
    this.intx.reset();
  }

  /** Gives ports 0xCF8-0xCFF back to v86 (functions stay mapped until reset). */
  close(): void {
    this.unmapPorts();
  }

  private portRead(port: number, size: AccessSize): number {
    if (port < CONFIG_DATA_PORT) {
      // Only a 32-bit access reaches the address register; v86 answers the rest.
      return port === CONFIG_ADDRESS_PORT && size === 4 ? this.latch : this.platform.v86ConfigPorts.read(port, size);
    }
    const target = this.target();
    if (!target) return this.platform.v86ConfigPorts.read(port, size);
    return this.dataAccess(port, size, (reg, n) => target.configRead(reg, n));
  }

  private portWrite(port: number, size: AccessSize, value: number): void {
    if (port < CONFIG_DATA_PORT) {
      if (port === CONFIG_ADDRESS_PORT && size === 4) this.latch = (value & ~3) >>> 0;
      this.platform.v86ConfigPorts.write(port, size, value);
      return;
    }
    const target = this.target();
    if (target) {
      const unsigned = size === 4 ? value >>> 0 : value & (size === 2 ? 0xffff : 0xff);
      this.dataAccess(port, size, (reg, n, shift) => {
        target.configWrite(reg, n, Math.floor(unsigned / 256 ** shift) % 256 ** n);
        return 0;
      });
      return;
    }
    this.platform.v86ConfigPorts.write(port, size, value);
    // The guest (SeaBIOS, or Linux's PIRQ router) may have rerouted a PIRQ link.
    const reg = (this.latch & 0xfc) + (port - CONFIG_DATA_PORT);
    if (this.latchedBusDevfn() === ISA_BRIDGE_DEVFN && reg < PIRQ_ROUTE + 4 && reg + size > PIRQ_ROUTE) this.updateIntx();
  }

  /**
   * Splits a data-port access into configuration accesses of 1, 2 or 4 bytes. The window is
   * four ports wide: bytes of an access that run past 0xCFF are not configuration bytes
   * (they read as all ones). `shift` is the byte position of the piece within the access.
   */
  private dataAccess(port: number, size: AccessSize, access: (reg: number, n: AccessSize, shift: number) => number): number {
    const start = port - CONFIG_DATA_PORT;
    const reg = (this.latch & 0xfc) + start;
    const inWindow = Math.min(size, 4 - start);
    const pieces: AccessSize[] = inWindow === 3 ? [1, 2] : [inWindow as AccessSize];
    let value = 0;
    let shift = 0;
    for (const n of pieces) {
      value += access(reg + shift, n, shift) * 256 ** shift;
      shift += n;
    }
    for (; shift < size; shift++) value += 0xff * 256 ** shift;
    return value;
  }

  /** Bus number and devfn of the latched address, or -1 when configuration access is off. */
  private latchedBusDevfn(): number {
    return this.latch & ENABLE_BIT ? (this.latch >>> 8) & 0xffff : -1;
  }

  /** Our function the latch selects (bus 0, function 0 of one of our slots), if any. */
  private target(): PciFunction | undefined {
    const busDevfn = this.latchedBusDevfn();
    if (busDevfn < 0 || busDevfn > 0xff || (busDevfn & 7) !== 0) return undefined;
    return this.attached.get(busDevfn >> 3)?.fn;
  }

  private updateIntx(): void {
    this.intx.update(this.intxSources);
  }

  /**
   * True when a pin in `slot` would share a PIRQ link with a v86 device, or (once firmware
   * has programmed the routes) the same IRQ.
   */
  private intxClashesWithV86(slot: number, pin: number): boolean {
    const link = pirqLink(slot, pin);
    const line = this.intx.lineFor(slot, pin);
    for (const v86Slot of this.v86Slots) {
      const v86Pin = this.v86PinOf(v86Slot);
      if (v86Pin === 0) continue;
      if (pirqLink(v86Slot, v86Pin) === link) return true;
      if (line !== undefined && this.intx.lineFor(v86Slot, v86Pin) === line) return true;
    }
    return false;
  }

  /**
   * The interrupt pin of function 0 in a v86 slot, asked of v86's bus with a configuration
   * cycle of our own; the latch is put back afterwards so v86's stays equal to ours. (Only
   * function 0: v86's devices are single-function, and its latch treats some address
   * sequences on functions 2/3 then 6/7 as a reset request.)
   */
  private v86PinOf(slot: number): number {
    const v86 = this.platform.v86ConfigPorts;
    const address = (reg: number) => (ENABLE_BIT | (slot << 11) | reg) >>> 0;
    v86.write(CONFIG_ADDRESS_PORT, 4, address(VENDOR_ID));
    const present = (v86.read(CONFIG_DATA_PORT, 2) & 0xffff) !== 0xffff;
    v86.write(CONFIG_ADDRESS_PORT, 4, address(INTERRUPT_PIN & ~3));
    const pin = present ? v86.read(CONFIG_DATA_PORT + (INTERRUPT_PIN & 3), 1) & 0xff : 0;
    v86.write(CONFIG_ADDRESS_PORT, 4, this.latch);
    return pin;
  }
}
