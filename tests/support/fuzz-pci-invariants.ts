// What must hold after every operation of the PCI fuzzer, written from the PCI and virtio
// specs rather than from the code under test. Each check throws an Error saying what broke.
//
// Configuration space: every byte software cannot write (IDs, class, header type,
// subsystem, the capability pointer and the whole capability chain except the
// PCI-configuration-access window's fields, the unused BARs, the interrupt pin) keeps its
// power-on value; BAR 0's low bits keep the BAR's type and size alignment; the command
// register holds only bits a function may implement; status shows the capability list,
// and its interrupt bit says exactly whether an ISR bit is pending.
// Decoding: BAR 0 is mapped where configuration space says, and only then.
// INTx: the routed IRQ line is high exactly while the function asserts its pin.
// virtio status: no reserved bits, DRIVER_OK only with FEATURES_OK, agreed features a
// subset of those offered, bits only ever added until a reset clears them all.
import type { BarKind } from "../../src/pci/bar.js";
import type { VirtioDeviceModel } from "../../src/virtio/device-model.js";
import type { FakePlatform } from "./fake-platform.js";

const COMMAND_BITS = 0x0001 | 0x0002 | 0x0004 | 0x0040 | 0x0100 | 0x0400;
const STATUS_INTERRUPT = 0x08;
const STATUS_CAP_LIST = 0x10;
const STATUS_ERRORS_W1C = 0xf900;
const VERSION_1 = 1n << 32n;
const RESERVED_IRQS = new Set([0, 1, 2, 8, 13]);

export interface PciFuzzSubject {
  platform: FakePlatform;
  model: VirtioDeviceModel;
  /** The function's 256 configuration bytes as they are (no hooks run). */
  config(offset: number): number;
  /** ISR bits waiting for the driver to read them. */
  pendingIsr(): number;
  slot: number;
  barKind: BarKind;
  barSize: number;
  /** Configuration-space offset of the PCI-configuration-access capability. */
  pciCfgCap: number;
}

export class PciInvariants {
  private readonly readOnly: number[] = [];
  private readonly powerOn: number[] = [];
  private lastStatus = 0;

  constructor(private readonly s: PciFuzzSubject) {
    const writable = new Set([0x04, 0x05, 0x06, 0x07, 0x0c, 0x0d, 0x10, 0x11, 0x12, 0x13, 0x3c, s.pciCfgCap + 4]);
    if (s.barKind === "mem64") for (let i = 0x14; i < 0x18; i++) writable.add(i);
    for (let i = 8; i < 20; i++) writable.add(s.pciCfgCap + i);
    for (let i = 0; i < 256; i++) {
      if (writable.has(i)) continue;
      this.readOnly.push(i);
      this.powerOn.push(s.config(i));
    }
  }

  /**
   * Everything at once. `intx` false skips the INTx check: the guest made v86's view of
   * the latch differ from ours (see the test). `reset` says the operation may have reset
   * the device on its way (a bring-up), so status bits may have gone away.
   */
  check(intx: boolean, reset: boolean): void {
    if (reset) this.lastStatus = 0;
    this.configSpace();
    this.decoding();
    if (intx) this.intx();
    this.virtioStatus();
  }

  private configSpace(): void {
    const { s } = this;
    this.readOnly.forEach((at, i) => {
      if (s.config(at) !== this.powerOn[i]) throw new Error(`read-only config byte 0x${at.toString(16)} changed from 0x${this.powerOn[i]!.toString(16)} to 0x${s.config(at).toString(16)}`);
    });
    const bar0 = this.word(0x10, 4);
    const typeBits = s.barKind === "io" ? 0x1 : s.barKind === "mem64" ? 0x4 : 0x0;
    if (bar0 % s.barSize !== typeBits) throw new Error(`BAR 0 reads 0x${bar0.toString(16)}: its low bits must be 0x${typeBits.toString(16)} for a ${s.barSize}-byte ${s.barKind} BAR`);
    const command = this.word(0x04, 2);
    if (command & ~COMMAND_BITS) throw new Error(`command register holds undefined bits: 0x${command.toString(16)}`);
    const status = this.word(0x06, 2);
    if (!(status & STATUS_CAP_LIST) || status & ~(STATUS_CAP_LIST | STATUS_INTERRUPT | STATUS_ERRORS_W1C)) {
      throw new Error(`status register reads 0x${status.toString(16)}`);
    }
    if (((status & STATUS_INTERRUPT) !== 0) !== (s.pendingIsr() !== 0)) {
      throw new Error(`status interrupt bit is ${(status & STATUS_INTERRUPT) !== 0} with ISR 0x${s.pendingIsr().toString(16)}`);
    }
  }

  private decoding(): void {
    const { s } = this;
    const io = s.barKind === "io";
    const command = this.word(0x04, 2);
    const base = (this.word(0x10, 4) & (io ? ~0x3 : ~0xf)) >>> 0;
    const high = s.barKind === "mem64" ? this.word(0x14, 4) : 0;
    const end = io ? 0x10000 : 2 ** 32;
    const enabled = (command & (io ? 0x1 : 0x2)) !== 0 && base !== 0 && high === 0;
    // Whatever the BARs do, ports 0xCF8-0xCFF reach the bus (the newest mapping answers).
    const ioRanges = s.platform.ioRanges();
    for (let port = 0xcf8; port < 0xd00; port++) {
      const owner = ioRanges.findLast(([b, n]) => port >= b && port < b + n);
      if (owner?.[0] !== 0xcf8) throw new Error(`port 0x${port.toString(16)} does not reach the PCI bus: ${JSON.stringify(owner)} answers it`);
    }
    // An I/O BAR over those ports may decode elsewhere or not at all; it is not checked further.
    if (io && base < 0xd00 && base + s.barSize > 0xcf8) return;
    const ranges = (io ? ioRanges : s.platform.mmioRanges()).filter(([b]) => b !== 0xcf8);
    const mapped = ranges.map(([b, n]) => `0x${b.toString(16)}+0x${n.toString(16)}`).join(" ");
    const want = `0x${base.toString(16)}+0x${s.barSize.toString(16)}`;
    // A BAR ending exactly at the end of its space may go either way.
    if (enabled && base + s.barSize < end && mapped !== want) throw new Error(`BAR 0 should decode at ${want}, mapped: "${mapped}"`);
    if ((!enabled || base + s.barSize > end) && mapped !== "") throw new Error(`BAR 0 should not decode (command 0x${command.toString(16)}, BAR ${want}), mapped: "${mapped}"`);
  }

  private intx(): void {
    const { s } = this;
    // PIIX3 swizzle: INTA# of slot n goes to PIRQ (n - 1) & 3.
    const route = s.platform.pirqRoute((s.slot - 1) & 3);
    const line = route & 0x80 || RESERVED_IRQS.has(route & 0x0f) ? undefined : route & 0x0f;
    const asserted = (this.word(0x06, 2) & STATUS_INTERRUPT) !== 0 && (this.word(0x04, 2) & 0x400) === 0;
    for (const [irq, level] of s.platform.irqLevels) {
      const want = irq === line && asserted;
      if (level !== want) throw new Error(`IRQ ${irq} is ${level ? "high" : "low"}; the function is routed to ${String(line)} and ${asserted ? "asserts" : "does not assert"} INTA#`);
    }
    if (line !== undefined && asserted && !s.platform.irqLevels.get(line)) throw new Error(`IRQ ${line} is low while the function asserts INTA#`);
  }

  private virtioStatus(): void {
    const { model } = this.s;
    const status = model.status;
    if (status & 0x30) throw new Error(`device status shows reserved bits: 0x${status.toString(16)}`);
    if (status & 0x04 && !(status & 0x08)) throw new Error(`DRIVER_OK without FEATURES_OK: 0x${status.toString(16)}`);
    if (status & 0x08) {
      const agreed = model.features.negotiated;
      if (agreed === undefined || agreed & ~model.features.offered || !(agreed & VERSION_1)) throw new Error(`FEATURES_OK with features ${String(agreed)}`);
    }
    if (status !== 0 && this.lastStatus & ~status) throw new Error(`status went from 0x${this.lastStatus.toString(16)} to 0x${status.toString(16)} without a reset`);
    if (/internal error/.test(model.lastError ?? "")) throw new Error(`model: ${model.lastError}`);
    this.lastStatus = status;
  }

  private word(at: number, size: 2 | 4): number {
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + this.s.config(at + i);
    return v;
  }
}

/**
 * A driver status write of `value` to a device whose status was `before` (virtio 1.2,
 * 2.1): clearing a bit without writing 0, or DRIVER_OK without FEATURES_OK, must leave the
 * device in DEVICE_NEEDS_RESET (unless it already was: then the write is ignored).
 */
export function checkStatusWrite(before: number, value: number, after: number): void {
  const v = value & 0xff;
  if (v === 0) {
    if (after !== 0) throw new Error(`status write 0 left status 0x${after.toString(16)}`);
    return;
  }
  if (before & 0x40) {
    if (after !== before) throw new Error(`status write 0x${v.toString(16)} changed a device that needs a reset: 0x${before.toString(16)} -> 0x${after.toString(16)}`);
    return;
  }
  const cleared = before & 0x8f & ~v;
  const refusedDriverOk = v & 0x04 && !(after & 0x04);
  if ((cleared || refusedDriverOk) && !(after & 0x40)) {
    throw new Error(`status write 0x${v.toString(16)} over 0x${before.toString(16)} broke the protocol but left 0x${after.toString(16)}`);
  }
}
