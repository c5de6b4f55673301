import { describe, expect, it } from "vitest";
import { ConfigSpace } from "../../src/pci/config-space.js";
import { PciFunction } from "../../src/pci/pci-function.js";
import { PciConfigError } from "../../src/pci/bar.js";

function plainFunction(): PciFunction {
  return new PciFunction({
    vendorId: 0x1af4, deviceId: 0x1042, classCode: 0x010000, revision: 1,
    subsystemVendorId: 0x1af4, subsystemId: 0x0002, interruptPin: 1,
    bars: [{ kind: "mem32", size: 128 * 1024, handler: { read: () => 0, write: () => {} } }],
  });
}

describe("config space bytes", () => {
  it("stores little-endian values of 1, 2 and 4 bytes at any offset", () => {
    const c = new ConfigSpace();
    c.set(0x40, 4, 0x44332211);
    expect(c.read(0x40, 1)).toBe(0x11);
    expect(c.read(0x41, 2)).toBe(0x3322);
    expect(c.read(0x40, 4)).toBe(0x44332211);
    expect(c.read(0xfe, 4)).toBe(0xffff0000); // past the end reads as ones
  });

  it("lets the guest change writable bits only, and clears write-1-to-clear bits", () => {
    const c = new ConfigSpace();
    c.set(0x50, 2, 0xf0f0);
    c.setWritable(0x50, 1, 0x0f);
    c.setWriteOneToClear(0x51, 1, 0x30);
    c.write(0x50, 2, 0x0000);
    expect(c.read(0x50, 2)).toBe(0xf0f0); // writing 0 to W1C bits keeps them
    c.write(0x50, 2, 0x10ff);
    expect(c.read(0x50, 2)).toBe(0xe0ff); // low nibble written, bit 12 cleared, the rest untouched
  });
});

describe("a function's standard header", () => {
  it("shows its IDs, class, revision, subsystem and pin, and keeps them read-only", () => {
    const fn = plainFunction();
    const before = [0x00, 0x08, 0x2c, 0x3d].map((at) => fn.configRead(at, 4));
    expect(before[0]).toBe(0x10421af4);
    expect(before[1]).toBe(0x01000001);
    expect(before[2]).toBe(0x00021af4);
    expect(fn.configRead(0x3d, 1)).toBe(1);
    for (const at of [0x00, 0x08, 0x2c]) fn.configWrite(at, 4, 0x12345678);
    fn.configWrite(0x3d, 1, 4);
    fn.configWrite(0x0e, 1, 0x80); // header type
    fn.configWrite(0x34, 1, 0x40); // capabilities pointer
    expect([0x00, 0x08, 0x2c, 0x3d].map((at) => fn.configRead(at, 4))).toEqual(before);
    expect(fn.configRead(0x0e, 1)).toBe(0);
    expect(fn.configRead(0x34, 1)).toBe(0);
  });

  it("clears status error bits written with 1 and keeps the read-only ones", () => {
    const fn = plainFunction();
    fn.config.set(0x06, 2, 0xf900 | 0x10); // every error bit set, and the capability-list bit
    fn.configWrite(0x06, 2, 0x2000); // clear "received master abort" only
    expect(fn.configRead(0x06, 2)).toBe(0xd910);
    fn.configWrite(0x04, 4, 0xffff0000); // a dword write to command+status clears all errors
    expect(fn.configRead(0x06, 2)).toBe(0x0010);
  });

  it("has a writable interrupt line, cache line size and command bits", () => {
    const fn = plainFunction();
    fn.configWrite(0x3c, 2, 0x030b); // line 11, and an attempt at the pin
    expect(fn.configRead(0x3c, 2)).toBe(0x010b);
    fn.configWrite(0x0c, 1, 0x10);
    expect(fn.configRead(0x0c, 1)).toBe(0x10);
    fn.configWrite(0x04, 2, 0xffff);
    // No I/O BAR: the I/O enable is hardwired to 0. Memory, bus master, parity, SERR, INTx disable.
    expect(fn.configRead(0x04, 2)).toBe(0x0546);
  });

  it("rejects IDs that do not fit their registers", () => {
    expect(() => new PciFunction({ vendorId: 0x10000, deviceId: 0, classCode: 0 })).toThrow(PciConfigError);
    expect(() => new PciFunction({ vendorId: 0xffff, deviceId: 0, classCode: 0 })).toThrow(/no device/);
    expect(() => new PciFunction({ vendorId: 1, deviceId: 0, classCode: 0x1000000 })).toThrow(/class code/);
  });
});
