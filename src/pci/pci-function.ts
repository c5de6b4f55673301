// One PCI function: a type-0 configuration header, its BARs, its capability list and an
// INTx pin. It interprets guest configuration writes: the command register's I/O and
// memory enables really switch the BARs' decoding on and off, and moving a BAR moves its
// mapping. It knows nothing of slots or IRQ numbers: the bus tells it those on attach.
import type { AccessSize, Platform } from "../platform/platform.js";
import { Bar, barTypeBits, barWindow, barWritableMask, PciConfigError, type BarDefinition } from "./bar.js";
import { layoutCapabilities, type Capability, type CapabilityDefinition } from "./capabilities.js";
import { ConfigSpace } from "./config-space.js";
import type { Msix } from "./msix.js";
import {
  BAR0, BAR_COUNT, barOffset, CACHE_LINE_SIZE, CLASS_CODE, COMMAND, COMMAND_BUS_MASTER, COMMAND_INTX_DISABLE, COMMAND_IO,
  COMMAND_MEMORY, COMMAND_PARITY_ERROR_RESPONSE, COMMAND_SERR, DEVICE_ID, INTERRUPT_LINE, INTERRUPT_PIN, REVISION_ID, STATUS,
  STATUS_INTERRUPT, STATUS_W1C, SUBSYSTEM_ID, SUBSYSTEM_VENDOR_ID, VENDOR_ID,
} from "./registers.js";

export interface PciFunctionOptions {
  /** For logs. */
  name?: string;
  vendorId: number;
  deviceId: number;
  /** 24 bits: base class << 16 | subclass << 8 | programming interface. */
  classCode: number;
  revision?: number;
  subsystemVendorId?: number;
  subsystemId?: number;
  /** 0: no interrupt; 1-4: INTA#-INTD#. */
  interruptPin?: 0 | 1 | 2 | 3 | 4;
  /** Indexed by BAR number (0-5); a 64-bit BAR also takes the next number, leave it empty. */
  bars?: readonly (BarDefinition | undefined)[];
  capabilities?: readonly CapabilityDefinition[];
  /**
   * MSI-X: its capability goes after `capabilities`, and the BAR's handler passes table and
   * PBA accesses to it. Its messages go out through this function's `sendMessage`.
   */
  msix?: Msix;
  /** After any guest configuration write was applied (offset in configuration space). */
  onConfigWrite?(offset: number, size: AccessSize, value: number): void;
  /** The function was reset (machine reboot): drop device state. */
  onReset?(): void;
}

/** What the bus gives a function when attaching it. */
export interface FunctionBinding {
  platform: Platform;
  /** The level this function drives on its INTx pin changed. */
  intxChanged(): void;
  /** The IRQ the pin is routed to right now, if any. */
  routedLine(): number | undefined;
}

const IRQ_LINE_UNKNOWN = 0xff;

/** A function's part of a snapshot (see saveState). */
export interface PciFunctionState {
  config: Uint8Array;
  lineWrittenByGuest: boolean;
}

export class PciFunction {
  readonly name: string;
  readonly config = new ConfigSpace();
  private caps: Capability[] = [];
  private readonly barList: Bar[] = [];
  private binding: FunctionBinding | undefined;
  private level = false;
  private lineWrittenByGuest = false;
  /** The MSI-X table and PBA, when the function has the capability. */
  readonly msix: Msix | undefined;

  constructor(private readonly options: PciFunctionOptions) {
    this.name = options.name ?? `pci ${hex(options.vendorId, 4)}:${hex(options.deviceId, 4)}`;
    checkBits("vendor ID", options.vendorId, 16);
    checkBits("device ID", options.deviceId, 16);
    checkBits("class code", options.classCode, 24);
    checkBits("revision", options.revision ?? 0, 8);
    checkBits("subsystem vendor ID", options.subsystemVendorId ?? 0, 16);
    checkBits("subsystem ID", options.subsystemId ?? 0, 16);
    const pin = options.interruptPin ?? 0;
    if (!Number.isInteger(pin) || pin < 0 || pin > 4) throw new PciConfigError(`interrupt pin ${pin} is not 0-4`);
    if (options.vendorId === 0xffff) throw new PciConfigError("vendor ID 0xffff means 'no device'");
    const bars = options.bars ?? [];
    if (bars.length > BAR_COUNT) throw new PciConfigError(`a function has at most ${BAR_COUNT} BARs`);
    bars.forEach((def, index) => {
      if (!def) return;
      if (index > 0 && bars[index - 1]?.kind === "mem64") throw new PciConfigError(`BAR ${index} is the upper half of 64-bit BAR ${index - 1}`);
      this.barList.push(new Bar(index, def));
    });
    this.msix = options.msix;
    if (this.msix) {
      const { bar } = this.msix.placement;
      const kind = this.barList.find((b) => b.index === bar)?.def.kind;
      if (kind === undefined || kind === "io") {
        throw new PciConfigError(`MSI-X: BAR ${bar} is not a memory BAR of this function`);
      }
    }
    this.initConfig();
  }

  get interruptPin(): number {
    return this.options.interruptPin ?? 0;
  }

  get capabilities(): readonly Capability[] {
    return this.caps;
  }

  /** The BARs defined, each with where it decodes now (`base`). */
  get bars(): readonly Bar[] {
    return this.barList;
  }

  /** INTx as the device drives it: true asserts (level-triggered) until set false. */
  setIrq(level: boolean): void {
    if (level === this.level) return;
    this.level = level;
    // Status bit 3 shows the device's interrupt state whatever INTx disable says.
    const status = this.config.read(STATUS, 2);
    this.config.set(STATUS, 2, level ? status | STATUS_INTERRUPT : status & ~STATUS_INTERRUPT);
    this.binding?.intxChanged();
  }

  /** True while the function's pin is asserted on the wire (INTx disable honoured; never with MSI-X enabled). */
  get intxAsserted(): boolean {
    return this.level && this.interruptPin !== 0 && (this.config.read(COMMAND, 2) & COMMAND_INTX_DISABLE) === 0 && !this.msix?.enabled;
  }

  /**
   * A message-signalled interrupt: the function's memory write of `data` to `address`,
   * which the platform's APIC takes (dropped while the function is on no bus).
   */
  sendMessage(address: number, data: number): void {
    this.binding?.platform.signalMsi(address, data);
  }

  /** The bus attaches the function to a slot. */
  attach(binding: FunctionBinding): void {
    if (this.binding) throw new PciConfigError(`${this.name} is already on a bus`);
    this.binding = binding;
    this.updateDecoding();
  }

  /** A guest configuration read of 1, 2 or 4 bytes (any alignment). */
  configRead(offset: number, size: AccessSize): number {
    for (const cap of this.caps) if (cap.overlaps(offset, size)) cap.def.onRead?.(cap, offset - cap.offset, size);
    if (!this.lineWrittenByGuest && offset <= INTERRUPT_LINE && offset + size > INTERRUPT_LINE) {
      // Until firmware or the OS writes the line register, it shows the live PIRQ route: a
      // function that appears after boot (`echo 1 > /sys/bus/pci/rescan`) has its IRQ.
      const line = this.interruptPin === 0 ? 0 : this.binding?.routedLine() ?? IRQ_LINE_UNKNOWN;
      this.config.set(INTERRUPT_LINE, 1, line);
    }
    return this.config.read(offset, size);
  }

  /** A guest configuration write of 1, 2 or 4 bytes (any alignment). */
  configWrite(offset: number, size: AccessSize, value: number): void {
    const touches = (start: number, length: number) => offset < start + length && offset + size > start;
    const intxBefore = this.intxAsserted;
    this.config.write(offset, size, value);
    if (touches(INTERRUPT_LINE, 1)) this.lineWrittenByGuest = true;
    if (touches(COMMAND, 2) || touches(BAR0, 4 * BAR_COUNT)) this.updateDecoding();
    if (this.intxAsserted !== intxBefore) this.binding?.intxChanged();
    for (const cap of this.caps) if (cap.overlaps(offset, size)) cap.def.onWrite?.(cap, offset - cap.offset, size, value);
    this.options.onConfigWrite?.(offset, size, value);
  }

  /** For a snapshot: the configuration bytes and whether the guest wrote the line register. */
  saveState(): PciFunctionState {
    return { config: this.config.saveBytes(), lineWrittenByGuest: this.lineWrittenByGuest };
  }

  /**
   * Takes up a saved configuration: the BARs decode where they were and the command
   * register is as it was. The INTx level is the device's to set again (setIrq).
   */
  restoreState(state: PciFunctionState): void {
    this.config.restoreBytes(state.config);
    this.lineWrittenByGuest = state.lineWrittenByGuest;
    this.updateDecoding();
    this.binding?.intxChanged();
  }

  /** Power-on state: decoding off (BARs unmapped), BARs at 0, INTx low, device told. */
  reset(): void {
    for (const bar of this.barList) if (this.binding) bar.place(this.binding.platform, undefined);
    const wasAsserted = this.intxAsserted;
    this.level = false;
    this.lineWrittenByGuest = false;
    this.initConfig();
    this.msix?.reset();
    if (wasAsserted) this.binding?.intxChanged();
    this.options.onReset?.();
  }

  private initConfig(): void {
    const o = this.options;
    const c = this.config;
    c.clear();
    c.set(VENDOR_ID, 2, o.vendorId);
    c.set(DEVICE_ID, 2, o.deviceId);
    c.set(REVISION_ID, 1, o.revision ?? 0);
    c.set(CLASS_CODE, 1, o.classCode & 0xff);
    c.set(CLASS_CODE + 1, 2, o.classCode >>> 8);
    c.set(SUBSYSTEM_VENDOR_ID, 2, o.subsystemVendorId ?? 0);
    c.set(SUBSYSTEM_ID, 2, o.subsystemId ?? 0);
    c.set(INTERRUPT_PIN, 1, this.interruptPin);
    // Enables for spaces the function has no BAR in are hardwired to 0, as the spec asks.
    const hasIo = this.barList.some((b) => b.def.kind === "io");
    const hasMem = this.barList.some((b) => b.def.kind !== "io");
    c.setWritable(
      COMMAND, 2,
      (hasIo ? COMMAND_IO : 0) | (hasMem ? COMMAND_MEMORY : 0) | COMMAND_BUS_MASTER | COMMAND_PARITY_ERROR_RESPONSE |
        COMMAND_SERR | (this.interruptPin ? COMMAND_INTX_DISABLE : 0),
    );
    c.setWriteOneToClear(STATUS, 2, STATUS_W1C);
    c.setWritable(CACHE_LINE_SIZE, 1, 0xff);
    c.setWritable(INTERRUPT_LINE, 1, 0xff);
    for (const bar of this.barList) {
      const at = barOffset(bar.index);
      c.set(at, 4, barTypeBits(bar.def));
      c.setWritable(at, 4, barWritableMask(bar.def));
      if (bar.def.kind === "mem64") c.setWritable(at + 4, 4, 0xffffffff);
    }
    const msixDef = this.msix?.definition();
    this.caps = layoutCapabilities(c, msixDef ? [...(o.capabilities ?? []), msixDef] : o.capabilities ?? []);
    if (msixDef) this.msix!.placed(this.caps[this.caps.length - 1]!);
  }

  private updateDecoding(): void {
    if (!this.binding) return;
    const command = this.config.read(COMMAND, 2);
    for (const bar of this.barList) {
      const at = barOffset(bar.index);
      const enabled = (command & (bar.def.kind === "io" ? COMMAND_IO : COMMAND_MEMORY)) !== 0;
      const high = bar.def.kind === "mem64" ? this.config.read(at + 4, 4) : 0;
      bar.place(this.binding.platform, barWindow(bar.def, this.config.read(at, 4), high, enabled));
    }
  }
}

function checkBits(what: string, value: number, bits: number): void {
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** bits) throw new PciConfigError(`${what} ${value} is not a ${bits}-bit number`);
}

function hex(value: number, digits: number): string {
  return value.toString(16).padStart(digits, "0");
}
