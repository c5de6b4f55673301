import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { QueueProtocolError } from "../../src/virtio/queue-types.js";
import { SplitQueue, VRING_AVAIL_F_NO_INTERRUPT, VRING_USED_F_NO_NOTIFY, vringNeedEvent } from "../../src/virtio/split-queue.js";
import { VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } from "../../src/virtio/split-descriptors.js";
import { MockDriver, type MockQueue } from "../support/mock-driver.js";

const RAM = 1 << 20;
const NEXT = VIRTQ_DESC_F_NEXT;
const WRITE = VIRTQ_DESC_F_WRITE;
const INDIRECT = VIRTQ_DESC_F_INDIRECT;

function setup(opts: { size?: number; eventIdx?: boolean; indirect?: boolean; ram?: number } = {}) {
  const size = opts.size ?? 8;
  const driver = new MockDriver(opts.ram ?? RAM);
  const mq = driver.newQueue(size);
  mq.eventIdx = opts.eventIdx ?? false;
  const q = new SplitQueue(driver.memory, {
    index: 0, size, descAddr: mq.descAddr, availAddr: mq.availAddr, usedAddr: mq.usedAddr,
    eventIdx: opts.eventIdx ?? false, indirect: opts.indirect ?? false,
  });
  return { driver, mq, q };
}

/** Publishes head 0 after the test wrote raw descriptors. */
function publishHead(mq: MockQueue, head = 0): void {
  mq.putHead(head);
  mq.publish();
}

function popError(q: SplitQueue): string {
  try {
    q.pop();
  } catch (e) {
    expect(e).toBeInstanceOf(QueueProtocolError);
    return (e as Error).message;
  }
  throw new Error("pop() did not throw");
}

describe("split queue layout checks", () => {
  const mem = new MockDriver(1 << 16).memory;
  const ok = { index: 0, size: 8, descAddr: 0x1000, availAddr: 0x2000, usedAddr: 0x3000, eventIdx: false, indirect: false };
  const bad = (over: Partial<typeof ok>) => () => new SplitQueue(mem, { ...ok, ...over });

  it("accepts a valid layout", () => {
    expect(() => new SplitQueue(mem, ok)).not.toThrow();
    expect(() => new SplitQueue(mem, { ...ok, size: 1 })).not.toThrow();
  });

  it("rejects sizes that are not a power of two from 1 to 32768", () => {
    for (const size of [0, 3, 12, 65536, -8, 2.5]) expect(bad({ size })).toThrow(QueueProtocolError);
  });

  it("rejects misaligned rings", () => {
    expect(bad({ descAddr: 0x1008 })).toThrow(/descriptor table .* not 16-byte aligned/);
    expect(bad({ availAddr: 0x2001 })).toThrow(/available ring .* not 2-byte aligned/);
    expect(bad({ usedAddr: 0x3002 })).toThrow(/used ring .* not 4-byte aligned/);
  });

  it("rejects rings that do not fit in RAM", () => {
    expect(bad({ descAddr: 0x10000 - 0x70 })).toThrow(/descriptor table .* outside RAM/);
    expect(bad({ usedAddr: 0x10000 - 68 })).toThrow(/used ring .* outside RAM/);
    expect(bad({ availAddr: 2 ** 60 })).toThrow(/outside RAM/);
  });
});

describe("a new queue", () => {
  it("writes the fields the device owns: used.flags, used.idx and, with EVENT_IDX, avail_event", () => {
    const driver = new MockDriver(1 << 16);
    const mq = driver.newQueue(4);
    driver.bytes.fill(0xaa, mq.usedAddr, mq.usedAddr + 6 + 8 * 4);
    new SplitQueue(driver.memory, { index: 0, size: 4, descAddr: mq.descAddr, availAddr: mq.availAddr, usedAddr: mq.usedAddr, eventIdx: true, indirect: false });
    expect([mq.usedFlags, mq.usedIdx, mq.availEvent]).toEqual([0, 0, 0]);
    expect(mq.usedElem(0)).toEqual({ id: 0xaaaaaaaa, len: 0xaaaaaaaa }); // entries are written only when used
  });
});

describe("popping chains", () => {
  it("finds nothing in an empty ring, then each published chain in order", () => {
    const { mq, q } = setup();
    expect(q.pop()).toBeUndefined();
    const h1 = mq.add([{ read: "a" }]);
    const h2 = mq.add([{ read: "b" }, { write: 4 }]);
    const c1 = q.pop()!;
    const c2 = q.pop()!;
    expect([c1.head, c2.head]).toEqual([h1, h2]);
    expect(q.pop()).toBeUndefined();
    expect(q.view().inFlight).toBe(2);
  });

  it("does not see chains the driver has not published yet", () => {
    const { mq, q } = setup();
    mq.addChain([{ read: "a" }]);
    expect(q.pop()).toBeUndefined();
    mq.publish();
    expect(q.pop()).toBeDefined();
  });

  it("rejects avail.idx moving more than the queue size ahead", () => {
    const { mq, q } = setup({ size: 4 });
    mq.availIdx = 5;
    expect(popError(q)).toMatch(/avail.idx moved to 5 .* more than the queue size 4/);
  });

  it("accepts a full ring (avail.idx exactly the queue size ahead)", () => {
    const { mq, q } = setup({ size: 4 });
    for (let i = 0; i < 4; i++) mq.add([{ read: "x" }]);
    for (let i = 0; i < 4; i++) expect(q.pop()).toBeDefined();
  });

  it("rejects avail.idx going backwards", () => {
    const { mq, q } = setup({ size: 4 });
    mq.add([{ read: "x" }]);
    q.pop();
    mq.availIdx = 0;
    expect(popError(q)).toMatch(/avail.idx moved to 0/);
  });

  it("rejects a head outside the queue", () => {
    const { mq, q } = setup({ size: 4 });
    publishHead(mq, 4);
    expect(popError(q)).toMatch(/names head 4, outside the queue/);
  });

  it("rejects a next index outside the queue", () => {
    const { driver, mq, q } = setup({ size: 4 });
    mq.writeDesc(0, { addr: driver.alloc(4), len: 4, flags: NEXT, next: 9 });
    publishHead(mq);
    expect(popError(q)).toMatch(/next index 9 is outside the queue/);
  });

  it("detects a loop in a direct chain", () => {
    const { driver, mq, q } = setup({ size: 4 });
    const a = driver.alloc(4);
    mq.writeDesc(0, { addr: a, len: 4, flags: NEXT, next: 1 });
    mq.writeDesc(1, { addr: a, len: 4, flags: NEXT, next: 0 });
    publishHead(mq);
    expect(popError(q)).toMatch(/longer than the queue size 4 \(a loop\?\)/);
  });

  it("detects a descriptor that links to itself", () => {
    const { driver, mq, q } = setup({ size: 1 });
    mq.writeDesc(0, { addr: driver.alloc(4), len: 4, flags: NEXT, next: 0 });
    publishHead(mq);
    expect(popError(q)).toMatch(/a loop/);
  });

  it("accepts a chain using every descriptor of the table", () => {
    const { driver, mq, q } = setup({ size: 4 });
    const a = driver.alloc(4);
    for (let i = 0; i < 4; i++) mq.writeDesc(i, { addr: a, len: 1, flags: i < 3 ? NEXT : 0, next: i + 1 });
    publishHead(mq);
    expect(q.pop()!.readableLength).toBe(4);
  });

  it("rejects a readable descriptor after a writable one", () => {
    const { driver, mq, q } = setup();
    const a = driver.alloc(8);
    mq.writeDesc(0, { addr: a, len: 4, flags: WRITE | NEXT, next: 1 });
    mq.writeDesc(1, { addr: a + 4, len: 4, flags: 0, next: 0 });
    publishHead(mq);
    expect(popError(q)).toMatch(/descriptor 1: readable buffer after a writable one/);
  });

  it("rejects buffers that are not entirely in RAM", () => {
    for (const [addr, len] of [[RAM - 4, 5], [RAM, 1], [2 ** 40, 1], [2 ** 53, 0], [2 ** 63, 1]] as const) {
      const { mq, q } = setup();
      mq.writeDesc(0, { addr, len, flags: 0, next: 0 });
      publishHead(mq);
      expect(popError(q)).toMatch(/outside RAM/);
    }
  });

  it("accepts a buffer ending exactly at the end of RAM", () => {
    const { mq, q } = setup();
    mq.writeDesc(0, { addr: RAM - 4, len: 4, flags: WRITE, next: 0 });
    publishHead(mq);
    expect(q.pop()!.writableLength).toBe(4);
  });

  it("rejects a chain longer than 2^32 bytes in total", () => {
    // 4096 indirect entries of 1 MiB each, all over the same RAM: each fits, the sum does not.
    const ram = 2 << 20;
    const { driver, mq, q } = setup({ indirect: true, ram });
    const entries = 4096;
    const table = driver.alloc(16 * entries);
    for (let i = 0; i < entries; i++) mq.writeDesc(i, { addr: 0, len: 1 << 20, flags: i + 1 < entries ? NEXT : 0, next: i + 1 }, table);
    mq.writeDesc(0, { addr: table, len: 16 * entries, flags: INDIRECT, next: 0 });
    publishHead(mq);
    expect(popError(q)).toMatch(/longer than 2\^32 bytes/);
  });

  it("does not walk past an invalid chain: the error stays until the device is reset", () => {
    const { mq, q } = setup({ size: 4 });
    publishHead(mq, 7);
    popError(q);
    expect(popError(q)).toMatch(/head 7/);
  });
});

describe("indirect descriptors", () => {
  function indirectSetup(entries: { len: number; write?: boolean; flags?: number; next?: number }[], tableLen?: number) {
    const s = setup({ indirect: true });
    const table = s.driver.alloc(16 * Math.max(entries.length, 1));
    const buf = s.driver.alloc(64);
    entries.forEach((e, i) => s.mq.writeDesc(i, {
      addr: buf, len: e.len, flags: e.flags ?? ((e.write ? WRITE : 0) | (i + 1 < entries.length ? NEXT : 0)), next: e.next ?? i + 1,
    }, table));
    s.mq.writeDesc(0, { addr: table, len: tableLen ?? 16 * entries.length, flags: INDIRECT, next: 0 });
    publishHead(s.mq);
    return { ...s, table, buf };
  }

  it("reads a table with readable and writable entries", () => {
    const { mq, q } = setup({ indirect: true });
    mq.add([{ read: "head" }, { read: "er" }, { write: 8 }], { indirect: true });
    const chain = q.pop()!;
    expect(new TextDecoder().decode(chain.reader().read(99))).toBe("header");
    expect(chain.writableLength).toBe(8);
  });

  it("is refused when RING_INDIRECT_DESC was not negotiated", () => {
    const { mq, q } = setup({ indirect: false });
    mq.add([{ read: "x" }], { indirect: true });
    expect(popError(q)).toMatch(/RING_INDIRECT_DESC was not negotiated/);
  });

  it("rejects table lengths that are zero or not a multiple of 16", () => {
    expect(popError(indirectSetup([{ len: 1 }], 0).q)).toMatch(/length 0 is not a non-zero multiple of 16/);
    expect(popError(indirectSetup([{ len: 1 }, { len: 1 }], 24).q)).toMatch(/length 24/);
  });

  it("rejects tables of more than 32768 entries", () => {
    expect(popError(indirectSetup([{ len: 1 }], 16 * 32769).q)).toMatch(/32769 entries, more than 32768/);
  });

  it("rejects a table that is not in RAM", () => {
    const { driver, mq, q } = setup({ indirect: true });
    mq.writeDesc(0, { addr: driver.size - 16, len: 32, flags: INDIRECT, next: 0 });
    publishHead(mq);
    expect(popError(q)).toMatch(/indirect table of descriptor 0: buffer .* outside RAM/);
  });

  it("rejects INDIRECT together with NEXT", () => {
    const { driver, mq, q } = setup({ indirect: true });
    mq.writeDesc(0, { addr: driver.alloc(16), len: 16, flags: INDIRECT | NEXT, next: 1 });
    publishHead(mq);
    expect(popError(q)).toMatch(/both INDIRECT and NEXT/);
  });

  it("rejects a nested indirect descriptor", () => {
    expect(popError(indirectSetup([{ len: 16, flags: INDIRECT }]).q)).toMatch(/nested indirect/);
  });

  it("rejects a next index outside the table", () => {
    expect(popError(indirectSetup([{ len: 1, flags: NEXT, next: 2 }, { len: 1 }]).q)).toMatch(/next index 2 is outside the table \(2 entries\)/);
  });

  it("detects a loop inside the table", () => {
    expect(popError(indirectSetup([{ len: 1, flags: NEXT, next: 1 }, { len: 1, flags: NEXT, next: 0 }]).q)).toMatch(/longer than the table's 2 entries/);
  });

  it("keeps readable-before-writable inside the table", () => {
    expect(popError(indirectSetup([{ len: 1, write: true }, { len: 1 }]).q)).toMatch(/readable buffer after a writable one/);
  });

  it("follows direct descriptors that end in an indirect one (spec 2.7.5.3.2)", () => {
    const { driver, mq, q } = setup({ indirect: true });
    const a = driver.alloc(16);
    driver.write(a, new TextEncoder().encode("abcdef"));
    const table = driver.alloc(32);
    mq.writeDesc(0, { addr: a + 3, len: 3, flags: 0, next: 0 }, table);
    mq.writeDesc(1, { addr: a, len: 3, flags: NEXT, next: 1 });
    mq.writeDesc(1, { addr: a, len: 3, flags: NEXT, next: 2 });
    // WRITE on the descriptor that points at the table is ignored (spec).
    mq.writeDesc(2, { addr: table, len: 16, flags: INDIRECT | WRITE, next: 0 });
    publishHead(mq, 1);
    const chain = q.pop()!;
    expect(new TextDecoder().decode(chain.reader().read(99))).toBe("abcdef");
    expect(chain.writableLength).toBe(0);
  });
});

describe("the used ring", () => {
  it("gets the head and the written length, then used.idx moves", () => {
    const { mq, q } = setup();
    const head = mq.add([{ read: "ping" }, { write: 8 }]);
    const chain = q.pop()!;
    chain.writer().write(new TextEncoder().encode("pong"));
    q.pushUsed(chain, 4);
    expect(mq.usedIdx).toBe(1);
    expect(mq.usedElem(0)).toEqual({ id: head, len: 4 });
    expect(new TextDecoder().decode(mq.takeUsed()[0]!.data)).toBe("pong");
    expect(q.counters.buffers).toBe(1);
    expect(q.view().inFlight).toBe(0);
  });

  it("refuses device mistakes: a chain twice, too many bytes, a chain from another queue", () => {
    const { mq, q } = setup();
    mq.add([{ write: 2 }]);
    mq.add([{ write: 2 }]);
    const c = q.pop()!;
    expect(() => q.pushUsed(c, 3)).toThrow(/device bug/);
    q.pushUsed(c, 2);
    expect(() => q.pushUsed(c, 2)).toThrow(/twice/);
    const other = setup().q;
    expect(() => other.pushUsed(q.pop()!, 0)).toThrow(/did not pop/);
  });

  it("after stop() finds nothing and writes nothing", () => {
    const { mq, q, driver } = setup();
    mq.add([{ write: 2 }]);
    mq.add([{ write: 2 }]);
    const c = q.pop()!;
    q.stop();
    const before = driver.bytes.slice();
    expect(q.pop()).toBeUndefined();
    q.pushUsed(c, 0);
    q.disableNotifications();
    expect(q.enableNotifications()).toBe(false);
    expect(Buffer.from(driver.bytes).equals(before)).toBe(true);
  });
});

describe("used buffer notifications (interrupts)", () => {
  /** Pushes `n` trivial chains (descriptor 0, re-published each time). */
  function cycle(mq: MockQueue, q: SplitQueue, n: number): void {
    for (let i = 0; i < n; i++) {
      mq.putHead(0);
      mq.publish();
      q.pushUsed(q.pop()!, 0);
    }
  }

  function rawSetup(eventIdx: boolean) {
    const s = setup({ size: 4, eventIdx });
    s.mq.writeDesc(0, { addr: s.driver.alloc(4), len: 4, flags: WRITE, next: 0 });
    return s;
  }

  it("vring_need_event is true exactly when used_event is among the new entries", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 1, max: 300 }), (event, old, added) => {
      const now = (old + added) & 0xffff;
      let covered = false;
      for (let k = 0; k < added; k++) if (((old + k) & 0xffff) === event) covered = true;
      expect(vringNeedEvent(event, now, old)).toBe(covered);
    }));
  });

  it("with EVENT_IDX interrupts only when the used index passes used_event", () => {
    const { mq, q } = rawSetup(true);
    mq.usedEvent = 2; // "interrupt me when entry 2 is used"
    cycle(mq, q, 2);
    expect(q.needsInterrupt()).toBe(false); // entries 0, 1
    cycle(mq, q, 1);
    expect(q.needsInterrupt()).toBe(true); // entry 2
    cycle(mq, q, 1);
    expect(q.needsInterrupt()).toBe(false); // entry 3: used_event is behind
    expect(q.needsInterrupt()).toBe(false); // nothing new
  });

  it("with EVENT_IDX decides across the 16-bit wrap of used.idx", () => {
    const { mq, q } = rawSetup(true);
    mq.usedEvent = 0xffff;
    cycle(mq, q, 0xfffd); // used.idx = 0xfffd
    q.needsInterrupt();
    expect(mq.usedIdx).toBe(0xfffd);
    cycle(mq, q, 1); // entry 0xfffd
    expect(q.needsInterrupt()).toBe(false);
    cycle(mq, q, 3); // entries 0xfffe, 0xffff, 0: passes 0xffff
    expect(mq.usedIdx).toBe(1);
    expect(q.needsInterrupt()).toBe(true);
    mq.usedEvent = 2;
    cycle(mq, q, 1); // entry 1
    expect(q.needsInterrupt()).toBe(false);
    cycle(mq, q, 1); // entry 2
    expect(q.needsInterrupt()).toBe(true);
  });

  it("with EVENT_IDX ignores VRING_AVAIL_F_NO_INTERRUPT", () => {
    const { mq, q } = rawSetup(true);
    mq.availFlags = VRING_AVAIL_F_NO_INTERRUPT;
    mq.usedEvent = 0;
    cycle(mq, q, 1);
    expect(q.needsInterrupt()).toBe(true);
  });

  it("without EVENT_IDX honours VRING_AVAIL_F_NO_INTERRUPT and ignores used_event", () => {
    const { mq, q } = rawSetup(false);
    mq.usedEvent = 100;
    cycle(mq, q, 1);
    expect(q.hasUnsignalledUsed).toBe(true);
    expect(q.needsInterrupt()).toBe(true);
    expect(q.hasUnsignalledUsed).toBe(false);
    mq.availFlags = VRING_AVAIL_F_NO_INTERRUPT;
    cycle(mq, q, 1);
    expect(q.needsInterrupt()).toBe(false);
    expect(q.needsInterrupt()).toBe(false);
  });
});

describe("available buffer notifications (kicks)", () => {
  it("without EVENT_IDX use VRING_USED_F_NO_NOTIFY in used.flags", () => {
    const { mq, q } = setup();
    expect(mq.usedFlags).toBe(0);
    q.disableNotifications();
    expect(mq.usedFlags).toBe(VRING_USED_F_NO_NOTIFY);
    const old = mq.publish();
    mq.add([{ read: "x" }]);
    expect(mq.needsKick(old)).toBe(false);
    expect(q.enableNotifications()).toBe(true); // a buffer came while kicks were off
    expect(mq.usedFlags).toBe(0);
    q.pop();
    expect(q.enableNotifications()).toBe(false);
  });

  it("with EVENT_IDX enabling writes avail_event = the next index the device will read", () => {
    const { mq, q } = setup({ eventIdx: true });
    mq.add([{ read: "a" }]);
    mq.add([{ read: "b" }]);
    q.disableNotifications();
    q.pop();
    expect(mq.availEvent).toBe(0); // parked while disabled
    expect(q.enableNotifications()).toBe(true); // one chain still waiting
    expect(mq.availEvent).toBe(1);
    q.pop();
    expect(mq.availEvent).toBe(2); // consumption moves it along while enabled
    expect(q.enableNotifications()).toBe(false);
    expect(mq.usedFlags).toBe(0); // the flag is never used with EVENT_IDX
  });

  it("with EVENT_IDX the driver kicks for the next buffer while enabled, and at most once after disabling", () => {
    const { mq, q } = setup({ eventIdx: true });
    let old = mq.publish();
    mq.add([{ read: "a" }]);
    expect(mq.needsKick(old)).toBe(true); // avail_event 0: kick for entry 0
    q.pop();
    q.disableNotifications(); // avail_event parked at 1
    old = mq.publish();
    mq.add([{ read: "b" }]);
    expect(mq.needsKick(old)).toBe(true); // crossing the parked index
    old = mq.publish();
    mq.add([{ read: "c" }]);
    expect(mq.needsKick(old)).toBe(false); // and no more
    expect(q.enableNotifications()).toBe(true);
    expect(mq.availEvent).toBe(1);
  });

  it("counts kicks, and batches found without a kick as suppressed kicks", () => {
    const { mq, q } = setup();
    mq.add([{ read: "a" }]);
    q.noteKick();
    q.pop();
    q.pop();
    mq.add([{ read: "b" }]); // no kick: e.g. the device polls
    q.pop();
    expect(q.counters.kicks).toBe(1);
    expect(q.counters.kicksSuppressed).toBe(1);
  });
});

describe("snapshot", () => {
  it("is plain data describing the ring", () => {
    const { mq, q } = setup({ size: 4, eventIdx: true });
    mq.usedEvent = 3;
    mq.add([{ read: "a" }, { write: 1 }]);
    mq.add([{ read: "b" }]);
    const c = q.pop()!;
    q.pushUsed(c, 1);
    const s = q.view();
    expect(s).toMatchObject({
      size: 4, descAddr: mq.descAddr, availAddr: mq.availAddr, usedAddr: mq.usedAddr, eventIdx: true,
      lastAvailIdx: 1, availIdx: 2, usedIdx: 1, usedEvent: 3, availEvent: 1, availFlags: 0, usedFlags: 0,
      notificationsEnabled: true, inFlight: 0,
    });
    expect(s.counters).toMatchObject({ buffers: 1, bytesRead: 0 });
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });
});
