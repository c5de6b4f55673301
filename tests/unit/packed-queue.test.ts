import { describe, expect, it } from "vitest";
import { PackedQueue } from "../../src/virtio/packed-queue.js";
import { walkPackedChain } from "../../src/virtio/packed-descriptors.js";
import {
  RING_EVENT_FLAGS_DESC, RING_EVENT_FLAGS_DISABLE, RING_EVENT_FLAGS_ENABLE, VIRTQ_DESC_F_AVAIL, VIRTQ_DESC_F_USED,
} from "../../src/virtio/packed-ring-layout.js";
import { QueueProtocolError, type DescriptorChain } from "../../src/virtio/queue-types.js";
import { VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } from "../../src/virtio/split-descriptors.js";
import { VirtioDeviceModel } from "../../src/virtio/device-model.js";
import { STATUS_DEVICE_NEEDS_RESET, VIRTIO_F_RING_PACKED } from "../../src/virtio/features.js";
import { SplitQueue } from "../../src/virtio/split-queue.js";
import { bringUp, readDeviceFeatures } from "../support/mock-driver.js";
import { MockDriver } from "../support/mock-driver.js";
import { PackedMockQueue } from "../support/packed-mock-driver.js";
import { bringUpPacked, echoAll, queueOnRing } from "../support/packed-bring-up.js";
import { EchoDevice } from "../support/echo-device.js";
import { testModelOptions } from "../support/test-interrupt.js";

const NEXT = VIRTQ_DESC_F_NEXT;
const WRITE = VIRTQ_DESC_F_WRITE;
const INDIRECT = VIRTQ_DESC_F_INDIRECT;
const AVAIL1 = PackedMockQueue.availFlags(true);

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

function popError(q: PackedQueue): string {
  try {
    q.pop();
  } catch (e) {
    expect(e).toBeInstanceOf(QueueProtocolError);
    return (e as Error).message;
  }
  throw new Error("pop() did not throw");
}

describe("packed queue: chains", () => {
  it("pops a direct chain across descriptors and returns it by ID, skipping its slots", () => {
    const { mq, q } = queueOnRing();
    const id = mq.add([{ read: "he" }, { read: "llo" }, { write: 3 }, { write: 4 }]);
    const c = q.pop()!;
    expect(c.head).toBe(id);
    expect([c.readableLength, c.writableLength]).toEqual([5, 7]);
    expect(text(c.reader().read(5))).toBe("hello");
    c.writer().write(new TextEncoder().encode("HELLO!"));
    q.pushUsed(c, 6);
    const used = mq.takeUsed();
    expect(used.map((u) => [u.head, u.len, text(u.data)])).toEqual([[id, 6, "HELLO!"]]);
    expect(q.view().nextUsed).toBe(4); // skipped the chain's 4 slots, as Linux's driver expects
    expect(mq.lastUsed).toBe(4);
    const d = mq.readDesc(0);
    expect(d.flags).toBe(VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED | WRITE);
    expect(q.pop()).toBeUndefined();
  });

  it("reads an indirect table of packed descriptors as one slot", () => {
    const { mq, q } = queueOnRing({ indirect: true });
    mq.add([{ read: "abc" }, { read: "de" }, { write: 5 }], { indirect: true });
    const c = q.pop()!;
    expect([c.readableLength, c.writableLength]).toEqual([5, 5]);
    q.pushUsed(c, 0);
    expect(q.view().nextUsed).toBe(1);
    expect(mq.takeUsed()).toHaveLength(1);
  });

  it("ignores every flag but WRITE inside an indirect table (reserved there, 2.8.7): NEXT and INDIRECT mean nothing", () => {
    const { mq, q } = queueOnRing({ indirect: true });
    mq.writeDesc(0, { addr: 0x9000, len: 4, id: 0, flags: NEXT | INDIRECT }, 0x8000);
    mq.writeDesc(1, { addr: 0x9100, len: 6, id: 0x77, flags: WRITE | NEXT | 0x80 }, 0x8000);
    mq.writeDesc(0, { addr: 0x8000, len: 32, id: 3, flags: INDIRECT | AVAIL1 });
    const c = q.pop()!;
    expect([c.head, c.readableLength, c.writableLength]).toEqual([3, 4, 6]);
  });

  it("walkPackedChain reports ID, slots and cost and changes nothing", () => {
    const { driver, mq } = queueOnRing({ indirect: true });
    mq.add([{ read: "x" }, { write: 1 }]);
    mq.add([{ read: "y" }, { write: 1 }, { write: 1 }], { indirect: true });
    const before = driver.bytes.slice();
    const ring = { addr: mq.descAddr, size: 8, indirect: true };
    expect(walkPackedChain(driver.memory, ring, 0, true)).toMatchObject({ id: 0, slots: 2, descriptors: 2 });
    expect(walkPackedChain(driver.memory, ring, 2, true)).toMatchObject({ id: 1, slots: 1, descriptors: 4 });
    expect(Buffer.from(driver.bytes).equals(Buffer.from(before))).toBe(true);
    expect(() => walkPackedChain(driver.memory, ring, 3, true)).toThrow(/not available/);
    expect(() => walkPackedChain(driver.memory, ring, 9, true)).toThrow(/outside the ring/);
  });

  it("takes the buffer ID from the chain's last descriptor", () => {
    const { mq, q } = queueOnRing();
    mq.writeDesc(1, { addr: 0x9000, len: 4, id: 5, flags: WRITE | AVAIL1 });
    mq.writeDesc(0, { addr: 0x8000, len: 4, id: 2, flags: NEXT | AVAIL1 });
    expect(q.pop()!.head).toBe(5);
  });

  it("runs many laps of an odd-sized ring with chains across the end and out-of-order completion", () => {
    for (const size of [1, 3, 5, 7, 13]) {
      const { mq, q } = queueOnRing({ size, indirect: true });
      let sent = 0;
      let got = 0;
      const held: DescriptorChain[] = [];
      for (let round = 0; round < 60; round++) {
        while (mq.numFree > 0) {
          const n = 1 + ((sent * 7) % Math.min(3, mq.numFree));
          const parts = [{ read: `m${sent}` }, ...Array.from({ length: n - 1 }, () => ({ write: 8 }))];
          mq.add(parts, { indirect: sent % 5 === 4 && n > 1 });
          sent++;
        }
        for (let c = q.pop(); c; c = q.pop()) held.push(c);
        // Complete newest first, then oldest: used descriptors come back in completion order.
        held.reverse();
        for (const c of held.splice(0)) {
          const msg = text(c.reader().read(c.readableLength));
          const w = c.writer();
          q.pushUsed(c, w.write(new TextEncoder().encode(msg.toUpperCase())));
        }
        got += mq.takeUsed().length;
      }
      expect(got).toBe(sent);
      expect(q.view().inFlight).toBe(0);
      expect(q.view().nextUsed).toBe(q.view().nextAvail);
      expect(q.view().usedWrap).toBe(q.view().availWrap);
    }
  });
});

describe("packed queue: protocol errors", () => {
  const cases: [string, (mq: PackedMockQueue) => void, RegExp, { indirect?: boolean }?][] = [
    ["ID out of range", (mq) => mq.writeDesc(0, { addr: 0x8000, len: 4, id: 8, flags: AVAIL1 }), /buffer ID 8 is outside the queue/],
    ["NEXT into a slot not made available", (mq) => mq.writeDesc(0, { addr: 0x8000, len: 4, id: 0, flags: NEXT | AVAIL1 }), /slot 1 is not available/],
    ["readable after writable", (mq) => {
      mq.writeDesc(1, { addr: 0x8000, len: 4, id: 0, flags: AVAIL1 });
      mq.writeDesc(0, { addr: 0x8000, len: 4, id: 0, flags: WRITE | NEXT | AVAIL1 });
    }, /readable buffer after a writable one/],
    ["buffer outside RAM", (mq) => mq.writeDesc(0, { addr: (1 << 20) - 2, len: 4, id: 0, flags: AVAIL1 }), /outside RAM/],
    ["address above 2^53", (mq) => mq.writeDesc(0, { addr: 2 ** 60, len: 4, id: 0, flags: AVAIL1 }), /outside RAM/],
    ["unknown flag", (mq) => mq.writeDesc(0, { addr: 0x8000, len: 4, id: 0, flags: 0x10 | AVAIL1 }), /unknown flags 0x10/],
    ["INDIRECT without the feature", (mq) => mq.writeDesc(0, { addr: 0x8000, len: 16, id: 0, flags: INDIRECT | AVAIL1 }), /RING_INDIRECT_DESC was not negotiated/],
    ["INDIRECT with NEXT", (mq) => mq.writeDesc(0, { addr: 0x8000, len: 16, id: 0, flags: INDIRECT | NEXT | AVAIL1 }), /both INDIRECT and NEXT/, { indirect: true }],
    ["INDIRECT inside a chain", (mq) => {
      mq.writeDesc(1, { addr: 0x8000, len: 16, id: 0, flags: INDIRECT | AVAIL1 });
      mq.writeDesc(0, { addr: 0x8000, len: 4, id: 0, flags: NEXT | AVAIL1 });
    }, /indirect inside a chain/, { indirect: true }],
    ["indirect table of odd length", (mq) => mq.writeDesc(0, { addr: 0x8000, len: 24, id: 0, flags: INDIRECT | AVAIL1 }), /not a non-zero multiple of 16/, { indirect: true }],
    ["chain round the whole ring", (mq) => {
      for (let s = 0; s < 8; s++) mq.writeDesc(s, { addr: 0x8000, len: 4, id: 0, flags: NEXT | AVAIL1 });
    }, /longer than the queue size 8/],
  ];
  for (const [name, write, message, opts] of cases) {
    it(`refuses ${name}`, () => {
      const { mq, q } = queueOnRing(opts);
      write(mq);
      expect(popError(q)).toMatch(message);
    });
  }

  it("shows a slot with an address above 2^53 in its view rather than throw", () => {
    const { mq, q } = queueOnRing();
    mq.writeDesc(0, { addr: 2 ** 63, len: 4, id: 0, flags: AVAIL1 });
    expect(q.view().slots[0]!.addr).toBe(2 ** 63);
    expect(q.view().slots).toHaveLength(8);
  });

  it("refuses an ID already in flight", () => {
    const { mq, q } = queueOnRing();
    mq.writeDesc(0, { addr: 0x8000, len: 4, id: 3, flags: AVAIL1 });
    mq.writeDesc(1, { addr: 0x8000, len: 4, id: 3, flags: AVAIL1 });
    q.pop();
    expect(popError(q)).toMatch(/buffer ID 3 .* already in flight/);
  });

  it("puts the device in NEEDS_RESET with the reason, through the device model", () => {
    const driver = new MockDriver(1 << 20);
    const device = new EchoDevice([8]);
    const logs: string[] = [];
    const model = new VirtioDeviceModel(device, driver.memory, testModelOptions({ packed: true, log: (m) => logs.push(m) }));
    const [mq] = bringUpPacked(model, driver);
    mq!.writeDesc(0, { addr: 0x8000, len: 4, id: 99, flags: AVAIL1 });
    model.notify(0);
    expect(model.status & STATUS_DEVICE_NEEDS_RESET).toBeTruthy();
    expect(model.lastError).toMatch(/queue 0: chain at slot 0: buffer ID 99 is outside the queue/);
  });
});

describe("packed queue: event suppression", () => {
  it("device side: ENABLE, DISABLE, and DESC following next-avail with EVENT_IDX", () => {
    const plain = queueOnRing();
    expect(plain.mq.deviceEventFlags).toBe(RING_EVENT_FLAGS_ENABLE);
    plain.q.disableNotifications();
    expect(plain.mq.deviceEventFlags).toBe(RING_EVENT_FLAGS_DISABLE);
    expect(plain.mq.needsKick(plain.mq.publish())).toBe(false);
    plain.mq.add([{ read: "a" }]);
    expect(plain.q.enableNotifications()).toBe(true); // the buffer that came without a kick
    expect(plain.mq.deviceEventFlags).toBe(RING_EVENT_FLAGS_ENABLE);

    const { mq, q } = queueOnRing({ size: 5, eventIdx: true });
    expect([mq.deviceEventFlags, mq.deviceOffWrap]).toEqual([RING_EVENT_FLAGS_DESC, 0x8000]);
    for (let lap = 0; lap < 7; lap++) {
      const old = mq.publish();
      mq.addChain([{ read: "a" }, { write: 1 }]);
      expect(mq.needsKick(old)).toBe(true);
      echoAll(q);
      mq.takeUsed();
      // After draining, the event names the next slot the driver will fill, with its wrap counter.
      expect(mq.deviceOffWrap).toBe(mq.nextAvail | (mq.availWrap ? 0x8000 : 0));
    }
    // Disabled: DISABLE, so the driver does not kick at all, lap after lap (a DESC position
    // left parked would be passed again every second lap), until the device enables again.
    q.disableNotifications();
    expect(mq.deviceEventFlags).toBe(RING_EVENT_FLAGS_DISABLE);
    for (let i = 0; i < 12; i++) {
      const old = mq.publish();
      mq.add([{ read: "a" }]);
      expect(mq.needsKick(old)).toBe(false);
      expect(echoAll(q)).toBe(1);
      mq.takeUsed();
    }
    expect(q.enableNotifications()).toBe(false);
    expect([mq.deviceEventFlags, mq.deviceOffWrap]).toEqual([RING_EVENT_FLAGS_DESC, mq.nextAvail | (mq.availWrap ? 0x8000 : 0)]);
    // A buffer made available while kicks were off is found by the re-check on enabling.
    q.disableNotifications();
    mq.add([{ read: "b" }]);
    expect(q.enableNotifications()).toBe(true);
  });

  it("driver side: DISABLE swallows interrupts, ENABLE gets each, DESC fires when next-used passes off_wrap", () => {
    const { mq, q } = queueOnRing({ size: 6, eventIdx: true });
    mq.disableCb();
    mq.add([{ write: 1 }]);
    echoAll(q);
    expect(q.hasUnsignalledUsed).toBe(true);
    expect(q.needsInterrupt()).toBe(false);
    expect(q.needsInterrupt()).toBe(false); // nothing new
    mq.takeUsed();
    mq.enableCb(); // DESC at the reclaim position
    expect(mq.driverEventFlags).toBe(RING_EVENT_FLAGS_DESC);
    for (let i = 0; i < 20; i++) {
      mq.add([{ write: 1 }]);
      echoAll(q);
      expect(q.needsInterrupt()).toBe(true);
      mq.takeUsed();
    }
    // Delayed: 4 out, off_wrap 3 slots on: the interrupt comes once the used position passes it (the 4th).
    for (let i = 0; i < 4; i++) mq.add([{ write: 1 }]);
    mq.enableCbDelayed();
    const chains = [q.pop()!, q.pop()!, q.pop()!, q.pop()!];
    const answers = chains.map((c) => {
      q.pushUsed(c, 0);
      return q.needsInterrupt();
    });
    expect(answers).toEqual([false, false, false, true]);
  });

  it("without EVENT_IDX a DESC request is answered as ENABLE", () => {
    const { mq, q } = queueOnRing();
    mq.driverEventFlags = RING_EVENT_FLAGS_DESC;
    mq.driverOffWrap = 0x8005;
    mq.add([{ write: 1 }]);
    echoAll(q);
    expect(q.needsInterrupt()).toBe(true);
  });
});

describe("packed queue: negotiation", () => {
  const model = (packed?: boolean) => new VirtioDeviceModel(new EchoDevice([8]), new MockDriver(1 << 20).memory, testModelOptions(packed === undefined ? {} : { packed }));

  it("is offered only when asked for", () => {
    expect(readDeviceFeatures(model()) & VIRTIO_F_RING_PACKED).toBe(0n);
    expect(readDeviceFeatures(model(true)) & VIRTIO_F_RING_PACKED).toBe(VIRTIO_F_RING_PACKED);
  });

  it("a driver that declines it gets split rings, whose sizes are powers of two", () => {
    const driver = new MockDriver(1 << 20);
    const m = new VirtioDeviceModel(new EchoDevice([8]), driver.memory, testModelOptions({ packed: true }));
    bringUp(m, driver, { features: readDeviceFeatures(m) & ~VIRTIO_F_RING_PACKED });
    expect(m.queue(0)).toBeInstanceOf(SplitQueue);
    bringUp(m, driver, { features: readDeviceFeatures(m) & ~VIRTIO_F_RING_PACKED, queueSize: 7 });
    expect(m.lastError).toMatch(/queue 0: queue size 7 is not a power of two/);
  });

  it("a driver that takes it gets packed rings of any size", () => {
    const driver = new MockDriver(1 << 20);
    const m = new VirtioDeviceModel(new EchoDevice([8]), driver.memory, testModelOptions({ packed: true }));
    const [mq] = bringUpPacked(m, driver, { queueSize: 7 });
    expect(m.queue(0)).toBeInstanceOf(PackedQueue);
    expect(m.queue(0)!.size).toBe(7);
    mq!.add([{ read: "x" }, { write: 1 }]);
    m.notify(0);
    expect(mq!.takeUsed().map((u) => text(u.data))).toEqual(["x"]);
  });
});
