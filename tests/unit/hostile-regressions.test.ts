// What the hostile-guest suite (tests/guest/hostile.test.ts) made the device model decide,
// pinned down without a guest: a write or doorbell aimed at something the device does not
// have fails it with a reason; selecting, reading and writes to things that exist but
// cannot change are harmless; and a guest hammering a bad register cannot flood the log.
import { describe, expect, it } from "vitest";
import { VirtioBlk } from "../../src/devices/virtio-blk.js";
import { VirtioRng } from "../../src/devices/virtio-rng.js";
import { CheckedDisk } from "../../src/backends/checked-disk.js";
import { MemoryDisk } from "../../src/backends/memory-disk.js";
import { LOG_LINES_PER_RESET, VirtioDeviceModel, type InterruptKind } from "../../src/virtio/device-model.js";
import { STATUS_DEVICE_NEEDS_RESET } from "../../src/virtio/features.js";
import type { VirtioDevice } from "../../src/virtio/virtio-device.js";
import { DEVICE_OFFSET, NOTIFY_OFFSET } from "../../src/virtio-pci/layout.js";
import { VirtioPciFunction } from "../../src/virtio-pci/virtio-pci-function.js";
import { bringUp, MockDriver } from "../support/mock-driver.js";
import { testModelOptions } from "../support/test-interrupt.js";

function running(device: VirtioDevice) {
  const driver = new MockDriver();
  const logs: string[] = [];
  const interrupts: InterruptKind[] = [];
  const fn = new VirtioPciFunction(device, driver.memory, testModelOptions({ log: (m) => logs.push(m) }));
  const model = fn.model;
  const bar = fn.pci.bars[0]!.def.handler;
  // What the model raised, as the transport's ISR bits show it (config 2, queue 1).
  const pci = fn.pci;
  const setIrq = pci.setIrq.bind(pci);
  pci.setIrq = (asserted: boolean) => {
    if (asserted) interrupts.push(fn.pendingIsr & 2 ? "config" : "queue");
    setIrq(asserted);
  };
  const [queue] = bringUp(model, driver);
  return { model, bar, logs, interrupts, queue: queue! };
}

const needsReset = (model: VirtioDeviceModel) => (model.status & STATUS_DEVICE_NEEDS_RESET) !== 0;

describe("a doorbell for a queue the device does not have", () => {
  it("fails the device, with the reason and a config interrupt, when v86 splits it into two byte writes", () => {
    const { model, bar, logs, interrupts } = running(new VirtioRng());
    bar.write(NOTIFY_OFFSET, 1, 5); // low byte of a 16-bit write of 5: the kick
    bar.write(NOTIFY_OFFSET + 1, 1, 0);
    expect(needsReset(model)).toBe(true);
    expect(model.lastError).toBe("notification for queue 5, which does not exist (the device has 1)");
    expect(logs).toContain("virtio-rng: notification for queue 5, which does not exist (the device has 1)");
    expect(interrupts).toEqual(["config"]);
  });

  it("while one for an existing queue, even with nothing in it, is only spurious", () => {
    const { model, bar } = running(new VirtioRng());
    bar.write(NOTIFY_OFFSET, 2, 0);
    expect(model.active).toBe(true);
    model.status = 0;
    model.notify(0); // before DRIVER_OK: counted, not fatal
    expect(model.spuriousNotifies).toBe(1);
    expect(needsReset(model)).toBe(false);
  });
});

describe("device config outside the config space", () => {
  it("reads as 0 and leaves the device running", () => {
    const { model, bar } = running(new VirtioBlk(new CheckedDisk(new MemoryDisk(16))));
    expect(bar.read(DEVICE_OFFSET + 60, 4)).toBe(0); // virtio-blk's config is 60 bytes
    expect(model.active).toBe(true);
  });

  it("a write to a read-only field inside it is dropped, the device runs on", () => {
    const { model, bar, logs } = running(new VirtioBlk(new CheckedDisk(new MemoryDisk(16))));
    bar.write(DEVICE_OFFSET, 4, 0xdeadbeef); // capacity
    expect(bar.read(DEVICE_OFFSET, 4)).toBe(16);
    expect(model.active).toBe(true);
    expect(logs).toContain("virtio-blk: ignored write to read-only config at offset 0");
  });

  it("a write past its end fails the device", () => {
    const { model, bar } = running(new VirtioBlk(new CheckedDisk(new MemoryDisk(16))));
    bar.write(DEVICE_OFFSET + 60, 4, 0x12345678);
    expect(needsReset(model)).toBe(true);
    expect(model.lastError).toBe("config write of 4 bytes at 60 is outside the 60-byte config space");
  });
});

describe("queue registers of a queue the device does not have", () => {
  it("can be selected and read (size 0 means unavailable) without harm", () => {
    const { model } = running(new VirtioRng());
    model.queues.select = 9;
    expect([model.queues.size, model.queues.enable, model.queues.descLo]).toEqual([0, 0, 0]);
    expect(model.active).toBe(true);
  });

  it("fail the device when written", () => {
    for (const write of [(m: VirtioDeviceModel) => (m.queues.descLo = 0x1000), (m: VirtioDeviceModel) => (m.queues.enable = 1)]) {
      const { model } = running(new VirtioRng());
      model.queues.select = 0xffff;
      write(model);
      expect(needsReset(model)).toBe(true);
      expect(model.lastError).toMatch(/^queue_(desc|enable) write for queue 65535, which does not exist \(the device has 1\)$/);
    }
  });
});

describe("the device's log under a flood of bad writes", () => {
  it(`keeps to ${LOG_LINES_PER_RESET} lines until a reset, but always logs the reason it failed`, () => {
    const { model, bar, logs } = running(new VirtioRng());
    // Feature writes after FEATURES_OK are dropped with a log line each.
    for (let i = 0; i < 1000; i++) model.writeDriverFeatures(i);
    expect(logs.length).toBe(LOG_LINES_PER_RESET);
    expect(logs.at(-1)).toMatch(/further messages not logged until the device is reset/);
    bar.write(NOTIFY_OFFSET, 2, 7);
    expect(logs.at(-1)).toBe("virtio-rng: notification for queue 7, which does not exist (the device has 1)");
    for (let i = 0; i < 1000; i++) bar.write(DEVICE_OFFSET, 4, i); // on a failed device: "already waiting"
    expect(logs.length).toBe(LOG_LINES_PER_RESET + 1);
    model.status = 0; // the driver's reset gives the device its budget back
    model.notify(0); // spurious (before DRIVER_OK): logged again
    expect(logs.at(-1)).toBe("virtio-rng: notification for queue 0 ignored: before DRIVER_OK");
  });
});
