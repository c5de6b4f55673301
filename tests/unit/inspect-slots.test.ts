// The inspector's ring picture and device views over the driver-side mock: slot states as
// chains are posted, popped, used and reclaimed, across the 16-bit index wrap, and what
// a net device's queues are called and how they take notifications.
import { describe, expect, it } from "vitest";
import { Inspector } from "../../src/inspect/inspector.js";
import { slotStatuses } from "../../src/inspect/slot-statuses.js";
import { VirtioDeviceModel } from "../../src/virtio/device-model.js";
import { VIRTIO_F_RING_EVENT_IDX } from "../../src/virtio/features.js";
import type { DescriptorChain } from "../../src/virtio/queue-types.js";
import type { DeviceContext, VirtioDevice } from "../../src/virtio/virtio-device.js";
import { bringUp, MockDriver, readDeviceFeatures } from "../support/mock-driver.js";
import { netSetup } from "../support/net-driver.js";
import { testModelOptions } from "../support/test-interrupt.js";
import { testDeviceInfo } from "../support/echo-device.js";

/** A device that takes chains only when told to, and returns them (in order) when told to. */
class HoldingDevice implements VirtioDevice {
  readonly info = testDeviceInfo("virtio-hold", 4, 1);
  readonly features = 0n;
  readonly queueMaxSizes: readonly number[];
  ctx: DeviceContext | undefined;
  readonly held: DescriptorChain[] = [];

  constructor(size = 8) {
    this.queueMaxSizes = [size];
  }
  readConfig(offset: number): number { return 0xa0 + offset; }
  writeConfig(): void {}
  activate(ctx: DeviceContext): void { this.ctx = ctx; }
  notify(): void {}
  reset(): void { this.ctx = undefined; }
  stats() { return { held: this.held.length }; }

  take(n: number): void {
    for (let i = 0; i < n; i++) {
      const chain = this.ctx!.queue(0)!.pop();
      if (!chain) throw new Error("nothing available");
      this.held.push(chain);
    }
  }

  complete(n: number): void {
    for (let i = 0; i < n; i++) this.ctx!.queue(0)!.pushUsed(this.held.shift()!, 0);
  }
}

function holdingSetup(opts: { size?: number; eventIdx?: boolean; memory?: number } = {}) {
  const driver = new MockDriver(opts.memory ?? 1 << 20);
  const device = new HoldingDevice(opts.size ?? 8);
  const model = new VirtioDeviceModel(device, driver.memory, testModelOptions());
  const offered = readDeviceFeatures(model);
  const features = opts.eventIdx === false ? offered & ~VIRTIO_F_RING_EVENT_IDX : offered;
  const [q] = bringUp(model, driver, { features });
  const inspector = new Inspector({ functions: () => [] }, driver.memory, [{ devfn: 3 << 3, model }]);
  const slots = () => picture(inspector.view().devices[0]!.queues[0]!.slots);
  return { driver, device, model, q: q!, inspector, slots };
}

/** One letter per slot: f(ree), a(vailable), h(eld), u(sed). */
/** Slots come as one letter each already (f, a, h, u); kept as a function so the tests read the same. */
function picture(slots: string): string {
  expect(slots).toMatch(/^[fahu]*$/);
  return slots;
}

describe("slot states of a live queue", () => {
  it("follows chains from posted to popped to used to reclaimed", () => {
    const { q, device, slots } = holdingSetup();
    expect(slots()).toBe("ffffffff");
    for (let i = 0; i < 5; i++) q.add([{ read: `chain ${i}` }]);
    expect(slots()).toBe("aaaaafff");
    device.take(3);
    expect(slots()).toBe("hhhaafff");
    device.complete(2);
    // used_event 0 with used.idx 2 is Linux's "callbacks off" value: reclaim unknown.
    expect(slots()).toBe("ffhaafff");
    q.usedEvent = 1; // the driver has looked at the first used entry (get_buf writes its last_used_idx)
    expect(slots()).toBe("fuhaafff");
    q.takeUsed();
    q.usedEvent = 2;
    expect(slots()).toBe("ffhaafff");
  });

  it("shows nothing as used without EVENT_IDX (the driver publishes no hint)", () => {
    const { q, device, slots } = holdingSetup({ eventIdx: false });
    for (let i = 0; i < 4; i++) q.add([{ read: "x" }]);
    device.take(4);
    device.complete(2);
    expect(slots()).toBe("ffhhffff");
  });

  it("wraps with the 16-bit indices", () => {
    const { q, device, model, slots } = holdingSetup({ size: 8 });
    // Run 65534 chains through descriptor 0 so every index sits just below the wrap.
    q.writeDesc(0, { addr: 0x8000, len: 16, flags: 0, next: 0 });
    for (let i = 0; i < 65534; i++) {
      q.setAvailSlot(i & 7, 0);
      q.availIdx = i + 1;
      device.take(1);
      device.complete(1);
    }
    q.usedEvent = 65534;
    expect(slots()).toBe("ffffffff");
    for (let i = 0; i < 5; i++) q.setAvailSlot((65534 + i) & 7, 0);
    q.availIdx = (65534 + 5) & 0xffff; // 3: avail.idx wrapped, the device's has not
    expect(slots()).toBe("aaafffaa"); // sequences 65534..65538 are slots 6, 7, 0, 1, 2
    device.take(3); // sequences 65534, 65535, 0
    expect(slots()).toBe("haafffhh");
    device.complete(3);
    const view = model.view().queues[0]!.ring!;
    expect(view.layout === "split" && view.usedIdx).toBe(1);
    expect(slots()).toBe("uaafffuu");
  });

  it("draws a hostile avail.idx as a full ring, and a queue that is not live as free", () => {
    const { q, model, slots } = holdingSetup();
    q.availIdx = 300;
    expect(slots()).toBe("aaaaaaaa");
    model.status = 0; // reset: the ring is gone
    expect(slots()).toBe("ffffffff");
  });

  it("is a pure function of the counters", () => {
    // L = 0xfffe, A = 0: slots 2 and 3 available; 0xfffd held (slot 1); used [0xfffc, 0xfffd): slot 0.
    const ring = { size: 4, lastAvailIdx: 0xfffe, availIdx: 0, usedIdx: 0xfffd, inFlight: 1, eventIdx: true, usedEvent: 0xfffc };
    expect(picture(slotStatuses(4, ring))).toBe("uhaa");
    // used_event parked at 0 (callbacks off) or ahead of used.idx: unknown, nothing drawn as used.
    expect(picture(slotStatuses(4, { ...ring, usedEvent: 0 }))).toBe("fhaa");
    expect(picture(slotStatuses(4, { ...ring, lastAvailIdx: 2, availIdx: 3, inFlight: 0, usedIdx: 2, usedEvent: 0 }))).toBe("ffaf");
    expect(picture(slotStatuses(4, { ...ring, lastAvailIdx: 2, availIdx: 3, inFlight: 0, usedIdx: 2, usedEvent: 1 }))).toBe("fuaf");
    expect(picture(slotStatuses(4, { ...ring, usedEvent: 0xffff }))).toBe("fhaa");
    expect(picture(slotStatuses(4, undefined))).toBe("ffff");
    expect(picture(slotStatuses(3, { ...ring, size: 3 }))).toBe("fff"); // not a power of two: not a live ring
  });
});

describe("device views", () => {
  it("names a net device's queues, shows its config bytes and its notification mode", () => {
    const s = netSetup({ policy: "shared" });
    const inspector = new Inspector({ functions: () => [] }, s.memory, [{ devfn: 5 << 3, model: s.model }]);
    const view = inspector.view().devices[0]!;
    expect(view.address).toBe("00:05.0");
    expect(view.name).toBe("virtio-net");
    expect(view.queues.map((q) => q.name)).toEqual(["receiveq1", "transmitq1", "controlq"]);
    expect(view.config.split(" ").slice(0, 6).join(":")).toBe("52:54:00:12:34:56");
    // The config space decoded from the device's own description of it.
    expect(view.configFields.find((f) => f.name === "mac")?.value).toBe("52:54:00:12:34:56");
    expect(view.configFields.find((f) => f.name === "mtu")?.value).toBe("1500");
    expect(view.stats).toMatchObject({ policy: "shared", mac: "52:54:00:12:34:56" });
    expect(view.active).toBe(true);
    expect(view.queues[0]!.notificationMode).toMatch(/^kicks (on|off)/);
    expect(view.queues[0]!.slots.length).toBe(view.queues[0]!.size);
    s.net.postRx(4, 2048);
    const rx = inspector.view().devices[0]!.queues[0]!;
    expect(rx.availIdx).toBe(4);
    expect(rx.slots.replace(/f/g, "").length).toBe(4);
  });

  it("says 'device polls' while virtio-net's pair polls with kicks off", () => {
    const s = netSetup({ policy: "shared" });
    let mode: "notified" | "polling" = "polling";
    // The device says how it takes notifications; here the test decides.
    s.device.notificationMode = () => mode;
    const inspector = new Inspector({ functions: () => [] }, s.memory, [{ devfn: 5 << 3, model: s.model }]);
    s.model.queue(0)!.disableNotifications();
    expect(inspector.view().devices[0]!.queues[0]!.notificationMode).toBe("kicks off: device polls");
    mode = "notified";
    expect(inspector.view().devices[0]!.queues[0]!.notificationMode).toBe("kicks off");
    s.model.queue(0)!.enableNotifications();
    expect(inspector.view().devices[0]!.queues[0]!.notificationMode).toBe("kicks on");
  });
});
