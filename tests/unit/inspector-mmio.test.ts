// The inspector's virtio-mmio list: what the machine side gives (src/inspect/mmio-view.ts)
// and how the page words it (src/page/inspector-mmio.ts).
import { describe, expect, it } from "vitest";
import { Inspector } from "../../src/inspect/inspector.js";
import { interruptText, magicText, queueText } from "../../src/page/inspector-mmio.js";
import { pciAddress } from "../../src/page/inspector-format.js";
import { VirtioMmioTransport } from "../../src/virtio-mmio/virtio-mmio-transport.js";
import { VirtioRng } from "../../src/devices/virtio-rng.js";
import { MockDriver } from "../support/mock-driver.js";
import { testModelOptions } from "../support/test-interrupt.js";
import { FakePlatform } from "../support/fake-platform.js";
import { MmioWindows } from "../../src/virtio-mmio/mmio-windows.js";
import { MmioDriver } from "../support/mmio-driver.js";

describe("inspector, virtio-mmio", () => {
  it("lists each window with its registers and names its device by the window's address", () => {
    const ram = new MockDriver();
    const platform = new FakePlatform();
    const mmio = new VirtioMmioTransport(new VirtioRng(), ram.memory, { ...testModelOptions(), label: "rng0" }, (level) => platform.setIrqLine(9, level));
    new MmioWindows(platform).add(0xd0000200, mmio);
    const [q] = new MmioDriver(platform, 0xd0000200).bringUp(ram);
    q!.add([{ write: 16 }]);
    new MmioDriver(platform, 0xd0000200).notify(0);
    const inspector = new Inspector({ functions: () => [] }, ram.memory, [{ mmio: { base: 0xd0000200, irq: 9, registers: () => mmio.view() }, model: mmio.model }]);
    const view = inspector.view();
    expect(view.mmio).toEqual([{
      address: "mmio@0xd0000200", base: 0xd0000200, irq: 9, name: "virtio-rng", label: "rng0", magic: 0x74726976, version: 2, deviceId: 4, vendorId: 0x1af4,
      status: 0xf, interruptStatus: 1, lineAsserted: true, configGeneration: 0, queueSel: 1, queues: [{ index: 0, numMax: 256, num: 256, ready: true }],
    }]);
    expect(view.devices.map((d) => [d.address, d.label])).toEqual([["mmio@0xd0000200", "rng0"]]);
    expect(inspector.describeChain("mmio@0xd0000200", 0, 0)).toMatchObject({ device: "virtio-rng", head: 0 });
    expect(inspector.describeChain("mmio@0xd0000400", 0, 0).problem).toMatch(/no virtio device/);
  });

  it("words the registers for the page", () => {
    expect(magicText(0x74726976)).toBe('0x74726976 "virt"');
    expect(magicText(0)).toBe("0x00000000");
    expect(interruptText(0, false)).toBe("0 (line low)");
    expect(interruptText(3, true)).toBe("3 USED_BUFFER|CONFIG_CHANGE (line high)");
    expect(queueText({ index: 1, num: 128, numMax: 256, ready: false })).toBe("1: 128/256");
    expect(pciAddress("mmio@0xd0000000")).toBe("mmio@0xd0000000");
    expect(pciAddress("mmio@evil")).toBe("?mmio@evil");
  });
});
