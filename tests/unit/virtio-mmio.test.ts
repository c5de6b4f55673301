// The virtio-mmio transport (virtio 1.2, 4.2) over the same device files as virtio-pci,
// driven through the platform's MMIO the way Linux's virtio_mmio.c drives it and the way
// v86 delivers accesses (8 or 32 bits; 16-bit ones as two byte accesses).
import { describe, expect, it } from "vitest";
import { VirtioMmioTransport } from "../../src/virtio-mmio/virtio-mmio-transport.js";
import { MmioWindows } from "../../src/virtio-mmio/mmio-windows.js";
import { MMIO_CONFIG_OFFSET, REG } from "../../src/virtio-mmio/layout.js";
import { readVirtioMmioState, virtioMmioStateData } from "../../src/virtio-mmio/virtio-mmio-state.js";
import { VirtioRng } from "../../src/devices/virtio-rng.js";
import { VirtioConsole } from "../../src/devices/virtio-console.js";
import type { VirtioDevice } from "../../src/virtio/virtio-device.js";
import { StateReader } from "../../src/snapshot/state-reader.js";
import { EchoDevice } from "../support/echo-device.js";
import { FakePlatform } from "../support/fake-platform.js";
import { MockDriver } from "../support/mock-driver.js";
import { MmioDriver } from "../support/mmio-driver.js";
import { testModelOptions } from "../support/test-interrupt.js";

const BASE = 0xd0000000;
const IRQ = 5;

function setup(device: VirtioDevice = new EchoDevice([16, 8]), base = BASE) {
  const platform = new FakePlatform();
  const ram = new MockDriver();
  const log: string[] = [];
  const transport = new VirtioMmioTransport(device, ram.memory, { ...testModelOptions(), log: (m) => log.push(m) }, (level) => platform.setIrqLine(IRQ, level));
  const windows = new MmioWindows(platform);
  windows.add(base, transport);
  return { platform, ram, transport, model: transport.model, driver: new MmioDriver(platform, base), log, windows };
}

const line = (platform: FakePlatform) => platform.irqLevels.get(IRQ) ?? false;

describe("virtio-mmio transport", () => {
  it("identifies itself: magic, version 2, device and vendor IDs, no shared memory", () => {
    const { driver } = setup(new VirtioRng());
    expect(driver.readl(REG.MagicValue)).toBe(0x74726976);
    expect(driver.readl(REG.Version)).toBe(2);
    expect(driver.readl(REG.DeviceID)).toBe(4);
    expect(driver.readl(REG.VendorID)).toBe(0x1af4);
    driver.writel(REG.SHMSel, 0);
    for (const reg of [REG.SHMLenLow, REG.SHMLenHigh, REG.SHMBaseLow, REG.SHMBaseHigh]) expect(driver.readl(reg)).toBe(0xffffffff);
    expect(driver.readl(REG.QueueReset)).toBe(0);
    // VERSION_1 (bit 32) is offered, as version 2 requires.
    expect(driver.deviceFeatures() & (1n << 32n)).toBe(1n << 32n);
  });

  it("comes up the way Linux brings it up and echoes a chain with an interrupt", () => {
    const { driver, ram, platform, model } = setup();
    const [q0] = driver.bringUp(ram);
    expect(model.active).toBe(true);
    expect(model.queues.configs.map((q) => q.enabled)).toEqual([true, true]);
    const head = q0!.add([{ read: "hello mmio" }, { write: 16 }]);
    expect(line(platform)).toBe(false);
    driver.notify(0);
    expect(line(platform)).toBe(true);
    expect(driver.takeInterrupt()).toBe(1);
    expect(line(platform)).toBe(false);
    const used = q0!.takeUsed();
    expect(used.map((u) => u.head)).toEqual([head]);
    expect(new TextDecoder().decode(used[0]!.data)).toBe("hello mmio");
  });

  it("moves data through a real device (virtio-rng) the same way", () => {
    const { driver, ram, platform } = setup(new VirtioRng());
    const [q] = driver.bringUp(ram);
    q!.add([{ write: 64 }]);
    driver.notify(0);
    expect(line(platform)).toBe(true);
    expect(driver.takeInterrupt()).toBe(1);
    const [used] = q!.takeUsed();
    expect(used!.len).toBe(64);
    expect(used!.data.some((b) => b !== 0)).toBe(true);
  });

  it("reads 16-bit config fields that arrive as two byte reads, and 32-bit ones whole", () => {
    const console = new VirtioConsole(() => {});
    const { driver, ram } = setup(console);
    driver.bringUp(ram);
    console.resize(300, 41);
    expect(driver.readw(MMIO_CONFIG_OFFSET)).toBe(300);
    expect(driver.readw(MMIO_CONFIG_OFFSET + 2)).toBe(41);
    expect(driver.readl(MMIO_CONFIG_OFFSET)).toBe((41 << 16) | 300);
    // Beyond the 12-byte config space: reads 0; the config change interrupted the driver.
    expect(driver.readl(MMIO_CONFIG_OFFSET + 12)).toBe(0);
    expect(driver.takeInterrupt() & 2).toBe(2);
    expect(driver.readl(REG.ConfigGeneration)).toBeGreaterThan(0);
  });

  it("ignores byte and unaligned accesses to the registers, and logs them", () => {
    const { driver, model, log } = setup();
    expect(driver.readb(REG.MagicValue)).toBe(0);
    expect(driver.readw(REG.Version)).toBe(0);
    driver.writeb(REG.Status, 1);
    driver.writew(REG.Status, 1);
    expect(model.status).toBe(0);
    driver.writel(REG.Status + 2, 1);
    expect(model.status).toBe(0);
    expect(driver.readl(REG.MagicValue + 1)).toBe(0);
    expect(log.some((l) => l.includes("aligned 32-bit accesses only"))).toBe(true);
  });

  it("reads write-only registers as 0 and ignores writes to read-only ones", () => {
    const { driver, log } = setup();
    driver.writel(REG.QueueSel, 1);
    driver.writel(REG.QueueNum, 4);
    expect(driver.readl(REG.QueueSel)).toBe(0);
    expect(driver.readl(REG.QueueNum)).toBe(0);
    driver.writel(REG.MagicValue, 0);
    driver.writel(REG.QueueNumMax, 2);
    expect(driver.readl(REG.MagicValue)).toBe(0x74726976);
    expect(driver.readl(REG.QueueNumMax)).toBe(8);
    expect(log.some((l) => l.includes("read-only"))).toBe(true);
  });

  it("shows QueueNumMax 0 for queues the device does not have, however large the select", () => {
    const { driver } = setup();
    driver.writel(REG.QueueSel, 2);
    expect(driver.readl(REG.QueueNumMax)).toBe(0);
    driver.writel(REG.QueueSel, 0x10000); // would wrap round to queue 0 in a 16-bit select
    expect(driver.readl(REG.QueueNumMax)).toBe(0);
    expect(driver.readl(REG.QueueReady)).toBe(0);
  });

  it("fails the device (NEEDS_RESET) for a queue size beyond QueueNumMax at QueueReady", () => {
    const { driver, ram } = setup();
    driver.status = 0;
    driver.status = 3;
    driver.writeDriverFeatures(driver.deviceFeatures());
    driver.status = 0xb;
    driver.writel(REG.QueueSel, 0);
    driver.writel(REG.QueueNum, 0x10010); // not 0x10 after all
    driver.setRings(ram.newQueue(16));
    driver.writel(REG.QueueReady, 1);
    expect(driver.status & 0x40).toBe(0x40);
    expect(driver.readl(REG.QueueReady)).toBe(0);
    driver.status = 0; // and a reset brings it back
    expect(driver.status).toBe(0);
    expect(() => driver.bringUp(ram)).not.toThrow();
  });

  it("takes QueueReady 0 back before DRIVER_OK, not after", () => {
    const { driver, ram } = setup();
    driver.status = 0;
    driver.status = 3;
    driver.writeDriverFeatures(driver.deviceFeatures());
    driver.status = 0xb;
    driver.writel(REG.QueueSel, 0);
    driver.setRings(ram.newQueue(16));
    driver.writel(REG.QueueReady, 1);
    driver.writel(REG.QueueReady, 0);
    expect(driver.readl(REG.QueueReady)).toBe(0);
    driver.writel(REG.QueueReady, 1);
    driver.status = 0xf;
    driver.writel(REG.QueueReady, 0);
    expect(driver.readl(REG.QueueReady)).toBe(1);
  });

  it("holds the line while any InterruptStatus bit is set and gives a fresh event a fresh edge", () => {
    const { transport, platform, driver } = setup();
    transport.interrupt.raise("queue");
    expect(platform.irqLog).toEqual(["5+"]);
    transport.interrupt.raise("queue"); // already pending: no new edge
    expect(platform.irqLog).toEqual(["5+"]);
    transport.interrupt.raise("config"); // a new kind while high: lowered and raised
    expect(platform.irqLog).toEqual(["5+", "5-", "5+"]);
    expect(driver.readl(REG.InterruptStatus)).toBe(3);
    expect(driver.readl(REG.InterruptStatus)).toBe(3); // reading does not clear
    driver.writel(REG.InterruptACK, 1);
    expect(line(platform)).toBe(true);
    driver.writel(REG.InterruptACK, 2);
    expect(line(platform)).toBe(false);
    transport.interrupt.raise("queue");
    driver.status = 0; // a reset withdraws it
    expect(driver.readl(REG.InterruptStatus)).toBe(0);
    expect(line(platform)).toBe(false);
  });

  it("refuses a status write wider than 8 bits instead of reading it as a reset", () => {
    const { driver, ram } = setup();
    driver.bringUp(ram);
    driver.status = 0x100;
    expect(driver.status).toBe(0xf);
  });

  it("dispatches several windows in one 128 KiB block and refuses a second window at one place", () => {
    const platform = new FakePlatform();
    const ram = new MockDriver();
    const windows = new MmioWindows(platform);
    const rng = new VirtioMmioTransport(new VirtioRng(), ram.memory, testModelOptions(), () => {});
    const echo = new VirtioMmioTransport(new EchoDevice(), ram.memory, testModelOptions(), () => {});
    windows.add(BASE, rng);
    windows.add(BASE + 0x200, echo);
    expect(platform.mmioRanges()).toEqual([[BASE, 0x20000]]);
    expect(new MmioDriver(platform, BASE).readl(REG.DeviceID)).toBe(4);
    expect(new MmioDriver(platform, BASE + 0x200).readl(REG.DeviceID)).toBe(0);
    expect(new MmioDriver(platform, BASE + 0x200).readl(REG.MagicValue)).toBe(0x74726976);
    expect(new MmioDriver(platform, BASE + 0x400).readl(REG.MagicValue)).toBe(0); // nothing there
    expect(() => windows.add(BASE + 0x200, rng)).toThrow(/already/);
    expect(() => windows.add(BASE + 0x100, rng)).toThrow(/multiple/);
    windows.add(BASE + 0x20000, rng);
    expect(platform.mmioRanges()).toHaveLength(2);
  });

  it("saves and restores its state: a fresh transport takes up the rings and the pending interrupt", () => {
    const a = setup();
    const [q0] = a.driver.bringUp(a.ram);
    q0!.add([{ read: "one" }, { write: 8 }]);
    a.driver.notify(0);
    expect(a.transport.interrupt.status).toBe(1);
    const data = JSON.parse(JSON.stringify(virtioMmioStateData(a.transport.saveState())));

    const platform = new FakePlatform();
    const b = new VirtioMmioTransport(new EchoDevice([16, 8]), a.ram.memory, testModelOptions(), (level) => platform.setIrqLine(IRQ, level));
    b.restoreState(readVirtioMmioState(new StateReader(data, "state"), 2));
    expect(platform.irqLevels.get(IRQ)).toBe(true);
    expect(b.model.active).toBe(true);
    new MmioWindows(platform).add(BASE, b);
    const driver = new MmioDriver(platform, BASE);
    expect(driver.takeInterrupt()).toBe(1);
    expect(q0!.takeUsed().map((u) => new TextDecoder().decode(u.data))).toEqual(["one"]);
    q0!.add([{ read: "two" }, { write: 8 }]);
    driver.notify(0);
    expect(q0!.takeUsed().map((u) => new TextDecoder().decode(u.data))).toEqual(["two"]);
    expect(() => readVirtioMmioState(new StateReader({ ...data, isr: 1 }, "state"), 2)).toThrow(/isr/);
  });

  it("gives the inspector its registers without touching them", () => {
    const { driver, ram, transport } = setup(new VirtioRng());
    driver.bringUp(ram);
    transport.interrupt.raise("queue");
    const view = transport.view();
    expect(view).toMatchObject({ magic: 0x74726976, version: 2, deviceId: 4, status: 0xf, interruptStatus: 1, lineAsserted: true, queueSel: 1 }); // the bring-up probed queue 1 last
    expect(view.queues).toEqual([{ index: 0, numMax: 256, num: 256, ready: true }]);
    expect(transport.interrupt.status).toBe(1);
  });
});
