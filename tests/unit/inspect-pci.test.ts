// The inspector's PCI list: every function on bus 0, ours from our config spaces and v86's
// through the read-only v86 view, with BARs decoded and sized without a configuration
// cycle (v86's latch and log stay untouched).
import { describe, expect, it } from "vitest";
import { pciFunctionView } from "../../src/inspect/pci-view.js";
import { PciBus, type V86PciView } from "../../src/pci/pci-bus.js";
import { PciFunction } from "../../src/pci/pci-function.js";
import type { AccessSize } from "../../src/platform/platform.js";
import type { V86Cpu } from "../../src/v86/internals.js";
import { v86PciView } from "../../src/v86/v86-pci-view.js";
import { FakePlatform, type FakeV86PciBus } from "../support/fake-platform.js";

const handler = { read: () => 0, write: () => {} };

/** The fake v86 bus's spaces as a V86PciView (what src/v86 gives the real machine). */
function fakeView(v86: FakeV86PciBus): V86PciView {
  const read = (devfn: number, offset: number, size: AccessSize) => {
    const space = v86.spaces.get(devfn);
    let value = 0;
    for (let i = size - 1; i >= 0; i--) value = value * 256 + (space ? space[offset + i]! : 0xff);
    return value;
  };
  return {
    devfns: () => [...v86.spaces.keys()].sort((a, b) => a - b),
    readConfig: read,
    name: (devfn) => (devfn === 0 ? "82441FX PMC" : undefined),
    bars: () => [],
  };
}

describe("PciBus.functions and the PCI views", () => {
  it("lists v86's functions and ours, in devfn order, without a configuration cycle", () => {
    const platform = new FakePlatform();
    const bus = new PciBus(platform, { v86View: fakeView(platform.v86) });
    const fn = new PciFunction({
      name: "test-fn", vendorId: 0x1af4, deviceId: 0x1041, classCode: 0x020000, interruptPin: 1,
      bars: [{ kind: "io", size: 32, handler }, { kind: "mem32", size: 128 * 1024, handler }, { kind: "mem64", size: 256 * 1024, handler }],
    });
    const slot = bus.addFunction(fn);
    const devfn = slot << 3;
    platform.setPirqRoutes();
    platform.configWrite(devfn, 0x10, 4, 0xc040);
    platform.configWrite(devfn, 0x14, 4, 0xfebc0000);
    platform.configWrite(devfn, 0x18, 4, 0xfe000000);
    platform.configWrite(devfn, 0x1c, 4, 0);
    platform.configWrite(devfn, 0x3c, 1, 11);
    platform.configWrite(devfn, 0x04, 2, 0x0007);
    platform.outPort(0xcf8, 4, 0x8000_0838); // the guest's latch, mid-access
    const logged = platform.v86.log.length;

    const views = bus.functions().map(pciFunctionView);
    expect(platform.v86.log.length).toBe(logged);
    expect(platform.v86.address).toBe(0x8000_0838);
    expect(views.map((v) => [v.address, v.name, v.ours])).toEqual([
      ["00:00.0", "440FX host bridge", false],
      ["00:01.0", "PIIX3 ISA bridge", false],
      [`00:0${slot}.0`, "test-fn", true],
    ]);
    const host = views[0]!;
    expect([host.vendorId, host.deviceId, host.classCode]).toEqual([0x8086, 0x1237, "06:00:00"]);
    const ours = views[2]!;
    expect(ours.classCode).toBe("02:00:00");
    expect(ours.bars).toEqual([
      { index: 0, kind: "io", address: 0xc040, size: 32 },
      { index: 1, kind: "mem32", address: 0xfebc0000, size: 128 * 1024 },
      { index: 2, kind: "mem64", address: 0xfe000000, size: 256 * 1024 },
    ]);
    expect([ours.irqLine, ours.irqPin, ours.command]).toEqual([11, 1, 0x0007]);
  });

  it("lists only our functions without a v86 view", () => {
    const platform = new FakePlatform();
    const bus = new PciBus(platform);
    bus.addFunction(new PciFunction({ vendorId: 0x1234, deviceId: 0x1111, classCode: 0x030000 }));
    expect(bus.functions().map((f) => [f.devfn >> 3, f.ours])).toEqual([[2, true]]);
  });
});

describe("v86PciView", () => {
  /** A cpu with v86 0.5's PCI bus shape: device objects and Int32Array config spaces by devfn. */
  function fakeCpu(): V86Cpu {
    const devices: (object | undefined)[] = new Array(256);
    const spaces: (Int32Array | undefined)[] = new Array(256);
    const add = (devfn: number, bytes: number[], device: object) => {
      const space = new Int32Array(64);
      new Uint8Array(space.buffer).set(bytes);
      spaces[devfn] = space;
      devices[devfn] = device;
    };
    add(0, [0x86, 0x80, 0x37, 0x12, 0, 0, 0, 0, 2, 0, 0, 6], { name: "82441FX PMC", pci_bars: [] });
    const vga = [0x34, 0x12, 0x11, 0x11, 3, 1, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0x08, 0, 0, 0xe0];
    add(2 << 3, vga, { name: "vga", pci_bars: [{ size: 2 * 1024 * 1024 }] });
    const unknown = [0x34, 0x12, 0x78, 0x56, 0, 0, 0, 0, 0, 0, 0, 0xff, 0, 0, 0, 0, 0x01, 0xc1, 0, 0];
    add(3 << 3, unknown, {});
    return { devices: { pci: { devices, device_spaces: spaces } } } as unknown as V86Cpu;
  }

  it("reads config bytes and BAR sizes straight from v86's objects", () => {
    const view = v86PciView(fakeCpu());
    expect(view.devfns()).toEqual([0, 16, 24]);
    expect(view.readConfig(0, 0, 4)).toBe(0x12378086);
    expect(view.readConfig(0, 0x0a, 2)).toBe(0x0600);
    expect(view.readConfig(8, 0, 2)).toBe(0xffff); // nothing at 00:01.0 in this fake
    expect(view.name(0)).toBe("82441FX PMC");
    expect(view.name(24)).toBeUndefined();
    expect(view.bars(0)).toEqual([]);
    expect(view.bars(16)).toEqual([{ index: 0, size: 2 * 1024 * 1024 }]);
    expect(view.bars(24)).toEqual([{ index: 0, size: 0 }]); // v86 says nothing: size unknown

    const vga = pciFunctionView({ devfn: 16, ours: false, name: "vga", readConfig: (o, s) => view.readConfig(16, o, s), bars: view.bars(16) });
    expect(vga.name).toBe("VGA (Bochs display)");
    expect(vga.bars).toEqual([{ index: 0, kind: "mem32", address: 0xe0000000, size: 2 * 1024 * 1024 }]);
    const other = pciFunctionView({ devfn: 24, ours: false, name: undefined, readConfig: (o, s) => view.readConfig(24, o, s), bars: view.bars(24) });
    expect(other.name).toBe("unknown");
    expect(other.bars).toEqual([{ index: 0, kind: "io", address: 0xc100, size: 0 }]);
  });
});
