import { describe, expect, it } from "vitest";
import { SplitQueue } from "../../src/virtio/split-queue.js";
import { VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } from "../../src/virtio/split-descriptors.js";
import { MockDriver, type MockQueue } from "../support/mock-driver.js";

function setup(size = 8) {
  const driver = new MockDriver(1 << 16);
  const mq = driver.newQueue(size);
  const q = new SplitQueue(driver.memory, { index: 0, size, descAddr: mq.descAddr, availAddr: mq.availAddr, usedAddr: mq.usedAddr, eventIdx: false, indirect: true });
  return { driver, mq, q };
}

const bytes = (...values: number[]) => new Uint8Array(values);

/** A chain of raw descriptors at indices 0..n-1 (linked in order), published with head 0. */
function rawChain(mq: MockQueue, parts: { addr: number; len: number; write?: boolean }[]): void {
  parts.forEach((p, i) => mq.writeDesc(i, {
    addr: p.addr, len: p.len, flags: (p.write ? VIRTQ_DESC_F_WRITE : 0) | (i + 1 < parts.length ? VIRTQ_DESC_F_NEXT : 0), next: i + 1,
  }));
  mq.putHead(0);
  mq.publish();
}

describe("chain reader", () => {
  it("reads a chain spanning three descriptors back as the exact bytes, in order", () => {
    const { mq, q } = setup();
    mq.add([{ read: bytes(1, 2, 3) }, { read: bytes(4) }, { read: bytes(5, 6, 7, 8, 9) }]);
    const chain = q.pop()!;
    expect(chain.readableLength).toBe(9);
    expect(chain.writableLength).toBe(0);
    expect([...chain.reader().read(100)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(chain.reader().remaining).toBe(0);
    expect(chain.reader().read(10).length).toBe(0);
  });

  it("reads in pieces that straddle descriptor boundaries, and reader() continues where it stopped", () => {
    const { mq, q } = setup();
    mq.add([{ read: bytes(1, 2, 3) }, { read: bytes(4, 5) }, { read: bytes(6, 7, 8) }]);
    const chain = q.pop()!;
    const pieces: number[][] = [];
    while (chain.reader().remaining > 0) pieces.push([...chain.reader().read(2)]);
    expect(pieces).toEqual([[1, 2], [3, 4], [5, 6], [7, 8]]);
    expect(q.counters.bytesRead).toBe(8);
  });

  it("returns a copy that does not alias guest memory", () => {
    const { driver, mq, q } = setup();
    const addr = driver.alloc(4);
    driver.write(addr, bytes(9, 9, 9, 9));
    rawChain(mq, [{ addr, len: 4 }]);
    const data = q.pop()!.reader().read(4);
    driver.write(addr, bytes(0, 0, 0, 0));
    expect([...data]).toEqual([9, 9, 9, 9]);
  });

  it("reads into a caller's buffer across descriptors, fewer bytes only at the end", () => {
    const { mq, q } = setup();
    mq.add([{ read: bytes(1, 2, 3) }, { read: bytes(4, 5) }]);
    const r = q.pop()!.reader();
    const into = new Uint8Array(4).fill(0xee);
    expect(r.readInto(into)).toBe(4);
    expect([...into]).toEqual([1, 2, 3, 4]);
    expect(r.readInto(into)).toBe(1);
    expect([...into]).toEqual([5, 2, 3, 4]);
    expect(r.readInto(into)).toBe(0);
    expect(r.remaining).toBe(0);
    expect(q.counters.bytesRead).toBe(5);
  });

  it("treats bad counts from the device as zero", () => {
    const { mq, q } = setup();
    mq.add([{ read: bytes(1, 2) }]);
    const r = q.pop()!.reader();
    expect(r.read(-1).length).toBe(0);
    expect(r.read(Number.NaN).length).toBe(0);
    expect(r.read(1.7).length).toBe(1);
    expect(r.remaining).toBe(1);
  });
});

describe("chain writer", () => {
  it("fills writable descriptors in order and stops at the end of the last one", () => {
    const { driver, mq, q } = setup();
    // Guard bytes around each writable buffer must survive.
    const a = driver.alloc(8);
    const b = driver.alloc(8);
    driver.bytes.fill(0xee, a - 4, b + 12);
    rawChain(mq, [{ addr: a, len: 3, write: true }, { addr: b, len: 2, write: true }]);
    const chain = q.pop()!;
    const w = chain.writer();
    expect(w.remaining).toBe(5);
    expect(w.write(bytes(1, 2))).toBe(2);
    expect(w.write(bytes(3, 4, 5, 6, 7))).toBe(3);
    expect(w.write(bytes(8))).toBe(0);
    expect(w.written).toBe(5);
    expect(w.remaining).toBe(0);
    expect([...driver.read(a - 4, 8)]).toEqual([0xee, 0xee, 0xee, 0xee, 1, 2, 3, 0xee]);
    expect([...driver.read(b - 1, 4)]).toEqual([0xee, 4, 5, 0xee]);
    expect(q.counters.bytesWritten).toBe(5);
  });

  it("never writes into the readable part of the chain", () => {
    const { mq, q, driver } = setup();
    mq.add([{ read: bytes(7, 7, 7) }, { write: 2 }]);
    const chain = q.pop()!;
    const before = driver.bytes.slice();
    chain.writer().write(bytes(1, 2, 3, 4, 5));
    const changed = [...driver.bytes.keys()].filter((i) => driver.bytes[i] !== before[i]);
    expect(changed.length).toBe(2);
    q.pushUsed(chain, chain.writer().written);
    expect(mq.takeUsed()[0]!.data).toEqual(bytes(1, 2));
  });

  it("has nothing to write into when the chain is all readable", () => {
    const { mq, q } = setup();
    mq.add([{ read: "abc" }]);
    expect(q.pop()!.writer().write(bytes(1))).toBe(0);
  });
});

describe("zero-length descriptors", () => {
  it("are allowed anywhere and change nothing", () => {
    const { driver, mq, q } = setup();
    const a = driver.alloc(4);
    const b = driver.alloc(4);
    driver.write(a, bytes(1, 2));
    rawChain(mq, [
      { addr: a, len: 0 }, { addr: a, len: 2 }, { addr: a + 2, len: 0 },
      { addr: b, len: 0, write: true }, { addr: b, len: 2, write: true }, { addr: b + 2, len: 0, write: true },
    ]);
    const chain = q.pop()!;
    expect(chain.readableLength).toBe(2);
    expect(chain.writableLength).toBe(2);
    const data = chain.reader().read(10);
    expect(chain.writer().write(data)).toBe(2);
    expect([...driver.read(b, 2)]).toEqual([1, 2]);
  });

  it("make a chain of nothing but empty buffers", () => {
    const { driver, mq, q } = setup();
    const a = driver.alloc(4);
    rawChain(mq, [{ addr: a, len: 0 }, { addr: a, len: 0, write: true }]);
    const chain = q.pop()!;
    expect(chain.reader().read(5).length).toBe(0);
    expect(chain.writer().write(bytes(1))).toBe(0);
    q.pushUsed(chain, 0);
    expect(mq.takeUsed()).toEqual([{ head: 0, len: 0, data: new Uint8Array(0) }]);
  });
});
