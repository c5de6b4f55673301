// What the queues record on the timeline, event by event, for one scripted exchange on
// split and packed rings, with EVENT_IDX on and off: a kicked buffer, a buffer the device
// finds with no kick (it polls), an interrupt merged into a pending one, and one the
// driver's suppression holds back.
import { describe, expect, it } from "vitest";
import { VirtioDeviceModel } from "../../src/virtio/device-model.js";
import type { DeviceInterrupt, RaiseOutcome } from "../../src/virtio/interrupt.js";
import { QueueTracer, RingTrace } from "../../src/virtio/ring-trace.js";
import { VRING_AVAIL_F_NO_INTERRUPT } from "../../src/virtio/split-queue.js";
import { TIMELINE_EVENT_NAMES } from "../../src/inspect/timeline-types.js";
import { EchoDevice } from "../support/echo-device.js";
import { bringUp, MockDriver, type MockQueue } from "../support/mock-driver.js";
import { bringUpPacked, type PackedMockQueue } from "../support/packed-mock-driver.js";
import { testModelOptions } from "../support/test-interrupt.js";

/** An interrupt whose next outcomes the test decides ("sent" once they run out). */
class ScriptedInterrupt implements DeviceInterrupt {
  readonly next: RaiseOutcome[] = [];
  raise(): RaiseOutcome {
    return this.next.shift() ?? "sent";
  }
  withdraw(): void {}
}

type Layout = "split" | "packed";

function rig(layout: Layout, eventIdx: boolean) {
  const device = new EchoDevice([8]);
  const driver = new MockDriver(1 << 20);
  const interrupt = new ScriptedInterrupt();
  const model = new VirtioDeviceModel(device, driver.memory, testModelOptions({ interrupt, eventIdx, packed: layout === "packed" }));
  const trace = new RingTrace(() => 0);
  const tracer = new QueueTracer(trace, trace.addSource({ address: "00:03.0", device: "virtio-echo", queue: 0, name: "q0" }));
  const up = () => (layout === "packed" ? bringUpPacked(model, driver)[0]! : bringUp(model, driver)[0]!);
  let seen = 0;
  /** Events recorded since the last call, as "kind a b". */
  const events = (): string[] => {
    const v = trace.view(seen);
    seen = v.nextSeq;
    return v.kinds.map((k, i) => `${TIMELINE_EVENT_NAMES[k]} ${v.a[i]} ${v.b[i]}`);
  };
  return { device, model, interrupt, trace, tracer, up, events };
}

const chain = [{ read: "ab" }, { write: 8 }];

/** The device polls: takes what is there without a kick, returns it, and signals. */
function poll(device: EchoDevice): void {
  const q = device.ctx!.queue(0)!;
  const c = q.pop()!;
  const writer = c.writer();
  writer.write(c.reader().read(c.readableLength));
  q.pushUsed(c, writer.written);
  device.ctx!.signalUsed(0);
}

describe("ring events on the timeline", () => {
  it("split ring without EVENT_IDX", () => {
    const r = rig("split", false);
    const mq = r.up() as MockQueue;
    r.model.traceRings([r.tracer]);
    const h0 = mq.add(chain);
    r.model.notify(0);
    expect(r.events()).toEqual([
      "kick 0 0", "notifyOff 1 0", `publish 1 1`, `take ${h0} 0`, `return ${h0} 2`, "interrupt 1 0", "notifyOn 0 0",
    ]);
    mq.takeUsed();
    const h1 = mq.add(chain);
    r.interrupt.next.push("merged");
    poll(r.device);
    expect(r.events()).toEqual(["publish 2 1", "kickSuppressed 1 0", `take ${h1} 1`, `return ${h1} 2`, "interruptMerged 2 0"]);
    mq.takeUsed();
    mq.availFlags = VRING_AVAIL_F_NO_INTERRUPT;
    const h2 = mq.add(chain);
    r.model.notify(0);
    expect(r.events()).toEqual([
      "kick 0 0", "notifyOff 1 0", "publish 3 1", `take ${h2} 2`, `return ${h2} 2`, "interruptSuppressed 3 0", "notifyOn 0 0",
    ]);
  });

  it("split ring with EVENT_IDX: avail_event moves, used_event is read", () => {
    const r = rig("split", true);
    const mq = r.up() as MockQueue;
    r.model.traceRings([r.tracer]);
    const h0 = mq.add(chain);
    r.model.notify(0);
    // Kicks off parks avail_event where it stands (0); back on, it moves to the next buffer.
    expect(r.events()).toEqual(["kick 0 0", "notifyOff 0 0", "publish 1 1", `take ${h0} 0`, `return ${h0} 2`, "interrupt 1 0", "notifyOn 1 0"]);
    mq.takeUsed();
    mq.usedEvent = 1;
    const h1 = mq.add(chain);
    r.interrupt.next.push("merged");
    poll(r.device);
    expect(r.events()).toEqual([
      "publish 2 1", "kickSuppressed 1 0", `take ${h1} 1`, "availEvent 2 0", `return ${h1} 2`, "usedEvent 1 0", "interruptMerged 2 0",
    ]);
    mq.takeUsed();
    mq.usedEvent = 10;
    const h2 = mq.add(chain);
    r.model.notify(0);
    expect(r.events()).toEqual([
      "kick 0 0", "notifyOff 2 0", "publish 3 1", `take ${h2} 2`, `return ${h2} 2`, "usedEvent 10 1", "interruptSuppressed 3 0", "notifyOn 3 0",
    ]);
  });

  it("packed ring without EVENT_IDX", () => {
    const r = rig("packed", false);
    const mq = r.up() as PackedMockQueue;
    r.model.traceRings([r.tracer]);
    const id0 = mq.add(chain);
    r.model.notify(0);
    // Device event flags: DISABLE is 1, ENABLE 0; positions are slots (each chain takes two).
    expect(r.events()).toEqual(["kick 0 0", "notifyOff 1 0", "publish 0 1", `take ${id0} 0`, `return ${id0} 2`, "interrupt 2 0", "notifyOn 0 0"]);
    mq.takeUsed();
    const id1 = mq.add(chain);
    r.interrupt.next.push("merged");
    poll(r.device);
    expect(r.events()).toEqual(["publish 2 1", "kickSuppressed 1 0", `take ${id1} 2`, `return ${id1} 2`, "interruptMerged 4 0"]);
    mq.takeUsed();
    mq.disableCb();
    const id2 = mq.add(chain);
    r.model.notify(0);
    expect(r.events()).toEqual([
      "kick 0 0", "notifyOff 1 0", "publish 4 1", `take ${id2} 4`, `return ${id2} 2`, "interruptSuppressed 6 0", "notifyOn 0 0",
    ]);
  });

  it("packed ring with EVENT_IDX: the device event's off_wrap moves, the driver's is read", () => {
    const r = rig("packed", true);
    const mq = r.up() as PackedMockQueue;
    r.model.traceRings([r.tracer]);
    const id0 = mq.add(chain);
    r.model.notify(0);
    // Back on, the device event says DESC (2).
    expect(r.events()).toEqual(["kick 0 0", "notifyOff 1 0", "publish 0 1", `take ${id0} 0`, `return ${id0} 2`, "interrupt 2 0", "notifyOn 2 0"]);
    mq.takeUsed();
    mq.enableCb(); // DESC at the reclaim position: slot 2, wrap bit set
    const id1 = mq.add(chain);
    r.interrupt.next.push("merged");
    poll(r.device);
    expect(r.events()).toEqual([
      "publish 2 1", "kickSuppressed 1 0", `take ${id1} 2`, `availEvent ${0x8000 | 4} 0`, `return ${id1} 2`, `usedEvent ${0x8000 | 2} 0`, "interruptMerged 4 0",
    ]);
    mq.takeUsed();
    mq.disableCb();
    const id2 = mq.add(chain);
    r.model.notify(0);
    expect(r.events()).toEqual([
      "kick 0 0", "notifyOff 1 0", "publish 4 1", `take ${id2} 4`, `return ${id2} 2`, "interruptSuppressed 6 0", "notifyOn 2 0",
    ]);
  });

  for (const layout of ["split", "packed"] as const) {
    it(`${layout}: switched off records nothing; switched on before DRIVER_OK and across a reset, the rebuilt ring records`, () => {
      const r = rig(layout, true);
      r.model.traceRings([r.tracer]);
      let mq = r.up();
      mq.add(chain);
      r.model.notify(0);
      expect(r.events()).toContain("kick 0 0");
      r.model.traceRings(undefined);
      mq.takeUsed();
      mq.add(chain);
      r.model.notify(0);
      expect(r.events()).toEqual([]);
      expect(r.device.notifies.length).toBe(2);
      r.model.traceRings([r.tracer]);
      r.model.status = 0;
      mq = r.up();
      mq.add(chain);
      r.model.notify(0);
      const after = r.events();
      expect(after[0]).toBe("kick 0 0");
      // The rebuilt ring starts from zero: used index 1 (split), next-used slot 2 (packed).
      expect(after).toContain(layout === "packed" ? "interrupt 2 0" : "interrupt 1 0");
      expect(r.trace.view(0).sources.every((s) => s === r.tracer.source)).toBe(true);
    });
  }
});
