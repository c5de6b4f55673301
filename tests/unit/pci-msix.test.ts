// MSI-X at the PCI level: the capability in configuration space, the table and PBA in a
// memory BAR, masking (per vector and for the whole function), the enable bit against
// INTx, saved state, and a guest that writes nonsense.
import { describe, expect, it } from "vitest";
import { PciBus } from "../../src/pci/pci-bus.js";
import { PciFunction } from "../../src/pci/pci-function.js";
import { CAP_MSIX, Msix, MSIX_CONTROL_ENABLE, MSIX_CONTROL_FUNCTION_MASK, type MsixPlacement } from "../../src/pci/msix.js";
import { PciConfigError } from "../../src/pci/bar.js";
import { FakePlatform } from "../support/fake-platform.js";

const TABLE = 0x1000;
const PBA = 0x2000;
const MSI_ADDRESS = 0xfee0_0000;

function setup(vectors = 3, placement: Partial<MsixPlacement> = {}) {
  const platform = new FakePlatform();
  platform.setPirqRoutes();
  const bus = new PciBus(platform);
  let fn: PciFunction | undefined;
  const msix = new Msix({ vectors, bar: 0, tableOffset: TABLE, pbaOffset: PBA, ...placement }, (a, d) => fn!.sendMessage(a, d));
  fn = new PciFunction({
    vendorId: 0x1af4,
    deviceId: 0x1044,
    classCode: 0xff0000,
    interruptPin: 1,
    bars: [{ kind: "mem32", size: 0x20000, handler: { read: (o, s) => msix.read(o, s), write: (o, s, v) => msix.write(o, s, v) } }],
    msix,
  });
  bus.addFunction(fn);
  const cap = fn.capabilities.find((c) => c.def.id === CAP_MSIX)!;
  const control = (value: number) => fn!.configWrite(cap.offset + 2, 2, value);
  /** Programs vector `v` with data `0x40 + v` and the given mask. */
  const program = (v: number, masked = false) => {
    msix.write(TABLE + 16 * v, 4, MSI_ADDRESS);
    msix.write(TABLE + 16 * v + 4, 4, 0);
    msix.write(TABLE + 16 * v + 8, 4, 0x40 + v);
    msix.write(TABLE + 16 * v + 12, 4, masked ? 1 : 0);
  };
  return { platform, fn, msix, cap, control, program };
}

describe("MSI-X", () => {
  it("is in the capability list with its table size, table and PBA in BAR 0", () => {
    const { fn, cap } = setup(5);
    let at = fn.configRead(0x34, 1);
    while (at !== 0 && fn.configRead(at, 1) !== CAP_MSIX) at = fn.configRead(at + 1, 1);
    expect(at).toBe(cap.offset);
    expect(fn.configRead(at + 2, 2)).toBe(4); // table size - 1, disabled, not masked
    expect(fn.configRead(at + 4, 4)).toBe(TABLE | 0);
    expect(fn.configRead(at + 8, 4)).toBe(PBA | 0);
    // Only enable and function mask are writable.
    fn.configWrite(at + 2, 2, 0xffff);
    expect(fn.configRead(at + 2, 2)).toBe(4 | MSIX_CONTROL_ENABLE | MSIX_CONTROL_FUNCTION_MASK);
    fn.configWrite(at + 4, 4, 0xffffffff);
    expect(fn.configRead(at + 4, 4)).toBe(TABLE);
  });

  it("starts with every vector masked, and takes table writes of any width", () => {
    const { msix } = setup();
    expect(msix.read(TABLE + 12, 4)).toBe(1);
    msix.write(TABLE, 1, 0x0c); // bits 0-1 of the address are reserved
    msix.write(TABLE + 1, 1, 0x10);
    msix.write(TABLE + 2, 1, 0xe0);
    msix.write(TABLE + 3, 1, 0xfe);
    expect(msix.read(TABLE, 4)).toBe(0xfee0100c);
    msix.write(TABLE + 12, 4, 0xffffffff);
    expect(msix.read(TABLE + 12, 4)).toBe(1); // vector control: only the mask bit
    expect(msix.entry(0)).toEqual({ address: 0xfee0100c, data: 0, masked: true });
  });

  it("sends an unmasked vector's message once enabled, and none while disabled", () => {
    const { platform, msix, control, program } = setup();
    program(1);
    expect(msix.signal(1)).toBe(false); // MSI-X off: the transport uses INTx
    expect(platform.msiLog).toEqual([]);
    control(MSIX_CONTROL_ENABLE);
    expect(msix.signal(1)).toBe(true);
    expect(msix.signal(1)).toBe(true); // each signal is a message of its own
    expect(platform.msiLog).toEqual([{ address: MSI_ADDRESS, data: 0x41 }, { address: MSI_ADDRESS, data: 0x41 }]);
    expect(msix.signal(3)).toBe(false); // no such vector
    expect(msix.signal(-1)).toBe(false);
  });

  it("holds a masked vector's message as its pending bit, and sends it when unmasked", () => {
    const { platform, msix, control, program } = setup(3);
    control(MSIX_CONTROL_ENABLE);
    program(2, true);
    expect(msix.signal(2)).toBe(true);
    expect(msix.signal(2)).toBe(false); // already pending: one message for both
    expect(platform.msiLog).toEqual([]);
    expect(msix.read(PBA, 4)).toBe(1 << 2);
    msix.write(PBA, 4, 0); // the PBA is read-only
    expect(msix.isPending(2)).toBe(true);
    msix.write(TABLE + 16 * 2 + 12, 4, 0); // unmask
    expect(platform.msiLog).toEqual([{ address: MSI_ADDRESS, data: 0x42 }]);
    expect(msix.read(PBA, 4)).toBe(0);
  });

  it("masks the whole function, then sends every unmasked pending vector when the mask lifts", () => {
    const { platform, msix, control, program } = setup(3);
    program(0);
    program(1, true);
    control(MSIX_CONTROL_ENABLE | MSIX_CONTROL_FUNCTION_MASK);
    msix.signal(0);
    msix.signal(1);
    expect(platform.msiLog).toEqual([]);
    expect(msix.read(PBA, 1)).toBe(3);
    control(MSIX_CONTROL_ENABLE);
    expect(platform.msiLog).toEqual([{ address: MSI_ADDRESS, data: 0x40 }]);
    expect(msix.read(PBA, 1)).toBe(2); // vector 1 still masked
  });

  it("keeps INTx quiet while MSI-X is enabled, and falls back to it when disabled", () => {
    const { platform, fn, control } = setup();
    control(MSIX_CONTROL_ENABLE);
    fn.setIrq(true);
    expect(fn.intxAsserted).toBe(false);
    expect([...platform.irqLevels.values()].some(Boolean)).toBe(false);
    control(0);
    expect(fn.intxAsserted).toBe(true);
    expect([...platform.irqLevels.values()].some(Boolean)).toBe(true);
    control(MSIX_CONTROL_ENABLE); // turning MSI-X on lowers an asserted line
    expect([...platform.irqLevels.values()].some(Boolean)).toBe(false);
  });

  it("saves the table and PBA, and a reset forgets them", () => {
    const a = setup(3);
    a.control(MSIX_CONTROL_ENABLE);
    a.program(0);
    a.program(1, true);
    a.msix.signal(1);
    const saved = a.msix.saveState();
    const config = a.fn.saveState();
    const b = setup(3);
    b.fn.restoreState(config);
    b.msix.restoreState(saved);
    expect(b.msix.entry(1)).toEqual({ address: MSI_ADDRESS, data: 0x41, masked: true });
    expect(b.msix.isPending(1)).toBe(true);
    expect(b.msix.enabled).toBe(true);
    expect(() => b.msix.restoreState({ table: new Uint8Array(16), pba: saved.pba })).toThrow(RangeError);
    b.fn.reset();
    expect(b.msix.enabled).toBe(false);
    expect(b.msix.isPending(1)).toBe(false);
    expect(b.msix.entry(0).masked).toBe(true);
  });

  it("refuses placements that cannot work", () => {
    const send = () => {};
    expect(() => new Msix({ vectors: 0, bar: 0, tableOffset: 0, pbaOffset: 0x800 }, send)).toThrow(PciConfigError);
    expect(() => new Msix({ vectors: 2049, bar: 0, tableOffset: 0, pbaOffset: 0x10000 }, send)).toThrow(PciConfigError);
    expect(() => new Msix({ vectors: 4, bar: 0, tableOffset: 0, pbaOffset: 0x20 }, send)).toThrow(/overlap/);
    expect(() => new Msix({ vectors: 4, bar: 0, tableOffset: 4, pbaOffset: 0x100 }, send)).toThrow(/aligned/);
    const msix = new Msix({ vectors: 4, bar: 1, tableOffset: 0, pbaOffset: 0x100 }, send);
    expect(() => new PciFunction({ vendorId: 1, deviceId: 1, classCode: 0, bars: [{ kind: "mem32", size: 0x20000, handler: { read: () => 0, write: () => {} } }], msix })).toThrow(/BAR 1/);
  });

  it("ignores reads and writes outside the table and PBA", () => {
    const { msix } = setup(3);
    expect(msix.covers(TABLE + 3 * 16)).toBe(false);
    expect(msix.read(TABLE + 3 * 16, 4)).toBe(0);
    msix.write(TABLE + 3 * 16 - 2, 4, 0xffffffff); // straddles the end: the first two bytes land
    expect(msix.read(TABLE + 2 * 16 + 12, 4)).toBe(1);
    expect(msix.read(PBA + 8, 4)).toBe(0);
  });
});
