import { beforeEach, describe, expect, it } from "vitest";
import { PciBus } from "../../src/pci/pci-bus.js";
import { PciFunction, type PciFunctionOptions } from "../../src/pci/pci-function.js";
import { pirqLink } from "../../src/pci/intx.js";
import { FakePlatform } from "../support/fake-platform.js";

const address = (devfn: number, reg: number, bus = 0) => (0x8000_0000 | (bus << 16) | (devfn << 8) | reg) >>> 0;

function testFunction(extra: Partial<PciFunctionOptions> = {}): PciFunction {
  return new PciFunction({ vendorId: 0x1234, deviceId: 0x5678, classCode: 0xff0000, revision: 0x42, interruptPin: 1, ...extra });
}

describe("configuration mechanism #1", () => {
  let platform: FakePlatform;
  let bus: PciBus;
  let devfn: number;
  beforeEach(() => {
    platform = new FakePlatform();
    bus = new PciBus(platform);
    devfn = bus.addFunction(testFunction()) << 3;
    platform.v86.log.length = 0; // addFunction asked v86's devices for their pins
  });

  it("answers cycles for our function and forwards the others to v86's bus", () => {
    expect(platform.configRead(devfn, 0x00, 4)).toBe(0x56781234);
    expect(platform.configRead(0x00, 0x00, 4)).toBe(0x12378086); // v86's host bridge
    expect(platform.configRead(0x08, 0x08, 4)).toBe(0x06010000); // v86's ISA bridge
    expect(platform.configRead(0x18 << 3, 0x00, 4)).toBe(0xffffffff); // nobody
    expect(platform.configRead(devfn | 1, 0x00, 2)).toBe(0xffff); // function 1 of our slot: nobody
  });

  it("keeps v86's latch equal to ours: every address write is forwarded", () => {
    platform.configRead(devfn, 0x3c, 4);
    expect(platform.v86.address).toBe(address(devfn, 0x3c));
    platform.outPort(0xcf8, 4, address(0x08, 0x60));
    expect(platform.v86.address).toBe(address(0x08, 0x60));
    expect(platform.inPort(0xcf8, 4)).toBe(address(0x08, 0x60)); // the address register reads back
  });

  it("does not bother v86 with data cycles that are ours", () => {
    platform.configWrite(devfn, 0x3c, 1, 0x0b);
    platform.configRead(devfn, 0x00, 4);
    expect(platform.v86.log.filter((entry) => / cf[c-f] /.test(entry))).toEqual([]);
  });

  it("forwards data cycles when the enable bit is off or the bus is not 0", () => {
    platform.outPort(0xcf8, 4, address(devfn, 0) & 0x7fffffff);
    expect(platform.inPort(0xcfc, 4)).toBe(0xffffffff);
    platform.outPort(0xcf8, 4, address(devfn, 0, 1));
    expect(platform.inPort(0xcfc, 2)).toBe(0xffff);
    expect(platform.v86.log.filter((entry) => entry.startsWith("r cfc"))).toHaveLength(2);
  });

  it("forwards byte writes to 0xCF9 so the PIIX reset still works", () => {
    platform.outPort(0xcf9, 1, 0x02);
    platform.outPort(0xcf9, 1, 0x06);
    expect(platform.v86.resets).toBe(1);
    expect(platform.v86.log).toContain("w cf9 1 6");
  });

  it("serves byte, word and unaligned accesses to 0xCFC-0xCFF", () => {
    platform.outPort(0xcf8, 4, address(devfn, 0x08));
    expect(platform.inPort(0xcfc, 1)).toBe(0x42); // revision
    expect(platform.inPort(0xcfd, 1)).toBe(0x00); // prog-if
    expect(platform.inPort(0xcfe, 2)).toBe(0xff00); // subclass, class
    expect(platform.inPort(0xcfd, 2)).toBe(0x0000); // unaligned word: bytes 9 and 10
    expect(platform.inPort(0xcfd, 4)).toBe(0xffff0000); // three config bytes, then past the window
    platform.outPort(0xcf8, 4, address(devfn, 0x3c));
    platform.outPort(0xcfc, 2, 0x070a); // line 10 (pin read-only)
    expect(platform.inPort(0xcfc, 4) & 0xffff).toBe(0x010a);
    platform.outPort(0xcf8, 4, address(devfn, 0x0c));
    platform.outPort(0xcfc, 1, 0x08); // cache line size
    expect(platform.inPort(0xcfc, 1)).toBe(0x08);
  });

  it("gives the ports back to v86 when closed", () => {
    bus.close();
    expect(platform.ioRanges()).toEqual([]);
  });
});

describe("slot choice", () => {
  it("takes the lowest free slot from 2, never one v86 uses", () => {
    const platform = new FakePlatform();
    platform.v86.addDevice(2 << 3, 0x1234, 0x1111, 0x030000);
    const bus = new PciBus(platform);
    expect(bus.addFunction(testFunction({ interruptPin: 0 }))).toBe(3);
    expect(bus.addFunction(testFunction({ interruptPin: 0 }))).toBe(4);
    expect(bus.functionAt(3)).toBeDefined();
    expect(() => bus.addFunction(testFunction(), { slot: 2 })).toThrow(/v86 uses it/);
    expect(() => bus.addFunction(testFunction(), { slot: 4 })).toThrow(/is there/);
    expect(() => bus.addFunction(testFunction(), { slot: 32 })).toThrow(/0-31/);
    const fn = testFunction();
    bus.addFunction(fn, { slot: 9 });
    expect(() => bus.addFunction(fn)).toThrow(/already on a bus/);
  });

  it("avoids PIRQ links a v86 device with an interrupt pin uses", () => {
    const platform = new FakePlatform();
    platform.v86.addDevice(0x12 << 3, 0x1af4, 0x1000, 0x020000, 1); // INTA in slot 18: PIRQB
    const bus = new PciBus(platform);
    expect(pirqLink(2, 1)).toBe(pirqLink(18, 1));
    expect(bus.addFunction(testFunction())).toBe(3); // slot 2 INTA would be PIRQB too
    expect(bus.addFunction(testFunction({ interruptPin: 0 }))).toBe(2); // no pin, no clash
    expect(() => bus.addFunction(testFunction(), { slot: 6 })).toThrow(/shared with a v86 device/);
    expect(v86LatchRestored(platform)).toBe(true);
  });

  it("once routes are programmed, also avoids links that lead to a v86 device's IRQ", () => {
    const platform = new FakePlatform();
    platform.setPirqRoutes([10, 10, 11, 11]);
    platform.v86.addDevice(0x12 << 3, 0x1af4, 0x1000, 0x020000, 1); // PIRQB -> IRQ 10
    const bus = new PciBus(platform);
    expect(() => bus.addFunction(testFunction(), { slot: 5 })).toThrow(/shared/); // PIRQA, also IRQ 10
    expect(bus.addFunction(testFunction())).toBe(3); // PIRQC -> IRQ 11
  });
});

/** After probing v86's devices the bus leaves v86's latch where its own is. */
function v86LatchRestored(platform: FakePlatform): boolean {
  return platform.v86.address === platform.inPort(0xcf8, 4);
}

describe("INTx", () => {
  let platform: FakePlatform;
  let bus: PciBus;
  beforeEach(() => {
    platform = new FakePlatform();
    platform.setPirqRoutes([10, 10, 11, 11]);
    bus = new PciBus(platform);
  });

  it("ORs the functions sharing a line: up with the first, down with the last", () => {
    const a = testFunction();
    const b = testFunction();
    const c = testFunction();
    bus.addFunction(a, { slot: 2 }); // INTA -> PIRQB -> 10
    bus.addFunction(b, { slot: 6 }); // INTA -> PIRQB -> 10
    bus.addFunction(c, { slot: 3 }); // INTA -> PIRQC -> 11
    a.setIrq(true);
    b.setIrq(true);
    a.setIrq(false);
    expect(platform.irqLog).toEqual(["10+"]);
    c.setIrq(true);
    b.setIrq(false);
    c.setIrq(false);
    expect(platform.irqLog).toEqual(["10+", "11+", "10-", "11-"]);
  });

  it("routes by the swizzle (pin - 1 + slot - 1) & 3 through the PIRQ registers", () => {
    platform.setPirqRoutes([5, 7, 9, 11]);
    const fns = [1, 2, 3, 4].map((pin) => testFunction({ interruptPin: pin as 1 | 2 | 3 | 4 }));
    fns.forEach((fn, i) => bus.addFunction(fn, { slot: 4 + i }));
    for (const fn of fns) {
      fn.setIrq(true);
      fn.setIrq(false);
    }
    // slot 4 INTA -> PIRQD, slot 5 INTB -> PIRQB, slot 6 INTC -> PIRQD, slot 7 INTD -> PIRQB
    expect(platform.irqLog).toEqual(["11+", "11-", "7+", "7-", "11+", "11-", "7+", "7-"]);
  });

  it("holds a shared line high while any sharer asserts (wired-OR), and drops it with the last", () => {
    const a = testFunction();
    const b = testFunction({ interruptPin: 4 });
    bus.addFunction(a, { slot: 2 }); // INTA -> PIRQB -> 10
    bus.addFunction(b, { slot: 3 }); // INTD -> PIRQB -> 10
    a.setIrq(true);
    b.setIrq(true);
    a.setIrq(false);
    expect(platform.irqLog).toEqual(["10+"]);
    b.setIrq(false);
    expect(platform.irqLog).toEqual(["10+", "10-"]);
    a.setIrq(true);
    expect(platform.irqLog).toEqual(["10+", "10-", "10+"]);
  });

  it("raises nothing on an unrouted link, and follows the guest when it routes it", () => {
    platform.setPirqRoutes([0x80, 0x80, 0x80, 0x80]);
    const fn = testFunction();
    const devfn = bus.addFunction(fn, { slot: 2 }) << 3;
    fn.setIrq(true);
    expect(platform.irqLog).toEqual([]);
    platform.configWrite(0x08, 0x61, 1, 9); // the guest routes PIRQB to IRQ 9 (through v86's bus)
    expect(platform.irqLog).toEqual(["9+"]);
    platform.configWrite(0x08, 0x60, 4, 0x0b0b0b0b); // and moves it to IRQ 11
    expect(platform.irqLog).toEqual(["9+", "9-", "11+"]);
    expect(platform.configRead(devfn, 0x3c, 1)).toBe(11);
  });

  it("honours INTx disable and shows the level in status bit 3", () => {
    const fn = testFunction();
    const devfn = bus.addFunction(fn, { slot: 2 }) << 3;
    platform.configWrite(devfn, 0x04, 2, 0x400);
    fn.setIrq(true);
    expect(platform.irqLog).toEqual([]);
    expect(platform.configRead(devfn, 0x06, 2) & 0x08).toBe(0x08);
    platform.configWrite(devfn, 0x04, 2, 0x000);
    expect(platform.irqLog).toEqual(["10+"]);
    platform.configWrite(devfn, 0x04, 2, 0x400);
    expect(platform.irqLog).toEqual(["10+", "10-"]);
  });

  it("fills the interrupt line register with the route until software writes it", () => {
    const fn = testFunction();
    const devfn = bus.addFunction(fn, { slot: 3 }) << 3; // PIRQC -> 11
    expect(platform.configRead(devfn, 0x3c, 2)).toBe(0x010b);
    platform.setPirqRoutes([0x80, 0x80, 0x80, 0x80]);
    expect(platform.configRead(devfn, 0x3c, 1)).toBe(0xff);
    platform.configWrite(devfn, 0x3c, 1, 5);
    platform.setPirqRoutes();
    expect(platform.configRead(devfn, 0x3c, 1)).toBe(5);
    const noPin = testFunction({ interruptPin: 0 });
    expect(platform.configRead(bus.addFunction(noPin) << 3, 0x3c, 2)).toBe(0);
  });

  it("lowers our lines and resets every function on reset", () => {
    let resets = 0;
    const fn = testFunction({ onReset: () => resets++ });
    const devfn = bus.addFunction(fn, { slot: 2 }) << 3;
    platform.configWrite(devfn, 0x3c, 1, 5);
    fn.setIrq(true);
    bus.reset();
    expect(platform.irqLog).toEqual(["10+", "10-"]);
    expect(resets).toBe(1);
    expect(platform.configRead(devfn, 0x3c, 1)).toBe(10); // software's value is gone too
  });
});
