// The guest side of the PCI fuzzer: configuration cycles through ports 0xCF8/0xCFC on a
// FakePlatform, the virtio capabilities found by walking the list the way Linux's
// virtio_pci_modern does, BAR accesses as the CPU makes them (over MMIO a 16-bit access
// is two byte accesses, as v86 delivers it), and a correct bring-up of an echo device
// that proves the function still works. Every read is checked to fit its width here.
// Offsets of the common configuration come from the spec (virtio 1.2, 4.1.4.3), not from
// the code under test.
import type { BarKind } from "../../src/pci/bar.js";
import type { AccessSize } from "../../src/platform/platform.js";
import type { FakePlatform } from "./fake-platform.js";

export const COMMON = {
  deviceFeatureSelect: 0x00, deviceFeature: 0x04, driverFeatureSelect: 0x08, driverFeature: 0x0c, msixConfig: 0x10,
  numQueues: 0x12, status: 0x14, configGeneration: 0x15, queueSelect: 0x16, queueSize: 0x18, queueMsixVector: 0x1a,
  queueEnable: 0x1c, queueNotifyOff: 0x1e, queueDesc: 0x20, queueDriver: 0x28, queueDevice: 0x30,
} as const;

/** Where the driver found things, as BAR offsets (and the PCI-config-access capability's position). */
export interface VirtioCaps {
  common: number;
  isr: number;
  notify: number;
  notifyLength: number;
  multiplier: number;
  device: number;
  /** Configuration-space offset of the VIRTIO_PCI_CAP_PCI_CFG capability. */
  pciCfg: number;
}

export class FitError extends Error {
  override name = "FitError";
}

/** Throws unless `value` is a whole number that fits `size` bytes. */
export function fits(value: number | undefined, size: number, what: string): number {
  if (value === undefined || !Number.isInteger(value) || value < 0 || value >= 2 ** (8 * size)) {
    throw new FitError(`${what}: a ${size}-byte read returned ${String(value)}`);
  }
  return value;
}

export class PciFuzzDriver {
  constructor(readonly platform: FakePlatform, readonly devfn: number, readonly barKind: BarKind, readonly barSize: number) {}

  configRead(reg: number, size: AccessSize, devfn = this.devfn): number {
    return fits(this.platform.configRead(devfn, reg, size), size, `config read 0x${reg.toString(16)}`);
  }

  configWrite(reg: number, size: AccessSize, value: number, devfn = this.devfn): void {
    this.platform.configWrite(devfn, reg, size, value);
  }

  /** Walks the capability list from 0x34 and reads the five virtio capabilities (4.1.4). */
  findCaps(): VirtioCaps {
    const found = new Map<number, { offset: number; length: number; at: number }>();
    let multiplier = 0;
    let steps = 0;
    for (let at = this.configRead(0x34, 1); at !== 0; at = this.configRead(at + 1, 1)) {
      if (++steps > 48) throw new Error("capability list does not end");
      if (this.configRead(at, 1) !== 0x09) continue;
      const type = this.configRead(at + 3, 1);
      if (found.has(type)) continue; // the first of each type is the one to use
      found.set(type, { offset: this.configRead(at + 8, 4), length: this.configRead(at + 12, 4), at });
      if (type === 2) multiplier = this.configRead(at + 16, 4);
    }
    const get = (type: number) => {
      const cap = found.get(type);
      if (!cap) throw new Error(`no virtio capability of type ${type}`);
      return cap;
    };
    return {
      common: get(1).offset, notify: get(2).offset, notifyLength: get(2).length, multiplier,
      isr: get(3).offset, device: get(4).offset, pciCfg: get(5).at,
    };
  }

  /** BAR 0's size, found as firmware does: write all ones, read back, restore. */
  sizeBar(): number {
    const old = this.configRead(0x10, 4);
    this.configWrite(0x10, 4, 0xffffffff);
    const probe = this.configRead(0x10, 4);
    this.configWrite(0x10, 4, old);
    const io = this.barKind === "io";
    let mask = (probe & (io ? ~0x3 : ~0xf)) >>> 0;
    // The upper 16 bits of an I/O BAR may be hardwired to 0 (PCI 3.0, 6.2.5.1).
    if (io && mask < 0x10000) mask = (mask | 0xffff0000) >>> 0;
    return 2 ** 32 - mask;
  }

  /** As firmware does: BAR 0 at `base` (its upper half 0 for a 64-bit BAR), decoding and bus mastering on. */
  mapBar(base: number): void {
    this.configWrite(0x10, 4, base);
    if (this.barKind === "mem64") this.configWrite(0x14, 4, 0);
    this.configWrite(0x04, 2, this.barKind === "io" ? 0x5 : 0x6);
  }

  /** Where BAR 0 decodes according to configuration space, if it is programmed and enabled. */
  programmedBase(): number {
    const low = this.platform.configRead(this.devfn, 0x10, 4);
    return (low & (this.barKind === "io" ? ~0x3 : ~0xf)) >>> 0;
  }

  /** A BAR access at `offset` from `base` as the CPU makes it; undefined when nothing answers. */
  barRead(base: number, offset: number, size: AccessSize): number | undefined {
    if (this.barKind === "io") return fits(this.platform.inPort(base + offset, size), size, `port read at BAR+0x${offset.toString(16)}`);
    if (size === 2) {
      const lo = this.platform.readMmio(base + offset, 1);
      const hi = this.platform.readMmio(base + offset + 1, 1);
      if (lo === undefined || hi === undefined) return undefined;
      return fits(lo, 1, "MMIO byte read") | (fits(hi, 1, "MMIO byte read") << 8);
    }
    const value = this.platform.readMmio(base + offset, size);
    return value === undefined ? undefined : fits(value, size, `MMIO read at BAR+0x${offset.toString(16)}`);
  }

  barWrite(base: number, offset: number, size: AccessSize, value: number): void {
    const v = size === 4 ? value >>> 0 : value & (2 ** (8 * size) - 1);
    if (this.barKind === "io") {
      this.platform.outPort(base + offset, size, v);
    } else if (size === 2) {
      this.platform.writeMmio(base + offset, 1, v & 0xff);
      this.platform.writeMmio(base + offset + 1, 1, v >>> 8);
    } else {
      this.platform.writeMmio(base + offset, size, v);
    }
  }
}
