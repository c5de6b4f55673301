// A packed queue's saved position (virtio 1.2, 2.8): held buffers are saved as not yet
// popped and taken again on restore, buffers held out of ring order refuse to be saved,
// and the device model keeps a packed position apart from a split one.
import { describe, expect, it } from "vitest";
import { PackedQueue } from "../../src/virtio/packed-queue.js";
import { RING_EVENT_FLAGS_DESC } from "../../src/virtio/packed-ring-layout.js";
import { VirtioDeviceModel, type InterruptKind } from "../../src/virtio/device-model.js";
import { VIRTIO_F_RING_EVENT_IDX, VIRTIO_F_RING_PACKED } from "../../src/virtio/features.js";
import { readDeviceModelState } from "../../src/virtio/device-model-state.js";
import { StateReader } from "../../src/snapshot/state-reader.js";
import { MockDriver } from "../support/mock-driver.js";
import { bringUpPacked, echoAll, queueOnRing } from "../support/packed-bring-up.js";
import { EchoDevice } from "../support/echo-device.js";
import { RecordingInterrupt, testModelOptions } from "../support/test-interrupt.js";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe("packed queue: saved state", () => {
  it("saves held buffers as not popped and resumes where they start", () => {
    const { driver, mq, q } = queueOnRing({ size: 5, eventIdx: true });
    for (let round = 0; round < 3; round++) {
      mq.add([{ read: `r${round}` }, { write: 4 }]);
      echoAll(q);
      mq.takeUsed();
    }
    mq.add([{ read: "held1" }, { write: 8 }]);
    mq.add([{ read: "held2" }, { write: 8 }]);
    q.pop();
    q.pop();
    q.disableNotifications();
    const state = q.saveState();
    expect(state).toMatchObject({ layout: "packed", nextUsed: 1, usedWrap: false });
    const fresh = new PackedQueue(driver.memory, {
      index: 0, size: 5, descAddr: mq.descAddr, driverEventAddr: mq.driverEventAddr, deviceEventAddr: mq.deviceEventAddr, eventIdx: true, indirect: false,
    });
    fresh.resume(JSON.parse(JSON.stringify(state)));
    expect(mq.deviceEventFlags).toBe(RING_EVENT_FLAGS_DESC);
    const again = [fresh.pop()!, fresh.pop()!];
    expect(again.map((c) => text(c.reader().read(c.readableLength)))).toEqual(["held1", "held2"]);
    for (const c of again) fresh.pushUsed(c, 0);
    expect(mq.takeUsed()).toHaveLength(2);
    expect(fresh.view().counters.buffers).toBe(5);
  });

  it("refuses to save buffers held out of ring order", () => {
    const { mq, q } = queueOnRing();
    mq.add([{ write: 1 }]);
    mq.add([{ write: 1 }]);
    const a = q.pop()!;
    const b = q.pop()!;
    q.pushUsed(b, 0); // its used descriptor lands on a's slot
    expect(() => q.saveState()).toThrow(/out of ring order/);
    q.pushUsed(a, 0);
    expect(() => q.saveState()).not.toThrow();
  });

  it("a device model saves and restores a packed ring, and refuses a split position for it", () => {
    const driver = new MockDriver(1 << 20);
    const interrupts: InterruptKind[] = [];
    const make = () => new VirtioDeviceModel(new EchoDevice([4]), driver.memory, testModelOptions({ packed: true, interrupt: new RecordingInterrupt(interrupts) }));
    const model = make();
    const [mq] = bringUpPacked(model, driver);
    expect(model.features.negotiated! & VIRTIO_F_RING_PACKED).toBeTruthy();
    expect(model.features.negotiated! & VIRTIO_F_RING_EVENT_IDX).toBeTruthy();
    mq!.add([{ read: "one" }, { write: 3 }]);
    model.notify(0);
    expect(text(mq!.takeUsed()[0]!.data)).toBe("one");
    const saved = JSON.parse(JSON.stringify(model.saveState()));
    expect(saved.queues[0].ring.layout).toBe("packed");
    const restored = make();
    restored.restoreState(readDeviceModelState(new StateReader(saved, "", "device"), 1));
    mq!.add([{ read: "two" }, { write: 3 }]);
    restored.notify(0);
    expect(text(mq!.takeUsed()[0]!.data)).toBe("two");
    const split = { ...saved, queues: [{ ...saved.queues[0], ring: { resumeAt: 0, usedIdx: 0, signalledUsed: 0, counters: saved.queues[0].ring.counters } }] };
    expect(() => readDeviceModelState(new StateReader(split, "", "device"), 1)).toThrow(/packed ring's position/);
  });
});
