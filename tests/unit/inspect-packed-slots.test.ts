// Who owns each slot of a packed ring, over a hand-played driver and device: buffers made
// available, taken, returned in and out of order, reclaimed, across many laps of odd-sized
// rings; the wrap marks against the device's counters; and numbers no device would show,
// which must give a picture, never an exception.
import { describe, expect, it } from "vitest";
import { continuesBuffer, packedSlotPicture, wrapMarkAt, type PackedRingPositions } from "../../src/inspect/packed-slot-statuses.js";
import { slotStatusAt } from "../../src/inspect/slot-statuses.js";
import { VIRTQ_DESC_F_AVAIL, VIRTQ_DESC_F_USED } from "../../src/virtio/packed-ring-layout.js";
import { HandPackedRing } from "../support/hand-packed-ring.js";

const DESC = 2;
const DISABLE = 1;
const one = [{ len: 64 }];
const letters = (r: HandPackedRing) => packedSlotPicture(r.view()).letters;

describe("packed slot owners", () => {
  it("follows buffers from available to taken to used to reclaimed", () => {
    const r = new HandPackedRing(8);
    r.setDriverEvent(DESC);
    expect(letters(r)).toBe("ffffffff");
    r.add(one);
    r.add(one);
    r.add([{ len: 10 }, { len: 20, write: true }]);
    expect(letters(r)).toBe("aaaAffff");
    r.take();
    r.take();
    expect(letters(r)).toBe("hhaAffff");
    r.take();
    expect(letters(r)).toBe("hhhHffff");
    r.use(8);
    expect(letters(r)).toBe("uhhHffff");
    r.use(0);
    r.use(30);
    // The chain's used descriptor sits on its head; the slot it skips continues it.
    expect(letters(r)).toBe("uuuUffff");
    r.reclaim();
    expect(letters(r)).toBe("fuuUffff");
    r.reclaim();
    r.reclaim();
    expect(letters(r)).toBe("ffffffff");
    const p = packedSlotPicture(r.view());
    expect([p.taken, p.available, p.used]).toEqual([0, 0, 0]);
  });

  it("draws nothing as used when the driver gives no hint (ENABLE, DISABLE, no EVENT_IDX, off_wrap ahead)", () => {
    const r = new HandPackedRing(8);
    for (let i = 0; i < 3; i++) r.add(one);
    for (let i = 0; i < 3; i++) r.take();
    r.use();
    r.use();
    r.setDriverEvent(0);
    expect(letters(r)).toBe("ffhfffff");
    r.setDriverEvent(DISABLE);
    expect(packedSlotPicture(r.view()).used).toBeUndefined();
    r.setDriverEvent(DESC);
    expect(letters(r)).toBe("uuhfffff");
    r.eventIdx = false;
    expect(letters(r)).toBe("ffhfffff");
    r.eventIdx = true;
    // virtqueue_enable_cb_delayed: an interrupt wanted two slots ahead of next-used.
    r.setDriverEvent(DESC, 4 | 0x8000);
    expect(letters(r)).toBe("ffhfffff");
    // An off_wrap slot outside the ring.
    r.setDriverEvent(DESC, 9 | 0x8000);
    expect(letters(r)).toBe("ffhfffff");
  });

  it("keeps the spans right across laps of an odd-sized ring, chains and indirect buffers crossing the end", () => {
    const r = new HandPackedRing(5);
    r.setDriverEvent(DESC);
    const check = () => {
      const v = r.view();
      const p = packedSlotPicture(v);
      // Count what each side has outstanding, in slots, and compare with the letters.
      const takenSlots = r.taken.reduce((n, t) => n + t.slots, 0);
      expect(p.taken).toBe(takenSlots);
      expect([...p.letters].filter((c) => "hH".includes(c))).toHaveLength(takenSlots);
      if (takenSlots > 0) expect(p.letters.charAt(r.nextUsed)).toBe("h");
      return p;
    };
    for (let lap = 0; lap < 12; lap++) {
      r.add([{ len: 8 }, { len: 8, write: true }]);
      check();
      r.add(one, { indirect: lap % 2 === 0 });
      check();
      r.take();
      const p = check();
      expect(p.letters).toMatch(/^[fahuAHU]{5}$/);
      r.take();
      check();
      // Out of order: the second buffer first; next-used still moves by its slot count.
      r.use(4, r.taken[r.taken.length - 1]!.id);
      check();
      r.use(4);
      expect(check().used).toBe(3);
      r.reclaim();
      r.reclaim();
      expect(check().letters).toBe("fffff");
    }
    expect(r.availWrap).toBe(r.driverWrap);
  });

  it("fills the whole ring: all available, then all taken (next-used and next-avail on one slot, wraps apart)", () => {
    const r = new HandPackedRing(4);
    for (let i = 0; i < 4; i++) r.add(one);
    expect(letters(r)).toBe("aaaa");
    for (let i = 0; i < 4; i++) r.take();
    expect(r.nextAvail).toBe(r.nextUsed);
    expect(r.availWrap).not.toBe(r.usedWrap);
    expect(letters(r)).toBe("hhhh");
    r.setDriverEvent(DESC);
    for (let i = 0; i < 4; i++) r.use();
    expect(letters(r)).toBe("uuuu");
  });

  it("marks each slot's AVAIL and USED flags against the counter the device expects there", () => {
    const r = new HandPackedRing(6);
    r.setDriverEvent(DESC);
    for (let i = 0; i < 4; i++) r.add(one);
    r.take();
    r.take();
    r.use();
    const p = packedSlotPicture(r.view());
    expect(p.letters).toBe("uhaaff");
    // used: flags equal (both differ from the next lap's counter); taken: USED matches
    // (the device passed it); available: AVAIL matches, USED not; never written: neither.
    expect(p.wrapMarks).toBe("021100");
    expect(wrapMarkAt(p.wrapMarks, 2)).toEqual({ avail: true, used: false });
    expect(wrapMarkAt(p.wrapMarks, 1)).toEqual({ avail: false, used: true });
    expect(wrapMarkAt(p.wrapMarks, 6)).toBeUndefined();
    // Every slot the letters call available passes the spec's test the marks show.
    for (let lap = 0; lap < 5; lap++) {
      r.reclaim();
      r.add(one);
      r.take();
      r.use();
      const q = packedSlotPicture(r.view());
      for (let s = 0; s < 6; s++) {
        if (slotStatusAt(q.letters, s) === "available") expect(q.wrapMarks[s]).toBe("1");
      }
    }
  });

  it("tells chain continuations apart, and slotStatusAt reads both cases", () => {
    const r = new HandPackedRing(8);
    r.add([{ len: 1 }, { len: 2 }, { len: 3 }]);
    r.add(one);
    const p = packedSlotPicture(r.view());
    expect(p.letters).toBe("aAAaffff");
    expect([0, 1, 2, 3].map((s) => continuesBuffer(p.letters, s))).toEqual([false, true, true, false]);
    expect(slotStatusAt(p.letters, 1)).toBe("available");
    expect(slotStatusAt("H", 0)).toBe("held");
  });
});

describe("packed slot owners of rings no device would show", () => {
  const base = (): PackedRingPositions => ({
    size: 4, nextAvail: 0, availWrap: true, nextUsed: 0, usedWrap: true, eventIdx: true, driverEvent: { offWrap: 0, flags: 0 },
    slots: Array.from({ length: 4 }, () => ({ flags: VIRTQ_DESC_F_AVAIL })),
  });

  it("gives all free for positions outside the ring, a wrong slot count or a size out of range", () => {
    expect(packedSlotPicture({ ...base(), nextAvail: 4 }).letters).toBe("ffff");
    expect(packedSlotPicture({ ...base(), nextUsed: -1 }).letters).toBe("ffff");
    expect(packedSlotPicture({ ...base(), nextAvail: 1.5 }).letters).toBe("ffff");
    expect(packedSlotPicture({ ...base(), slots: [] }).letters).toBe("ffff");
    expect(packedSlotPicture({ ...base(), size: 0 }).letters).toBe("");
    expect(packedSlotPicture({ ...base(), size: 1e9 }, 1e9).letters.length).toBe(32768);
    expect(packedSlotPicture(undefined, 3)).toMatchObject({ letters: "fff", wrapMarks: "" });
  });

  it("takes next-used ahead of next-avail as nothing in flight, and stops the available walk at the ring's size", () => {
    const p = packedSlotPicture({ ...base(), nextUsed: 2 });
    expect(p.taken).toBe(0);
    // Every slot says available for ever: the walk stops after one lap.
    expect(p.letters).toBe("aaaa");
  });

  it("never throws on random flags and positions", () => {
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
    for (let i = 0; i < 2000; i++) {
      const size = 1 + rnd(9);
      const ring: PackedRingPositions = {
        size, nextAvail: rnd(size + 2) - 1, availWrap: rnd(2) === 1, nextUsed: rnd(size), usedWrap: rnd(2) === 1, eventIdx: rnd(2) === 1,
        driverEvent: { offWrap: rnd(0x10000), flags: rnd(4) },
        slots: Array.from({ length: size }, () => ({ flags: rnd(2) * VIRTQ_DESC_F_AVAIL | rnd(2) * VIRTQ_DESC_F_USED | rnd(2) })),
      };
      const p = packedSlotPicture(ring);
      expect(p.letters).toHaveLength(size);
      expect(p.letters).toMatch(/^[fahuAHU]*$/);
      expect(p.taken + p.available + (p.used ?? 0)).toBeLessThanOrEqual(size);
    }
  });
});
