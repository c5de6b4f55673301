// The inspector over a live packed ring (the device model's PackedQueue, driven by the
// packed mock driver): the queue's view follows buffers from available to taken to used
// to reclaimed with the device's positions and wrap counters, and describeChain shows the
// buffer a clicked slot belongs to, with its buffer ID, and never throws on a hostile slot.
import { describe, expect, it } from "vitest";
import { Inspector } from "../../src/inspect/inspector.js";
import { VirtioDeviceModel } from "../../src/virtio/device-model.js";
import type { DescriptorChain } from "../../src/virtio/queue-types.js";
import type { DeviceContext, VirtioDevice } from "../../src/virtio/virtio-device.js";
import { MockDriver } from "../support/mock-driver.js";
import { bringUpPacked } from "../support/packed-bring-up.js";
import { testModelOptions } from "../support/test-interrupt.js";
import { testDeviceInfo } from "../support/echo-device.js";

const ADDRESS = "00:05.0";

/** A device that takes chains only when told to, and returns them (oldest first) when told to. */
class HoldingDevice implements VirtioDevice {
  readonly info = testDeviceInfo("virtio-hold", 4, 1);
  readonly features = 0n;
  readonly queueMaxSizes = [6];
  ctx: DeviceContext | undefined;
  readonly held: DescriptorChain[] = [];
  readConfig(): number { return 0; }
  writeConfig(): void {}
  activate(ctx: DeviceContext): void { this.ctx = ctx; }
  notify(): void {}
  reset(): void { this.ctx = undefined; }
  stats() { return {}; }
  take(n: number): void {
    for (let i = 0; i < n; i++) this.held.push(this.ctx!.queue(0)!.pop()!);
  }
  complete(n: number, written = 0): void {
    for (let i = 0; i < n; i++) this.ctx!.queue(0)!.pushUsed(this.held.shift()!, written);
  }
}

function setup() {
  const driver = new MockDriver(1 << 20);
  const device = new HoldingDevice();
  const model = new VirtioDeviceModel(device, driver.memory, testModelOptions({ packed: true }));
  const [q] = bringUpPacked(model, driver);
  const inspector = new Inspector({ functions: () => [] }, driver.memory, [{ devfn: 5 << 3, model }]);
  const queue = () => inspector.view().devices[0]!.queues[0]!;
  const chain = (slot: number) => inspector.describeChain(ADDRESS, 0, slot);
  return { q: q!, device, queue, chain };
}

describe("the inspector on a live packed ring", () => {
  it("follows buffers through the ring with the device's positions and wrap counters", () => {
    const { q, device, queue } = setup();
    q.enableCb();
    expect(queue()).toMatchObject({ layout: "packed", size: 6, slots: "ffffff" });
    q.add([{ read: "one" }]);
    q.add([{ read: "two" }, { write: 8 }]);
    q.add([{ read: "three" }]);
    expect(queue().slots).toBe("aaAaff");
    device.take(2);
    expect(queue()).toMatchObject({ slots: "hhHaff", inFlight: 2, packed: { nextAvail: 3, availWrap: true, nextUsed: 0, takenSlots: 3 } });
    device.complete(1, 0);
    expect(queue().slots).toBe("uhHaff");
    device.complete(1, 8);
    expect(queue().slots).toBe("uuUaff");
    expect(q.takeUsed()).toHaveLength(2);
    expect(queue().slots).toBe("fffaff");
    // Laps of the ring: positions wrap, the counters flip, and the picture keeps up.
    for (let i = 0; i < 7; i++) {
      q.add([{ read: `x${i}` }]);
      device.take(1);
      device.complete(1);
      q.takeUsed();
    }
    const v = queue();
    // Seven more through a ring of six: both positions passed its end once.
    expect(v.packed).toMatchObject({ nextAvail: 4, availWrap: false, nextUsed: 4, usedWrap: false, takenSlots: 0 });
    expect(v.slots).toBe("ffffaf");
    expect(v.packed!.wrapMarks.charAt(4)).toBe("1");
  });

  it("shows the buffer a clicked slot belongs to, with its buffer ID, in every state", () => {
    const { q, device, chain } = setup();
    q.enableCb();
    q.add([{ read: "first" }]);
    const id = q.add([{ read: "hello" }, { read: "world" }, { write: 16 }]);
    let view = chain(2);
    expect(view).toMatchObject({ device: "virtio-hold", status: "available", head: 1, slot: 2, bufferId: id });
    expect(view.descriptors.map((d) => d.flagNames.join("|"))).toEqual(["NEXT|AVAIL", "NEXT|AVAIL", "WRITE|AVAIL"]);
    expect(view.descriptors.map((d) => d.id)).toEqual([id, id, id]);
    expect(new TextDecoder().decode(Uint8Array.from(view.preview))).toBe("hello");
    device.take(2);
    expect(chain(3)).toMatchObject({ status: "held", head: 1, bufferId: id });
    device.complete(1, 0);
    device.complete(1, 9);
    view = chain(1);
    expect(view).toMatchObject({ status: "used", head: 1, bufferId: id });
    expect(view.descriptors).toHaveLength(3);
    expect(view.descriptors[0]).toMatchObject({ len: 9, flagNames: ["WRITE", "AVAIL", "USED"] });
    expect(view.problem).toBeUndefined();
  });

  it("answers a hostile slot or an indirect buffer without throwing", () => {
    const { q, chain } = setup();
    q.add([{ read: "abc" }, { write: 4 }], { indirect: true });
    const view = chain(0);
    expect(view.descriptors.map((d) => [d.flagNames.join("|"), d.indirect])).toEqual([["INDIRECT|AVAIL", false], ["", true], ["WRITE", true]]);
    expect(chain(99).problem).toMatch(/outside the ring/);
    q.writeDesc(1, { addr: 0x7fff_0000, len: 64, id: 0, flags: 0x80 });
    expect(chain(1).problem).toMatch(/outside guest RAM/);
  });
});
