import { describe, expect, it } from "vitest";
import { PciBus } from "../../src/pci/pci-bus.js";
import { PciFunction } from "../../src/pci/pci-function.js";
import { barWindow, PciConfigError, type BarDefinition, type BarHandler } from "../../src/pci/bar.js";
import { FakePlatform } from "../support/fake-platform.js";

const KiB = 1024;
const MiB = 1024 * KiB;

function recorder(name: string, log: string[]): BarHandler {
  return {
    read: (offset, size) => {
      log.push(`${name} r ${offset.toString(16)}/${size}`);
      return 0x11223344 % 2 ** (8 * size);
    },
    write: (offset, size, value) => log.push(`${name} w ${offset.toString(16)}/${size}=${value.toString(16)}`),
  };
}

function setup(bars: (BarDefinition | undefined)[]) {
  const platform = new FakePlatform();
  const bus = new PciBus(platform);
  const fn = new PciFunction({ vendorId: 0x1234, deviceId: 0x5678, classCode: 0xff0000, bars });
  const devfn = bus.addFunction(fn) << 3;
  const read = (reg: number) => platform.configRead(devfn, reg, 4);
  const write = (reg: number, value: number) => platform.configWrite(devfn, reg, 4, value);
  return { platform, fn, read, write };
}

describe("BAR sizing", () => {
  it("answers the all-ones probe with the size mask and the type bits", () => {
    const log: string[] = [];
    const { read, write } = setup([
      { kind: "io", size: 32, handler: recorder("io", log) },
      { kind: "mem32", size: 128 * KiB, handler: recorder("m", log) },
      { kind: "mem64", size: 4 * MiB, prefetchable: true, handler: recorder("m64", log) },
    ]);
    expect([0x10, 0x14, 0x18, 0x1c].map(read)).toEqual([0x1, 0x0, 0xc, 0x0]);
    for (const reg of [0x10, 0x14, 0x18, 0x1c, 0x20, 0x24]) write(reg, 0xffffffff);
    expect(read(0x10)).toBe(0xffffffe1); // I/O, 32 bytes
    expect(read(0x14)).toBe(0xfffe0000); // 32-bit memory, 128 KiB
    expect(read(0x18)).toBe(0xffc0000c); // 64-bit prefetchable, 4 MiB...
    expect(read(0x1c)).toBe(0xffffffff); // ...whose upper half is all address
    expect(read(0x20)).toBe(0); // no BAR here
    expect(read(0x24)).toBe(0);
  });

  it("keeps a BAR unmapped while it is being sized, even with decoding on", () => {
    const { platform, write } = setup([{ kind: "mem32", size: 128 * KiB, handler: recorder("m", []) }]);
    write(0x04, 0x2);
    write(0x10, 0xffffffff);
    expect(platform.mmioRanges()).toEqual([]);
  });

  it("rejects sizes v86 cannot map or the spec does not allow", () => {
    const h = recorder("x", []);
    expect(() => new PciFunction({ vendorId: 1, deviceId: 1, classCode: 0, bars: [{ kind: "mem32", size: 4 * KiB, handler: h }] })).toThrow(/128 KiB/);
    expect(() => new PciFunction({ vendorId: 1, deviceId: 1, classCode: 0, bars: [{ kind: "io", size: 48, handler: h }] })).toThrow(/power of two/);
    expect(() => new PciFunction({ vendorId: 1, deviceId: 1, classCode: 0, bars: [{ kind: "io", size: 512, handler: h }] })).toThrow(PciConfigError);
    const sixty4 = { kind: "mem64", size: 128 * KiB, handler: h } as const;
    expect(() => new PciFunction({ vendorId: 1, deviceId: 1, classCode: 0, bars: [sixty4, sixty4] })).toThrow(/upper half/);
    expect(() => new PciFunction({ vendorId: 1, deviceId: 1, classCode: 0, bars: [, , , , , sixty4] })).toThrow(/BAR 5/);
  });
});

describe("BAR decoding", () => {
  it("maps a BAR only when it has an address and its space is enabled", () => {
    const log: string[] = [];
    const { platform, write } = setup([
      { kind: "io", size: 32, handler: recorder("io", log) },
      { kind: "mem32", size: 128 * KiB, handler: recorder("m", log) },
    ]);
    write(0x10, 0xc000);
    write(0x14, 0xfebc0000);
    expect(platform.ioRanges()).toEqual([[0xcf8, 8]]); // only the bus's own ports
    expect(platform.mmioRanges()).toEqual([]);
    write(0x04, 0x1);
    expect(platform.ioRanges()).toContainEqual([0xc000, 32]);
    expect(platform.mmioRanges()).toEqual([]);
    write(0x04, 0x3);
    expect(platform.mmioRanges()).toEqual([[0xfebc0000, 128 * KiB]]);
    write(0x04, 0x1);
    expect(platform.mmioRanges()).toEqual([]); // memory decoding off: the BAR disappears
    expect(platform.readMmio(0xfebc0000, 4)).toBeUndefined();
  });

  it("hands the handler offsets from the BAR's start, with the access size", () => {
    const log: string[] = [];
    const { platform, write } = setup([
      { kind: "io", size: 32, handler: recorder("io", log) },
      { kind: "mem32", size: 128 * KiB, handler: recorder("m", log) },
    ]);
    write(0x10, 0xc000);
    write(0x14, 0xfebc0000);
    write(0x04, 0x3);
    expect(platform.inPort(0xc002, 2)).toBe(0x3344);
    platform.outPort(0xc01f, 1, 0xab);
    expect(platform.readMmio(0xfebc0104, 4)).toBe(0x11223344);
    platform.writeMmio(0xfebdffff, 1, 0x5);
    expect(log).toEqual(["io r 2/2", "io w 1f/1=ab", "m r 104/4", "m w 1ffff/1=5"]);
  });

  it("moves the mapping when the guest reprograms the BAR", () => {
    const { platform, write } = setup([
      { kind: "io", size: 32, handler: recorder("io", []) },
      { kind: "mem64", size: 1 * MiB, handler: recorder("m", []) },
    ]);
    write(0x10, 0xc000);
    write(0x14, 0xfe000000);
    write(0x18, 0);
    write(0x04, 0x3);
    expect(platform.ioRanges()).toContainEqual([0xc000, 32]);
    expect(platform.mmioRanges()).toEqual([[0xfe000000, MiB]]);
    write(0x10, 0xd020);
    write(0x14, 0x80000000);
    expect(platform.ioRanges()).not.toContainEqual([0xc000, 32]);
    expect(platform.ioRanges()).toContainEqual([0xd020, 32]);
    expect(platform.mmioRanges()).toEqual([[0x80000000, MiB]]);
    write(0x18, 1); // above 4 GiB: beyond v86's physical address space
    expect(platform.mmioRanges()).toEqual([]);
    write(0x18, 0);
    write(0x14, 0); // address 0: unmapped
    expect(platform.mmioRanges()).toEqual([]);
  });

  it("follows byte-wide BAR writes too", () => {
    const { platform, fn, write } = setup([{ kind: "mem32", size: 128 * KiB, handler: recorder("m", []) }]);
    write(0x04, 0x2);
    fn.configWrite(0x13, 1, 0xfe); // firmware writing the BAR a byte at a time
    fn.configWrite(0x12, 1, 0xbc);
    expect(platform.mmioRanges()).toEqual([[0xfebc0000, 128 * KiB]]);
  });

  it("leaves I/O BARs that run past port 0xffff unmapped", () => {
    const def: BarDefinition = { kind: "io", size: 32, handler: recorder("io", []) };
    expect(barWindow(def, 0xffe1, 0, true)).toBeUndefined();
    expect(barWindow(def, 0xffc1, 0, true)).toBe(0xffc0);
    expect(barWindow(def, 0x10000 | 0x1, 0, true)).toBeUndefined();
    expect(barWindow(def, 0xc001, 0, false)).toBeUndefined();
  });

  it("unmaps everything on reset", () => {
    const { platform, fn, read, write } = setup([{ kind: "io", size: 32, handler: recorder("io", []) }]);
    write(0x10, 0xc000);
    write(0x04, 0x1);
    fn.reset();
    expect(platform.ioRanges()).toEqual([[0xcf8, 8]]);
    expect(read(0x10)).toBe(0x1);
    expect(read(0x04) & 0xffff).toBe(0);
  });
});
