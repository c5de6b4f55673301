import { describe, expect, it } from "vitest";
import { RecordingInterrupt, testModelOptions } from "../support/test-interrupt.js";
import { VirtioDeviceModel, type InterruptKind } from "../../src/virtio/device-model.js";
import {
  STATUS_ACKNOWLEDGE, STATUS_DEVICE_NEEDS_RESET, STATUS_DRIVER, STATUS_DRIVER_OK, STATUS_FEATURES_OK,
  VIRTIO_F_ACCESS_PLATFORM, VIRTIO_F_RING_EVENT_IDX, VIRTIO_F_RING_INDIRECT_DESC, VIRTIO_F_VERSION_1,
  featureNames,
} from "../../src/virtio/features.js";
import { QueueProtocolError } from "../../src/virtio/queue-types.js";
import { EchoDevice } from "../support/echo-device.js";
import { bringUp, MockDriver, readDeviceFeatures, setQueueAddresses, writeDriverFeatures } from "../support/mock-driver.js";
import { CONSOLE_INFO, VIRTIO_CONSOLE_F_SIZE } from "../../src/devices/virtio-console.js";

const ACK_DRIVER = STATUS_ACKNOWLEDGE | STATUS_DRIVER;

function setup(opts: { queues?: number[]; features?: bigint; eventIdx?: boolean; indirect?: boolean } = {}) {
  const driver = new MockDriver();
  const device = new EchoDevice(opts.queues ?? [16, 8], opts.features ?? 0n);
  const interrupts: InterruptKind[] = [];
  const logs: string[] = [];
  const options = testModelOptions({
    interrupt: new RecordingInterrupt(interrupts),
    log: (m) => logs.push(m),
    ...(opts.eventIdx === undefined ? {} : { eventIdx: opts.eventIdx }),
    ...(opts.indirect === undefined ? {} : { indirect: opts.indirect }),
  });
  const model = new VirtioDeviceModel(device, driver.memory, options);
  return { driver, device, model, interrupts, logs, ticks: options.ticks, interrupt: options.interrupt as RecordingInterrupt };
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe("features", () => {
  it("offers the device's features plus VERSION_1, EVENT_IDX and INDIRECT_DESC", () => {
    const { model } = setup({ features: VIRTIO_CONSOLE_F_SIZE });
    expect(readDeviceFeatures(model)).toBe(VIRTIO_CONSOLE_F_SIZE | VIRTIO_F_VERSION_1 | VIRTIO_F_RING_EVENT_IDX | VIRTIO_F_RING_INDIRECT_DESC);
  });

  it("can leave out EVENT_IDX and INDIRECT_DESC", () => {
    const { model } = setup({ eventIdx: false, indirect: false });
    expect(readDeviceFeatures(model)).toBe(VIRTIO_F_VERSION_1);
  });

  it("reads 0 in feature windows beyond 64 bits", () => {
    const { model } = setup();
    model.features.deviceSelect = 2;
    expect(model.features.deviceWindow).toBe(0);
    model.features.deviceSelect = 0xffffffff;
    expect(model.features.deviceWindow).toBe(0);
  });

  it("reads back what the driver wrote, window by window", () => {
    const { model } = setup();
    writeDriverFeatures(model, VIRTIO_F_VERSION_1 | VIRTIO_F_RING_EVENT_IDX);
    model.features.driverSelect = 0;
    expect(model.features.driverWindow).toBe(1 << 29);
    model.features.driverSelect = 1;
    expect(model.features.driverWindow).toBe(1);
  });

  it("negotiates the subset the driver accepts", () => {
    const { model, driver } = setup();
    bringUp(model, driver, { features: VIRTIO_F_VERSION_1 | VIRTIO_F_RING_INDIRECT_DESC });
    expect(model.features.negotiated).toBe(VIRTIO_F_VERSION_1 | VIRTIO_F_RING_INDIRECT_DESC);
    expect(model.queue(0)!.eventIdx).toBe(false);
    expect(model.queue(0)!.indirect).toBe(true);
  });

  it("refuses FEATURES_OK for features never offered: the bit stays clear when re-read", () => {
    const { model, logs } = setup({ eventIdx: false });
    model.status = ACK_DRIVER;
    writeDriverFeatures(model, VIRTIO_F_VERSION_1 | VIRTIO_F_RING_EVENT_IDX | VIRTIO_F_ACCESS_PLATFORM);
    model.status = ACK_DRIVER | STATUS_FEATURES_OK;
    expect(model.status).toBe(ACK_DRIVER);
    expect(logs.join("\n")).toMatch(/virtio-echo: FEATURES_OK refused: driver accepted features never offered: RING_EVENT_IDX, ACCESS_PLATFORM/);
    expect(model.features.negotiated).toBeUndefined();
    // Not a failure: the driver may try again with fewer features.
    writeDriverFeatures(model, VIRTIO_F_VERSION_1);
    model.status = ACK_DRIVER | STATUS_FEATURES_OK;
    expect(model.status).toBe(ACK_DRIVER | STATUS_FEATURES_OK);
  });

  it("refuses FEATURES_OK without VERSION_1 (no legacy drivers)", () => {
    const { model, driver } = setup();
    expect(() => bringUp(model, driver, { features: VIRTIO_F_RING_EVENT_IDX })).toThrow(/refused FEATURES_OK/);
    expect(model.status & STATUS_FEATURES_OK).toBe(0);
    expect(model.lastError).toBeUndefined();
  });

  it("ignores driver feature writes after FEATURES_OK", () => {
    const { model, driver } = setup();
    bringUp(model, driver, { features: VIRTIO_F_VERSION_1 });
    model.features.driverSelect = 0;
    model.writeDriverFeatures(1 << 29);
    expect(model.features.driverWindow).toBe(0);
    expect(model.features.negotiated).toBe(VIRTIO_F_VERSION_1);
  });

  it("names features for the inspector, with device-specific names for the console", () => {
    expect(featureNames(VIRTIO_F_VERSION_1 | VIRTIO_F_RING_EVENT_IDX | 1n, CONSOLE_INFO.featureNames)).toEqual(["CONSOLE_F_SIZE", "RING_EVENT_IDX", "VERSION_1"]);
    expect(featureNames(1n | (1n << 50n))).toEqual(["bit 0", "bit 50"]);
  });
});

describe("bringing the device up and running it", () => {
  it("echoes a chain end to end and raises a queue interrupt", () => {
    const { model, driver, device, interrupts } = setup();
    const [q0] = bringUp(model, driver);
    expect(model.status).toBe(ACK_DRIVER | STATUS_FEATURES_OK | STATUS_DRIVER_OK);
    expect(device.activations).toBe(1);
    const head = q0!.add([{ read: "hello, " }, { read: "virtio" }, { write: 5 }, { write: 20 }]);
    model.notify(0);
    expect(q0!.takeUsed()).toEqual([{ head, len: 13, data: new TextEncoder().encode("hello, virtio") }]);
    expect(interrupts).toEqual(["queue"]);
    const ring = model.view().queues[0]!.ring!;
    expect(ring.counters).toMatchObject({ kicks: 1, buffers: 1, bytesRead: 13, bytesWritten: 13, interrupts: 1 });
  });

  it("echoes indirect chains", () => {
    const { model, driver } = setup();
    const [q0] = bringUp(model, driver);
    q0!.add([{ read: "abc" }, { write: 3 }], { indirect: true });
    model.notify(0);
    expect(text(q0!.takeUsed()[0]!.data)).toBe("abc");
  });

  it("suppresses the interrupt when used_event says so, and counts it", () => {
    const { model, driver, interrupts } = setup();
    const [q0] = bringUp(model, driver);
    q0!.usedEvent = 5;
    q0!.add([{ read: "a" }, { write: 1 }]);
    model.notify(0);
    expect(interrupts).toEqual([]);
    expect(model.queue(0)!.counters.interruptsSuppressed).toBe(1);
  });

  it("sets up only the queues the driver enables", () => {
    const { model, driver, device } = setup();
    bringUp(model, driver, { queues: 1 });
    expect(device.ctx!.queue(0)).toBeDefined();
    expect(device.ctx!.queue(1)).toBeUndefined();
  });

  it("accepts a smaller queue size than the maximum", () => {
    const { model, driver } = setup();
    bringUp(model, driver, { queueSize: 4 });
    expect(model.queue(0)!.size).toBe(4);
    model.queues.select = 0;
    expect(model.queues.size).toBe(4);
  });
});

describe("queue registers", () => {
  it("report size 0 for a queue that does not exist, and fail the device for writes to it", () => {
    const { model } = setup({ queues: [16] });
    expect(model.queues.count).toBe(1);
    model.queues.select = 0;
    expect(model.queues.size).toBe(16);
    expect(model.queues.notifyOff).toBe(0);
    model.queues.select = 5;
    expect(model.queues.size).toBe(0);
    model.queues.size = 8;
    model.queues.descLo = 0x1000;
    model.queues.enable = 1;
    expect(model.queues.size).toBe(0);
    expect(model.queues.descLo).toBe(0);
    expect(model.queues.enable).toBe(0);
    expect(model.lastError).toBe("queue_size write for queue 5, which does not exist (the device has 1)");
  });

  it("give each queue its index as notify offset", () => {
    const { model } = setup({ queues: [8, 8, 8] });
    model.queues.select = 2;
    expect(model.queues.notifyOff).toBe(2);
  });

  it("keep 64-bit addresses as two halves", () => {
    const { model } = setup();
    model.queues.deviceLo = 0x89abcdef;
    model.queues.deviceHi = -1; // a signed int32 from the CPU
    expect(model.queues.deviceLo).toBe(0x89abcdef);
    expect(model.queues.deviceHi).toBe(0xffffffff);
  });

  function enableWith(size: number, addrs?: { descAddr: number; availAddr: number; usedAddr: number }) {
    const s = setup();
    const mq = s.driver.newQueue(16);
    s.model.status = ACK_DRIVER;
    writeDriverFeatures(s.model, VIRTIO_F_VERSION_1);
    s.model.status = ACK_DRIVER | STATUS_FEATURES_OK;
    s.model.queues.select = 0;
    s.model.queues.size = size;
    setQueueAddresses(s.model, addrs ?? mq);
    s.model.queues.enable = 1;
    return s;
  }

  it("accept a valid queue at enable time", () => {
    const { model } = enableWith(8);
    expect(model.queues.enable).toBe(1);
    expect(model.status & STATUS_DEVICE_NEEDS_RESET).toBe(0);
  });

  it("fail the device for a queue size that is not a power of two", () => {
    const { model } = enableWith(12);
    expect(model.status & STATUS_DEVICE_NEEDS_RESET).toBeTruthy();
    expect(model.lastError).toMatch(/queue 0: queue size 12 is not a power of two/);
    expect(model.queues.enable).toBe(0);
  });

  it("fail the device for a queue size above the maximum", () => {
    expect(enableWith(32).model.lastError).toMatch(/queue size 32 is larger than the maximum 16/);
  });

  it("fail the device for misaligned or out-of-RAM rings", () => {
    expect(enableWith(16, { descAddr: 0x2008, availAddr: 0x4000, usedAddr: 0x5000 }).model.lastError).toMatch(/not 16-byte aligned/);
    expect(enableWith(16, { descAddr: 0x2000, availAddr: 0x4000, usedAddr: 2 ** 40 }).model.lastError).toMatch(/used ring .* outside RAM/);
  });

  it("ignore configuration changes after the queue is enabled", () => {
    const { model, driver } = setup();
    bringUp(model, driver);
    model.queues.select = 0;
    model.queues.size = 2;
    model.queues.descLo = 0;
    expect(model.queues.size).toBe(16);
    expect(model.queue(0)!.size).toBe(16);
    model.queues.enable = 0;
    expect(model.queues.enable).toBe(1);
  });
});

describe("status", () => {
  it("going backwards is a protocol error: NEEDS_RESET with the reason logged", () => {
    const { model, driver, logs, interrupts, device } = setup();
    bringUp(model, driver);
    model.status = ACK_DRIVER | STATUS_FEATURES_OK; // clears DRIVER_OK
    expect(model.status & STATUS_DEVICE_NEEDS_RESET).toBeTruthy();
    expect(model.lastError).toBe("driver cleared status bits DRIVER_OK without a reset");
    expect(logs).toContain("virtio-echo: driver cleared status bits DRIVER_OK without a reset");
    expect(interrupts).toEqual(["config"]); // DRIVER_OK was set: tell the driver
    expect(device.resets).toBeGreaterThanOrEqual(2); // bringUp's reset, then the failure
    expect(model.active).toBe(false);
  });

  it("before DRIVER_OK fails without an interrupt", () => {
    const { model, interrupts } = setup();
    model.status = ACK_DRIVER;
    model.status = STATUS_ACKNOWLEDGE;
    expect(model.status & STATUS_DEVICE_NEEDS_RESET).toBeTruthy();
    expect(interrupts).toEqual([]);
  });

  it("DRIVER_OK without FEATURES_OK is a protocol error", () => {
    const { model } = setup();
    model.status = ACK_DRIVER;
    model.status = ACK_DRIVER | STATUS_DRIVER_OK;
    expect(model.lastError).toBe("driver set DRIVER_OK without FEATURES_OK");
  });

  it("ignores the NEEDS_RESET bit in driver writes", () => {
    const { model } = setup();
    model.status = STATUS_ACKNOWLEDGE | STATUS_DEVICE_NEEDS_RESET;
    expect(model.status).toBe(STATUS_ACKNOWLEDGE);
  });

  it("writing 0 resets everything back to power-on", () => {
    const { model, driver, device } = setup();
    const [q0] = bringUp(model, driver, { queueSize: 4 });
    model.configChanged();
    model.status = ACK_DRIVER; // fail
    const resets = device.resets;
    model.status = 0;
    expect(model.status).toBe(0);
    expect(device.resets).toBe(resets + 1);
    expect(model.configGeneration).toBe(0);
    expect(model.features.negotiated).toBeUndefined();
    expect(model.queue(0)).toBeUndefined();
    model.queues.select = 0;
    expect([model.queues.size, model.queues.enable, model.queues.descLo]).toEqual([16, 0, 0]);
    // And the device comes back to life.
    const [again] = bringUp(model, driver);
    again!.add([{ read: "ok" }, { write: 2 }]);
    model.notify(0);
    expect(text(again!.takeUsed()[0]!.data)).toBe("ok");
    expect(q0!.usedIdx).toBe(0);
  });
});

describe("notifications from the driver", () => {
  it("for a queue that does not exist put the device into NEEDS_RESET", () => {
    for (const index of [7, -1, 0.5]) {
      const { model, driver, device, logs } = setup();
      bringUp(model, driver);
      model.notify(index);
      expect(device.notifies).toEqual([]);
      expect(model.status & STATUS_DEVICE_NEEDS_RESET).toBeTruthy();
      expect(logs).toContain(`virtio-echo: notification for queue ${index}, which does not exist (the device has 2)`);
    }
  });

  it("for a queue not enabled, or before DRIVER_OK, are ignored", () => {
    const { model, driver, device, logs } = setup();
    model.notify(0);
    bringUp(model, driver, { queues: 1 });
    model.notify(1);
    expect(device.notifies).toEqual([]);
    expect(logs.filter((l) => l.includes("ignored: before DRIVER_OK"))).toHaveLength(1);
    expect(logs).toContain("virtio-echo: notification for queue 1 ignored: queue not enabled");
  });

  it("stops logging spurious notifications after a few", () => {
    const { model, logs } = setup();
    for (let i = 0; i < 100; i++) model.notify(1); // queue 1 exists; before DRIVER_OK it is not live
    expect(model.spuriousNotifies).toBe(100);
    expect(logs.length).toBe(8);
  });
});

describe("protocol errors in a running device", () => {
  it("turn into NEEDS_RESET with the reason, a config interrupt, and a stopped device", () => {
    const { model, driver, device, interrupts, logs } = setup();
    const [q0] = bringUp(model, driver);
    const ctx = device.ctx!;
    q0!.add([{ read: "first" }, { write: 5 }]);
    q0!.putHead(99);
    q0!.publish();
    model.notify(0);
    expect(model.status & STATUS_DEVICE_NEEDS_RESET).toBeTruthy();
    expect(model.lastError).toBe("queue 0: available ring slot 1 names head 99, outside the queue (size 16)");
    expect(logs).toContain(`virtio-echo: ${model.lastError}`);
    // The first chain went on the used ring, but the error came before the device signalled it.
    expect(q0!.usedIdx).toBe(1);
    expect(interrupts).toEqual(["config"]);
    expect(device.ctx).toBeUndefined(); // device.reset() ran
    // Dead until reset: kicks do nothing and the old context sees no queues.
    model.notify(0);
    expect(device.notifies).toEqual([0]);
    expect(ctx.queue(0)).toBeUndefined();
    const snap = model.view();
    expect(snap.lastError).toBe(model.lastError);
    const ring = snap.queues[0]!.ring!;
    expect(ring.layout === "split" && ring.usedIdx).toBe(1); // kept for the inspector
  });

  it("from the device's own timers are caught through ctx.guard", () => {
    const { model, driver, device } = setup();
    bringUp(model, driver);
    const ctx = device.ctx!;
    ctx.guard(() => { throw new QueueProtocolError("bad ring seen from a timer"); });
    expect(model.lastError).toBe("bad ring seen from a timer");
    // A stale context can do nothing any more.
    let ran = false;
    ctx.guard(() => { ran = true; });
    ctx.fail("late");
    expect(ran).toBe(false);
    expect(model.lastError).toBe("bad ring seen from a timer");
  });

  it("a bug in the device fails only that device, marked as internal", () => {
    const { model, driver, device } = setup();
    bringUp(model, driver);
    device.notify = () => { throw new TypeError("oops"); };
    expect(() => model.notify(0)).not.toThrow();
    expect(model.lastError).toBe("internal error in notify(0): oops");
  });

  it("keep lastError after the driver resets", () => {
    const { model, driver } = setup();
    bringUp(model, driver);
    model.status = STATUS_ACKNOWLEDGE;
    model.status = 0;
    expect(model.view().lastError).toMatch(/cleared status bits/);
  });
});

describe("device config", () => {
  it("reads and writes within the config space", () => {
    const { model, device } = setup();
    device.config.set([0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]);
    expect(model.readConfig(0, 4)).toBe(0x44332211);
    expect(model.readConfig(6, 2)).toBe(0x8877);
    expect(model.readConfig(7, 1)).toBe(0x88);
    model.writeConfig(4, 4, 0xdeadbeef);
    expect(model.readConfig(4, 4)).toBe(0xdeadbeef);
  });

  it("reads 0 outside the config space with a log line; a write there fails the device", () => {
    const { model, device, logs } = setup();
    device.config.fill(0xff);
    expect(model.readConfig(6, 4)).toBe(0);
    expect(model.readConfig(8, 1)).toBe(0);
    expect(model.readConfig(-1, 1)).toBe(0);
    model.writeConfig(7, 2, 0);
    expect(device.config[7]).toBe(0xff);
    expect(logs.length).toBe(4);
    expect(logs[0]).toMatch(/config read of 4 bytes at 6 is outside the 8-byte config space/);
    expect(model.lastError).toBe("config write of 2 bytes at 7 is outside the 8-byte config space");
  });

  it("bumps config_generation on a change and raises a config interrupt once running", () => {
    const { model, driver, device, interrupts } = setup();
    model.configChanged();
    expect(model.configGeneration).toBe(1);
    expect(interrupts).toEqual([]);
    bringUp(model, driver);
    device.ctx!.configChanged();
    expect(model.configGeneration).toBe(1); // bringUp reset it to 0
    expect(interrupts).toEqual(["config"]);
  });
});

describe("snapshot", () => {
  it("is plain data (JSON round-trips)", () => {
    const { model, driver } = setup({ features: 1n });
    bringUp(model, driver, { queues: 1 });
    const s = model.view();
    expect(s).toMatchObject({
      name: "virtio-echo",
      status: ACK_DRIVER | STATUS_FEATURES_OK | STATUS_DRIVER_OK,
      statusNames: ["ACKNOWLEDGE", "DRIVER", "DRIVER_OK", "FEATURES_OK"],
      featuresOffered: "0x130000001",
      featuresNegotiated: "0x130000001",
      configGeneration: 0,
      active: true,
      lastError: undefined,
    });
    expect(s.queues.map((q) => q.enabled)).toEqual([true, false]);
    expect(s.queues[1]!.ring).toBeUndefined();
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });
});
