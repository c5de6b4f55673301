// The chain view's walk of a packed ring: direct chains (also across the ring's end),
// indirect tables, used buffers with the slots they skip, and hostile rings (NEXT on every
// slot, misplaced INDIRECT, tables too long or outside RAM, buffers outside RAM,
// random bytes) that must give a problem, never an exception, and never change memory.
import { describe, expect, it } from "vitest";
import { MAX_DESCRIPTORS } from "../../src/inspect/chain-view.js";
import { walkPackedChainAt } from "../../src/inspect/packed-chain-view.js";
import { VIRTQ_DESC_F_AVAIL, VIRTQ_DESC_F_USED } from "../../src/virtio/packed-ring-layout.js";
import { MAX_INDIRECT_ENTRIES, VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } from "../../src/virtio/split-descriptors.js";
import { HandPackedRing } from "../support/hand-packed-ring.js";

const AVAIL = VIRTQ_DESC_F_AVAIL;
const text = (s: string) => new TextEncoder().encode(s);
const walk = (r: HandPackedRing, slot: number, usedSlots?: number) =>
  walkPackedChainAt(r.memory, { size: r.size, descAddr: r.descAddr, indirect: r.indirect }, slot, usedSlots);

describe("walkPackedChainAt", () => {
  it("follows a direct chain, names its flags, takes the buffer ID from its last descriptor and previews the first buffer", () => {
    const r = new HandPackedRing(8);
    r.add([{ len: 11, data: text("hello, ring") }, { len: 6 }, { len: 64, write: true }]);
    const view = walk(r, 0);
    expect(view.problem).toBeUndefined();
    expect(view.head).toBe(0);
    expect(view.descriptors.map((d) => d.index)).toEqual([0, 1, 2]);
    expect(view.descriptors.map((d) => d.flagNames.join("|"))).toEqual(["NEXT|AVAIL", "NEXT|AVAIL", "WRITE|AVAIL"]);
    expect(view.descriptors.map((d) => d.len)).toEqual([11, 6, 64]);
    expect(view.bufferId).toBe(0);
    expect(new TextDecoder().decode(Uint8Array.from(view.preview))).toBe("hello, ring");
  });

  it("follows a chain across the end of the ring (the second lap's flags)", () => {
    const r = new HandPackedRing(3);
    r.add([{ len: 1 }]);
    r.add([{ len: 2 }, { len: 3 }, { len: 4 }]);
    const view = walk(r, 1);
    expect(view.problem).toBeUndefined();
    expect(view.descriptors.map((d) => [d.index, d.len])).toEqual([[1, 2], [2, 3], [0, 4]]);
    // The last one went into the next lap: AVAIL cleared, USED set.
    expect(view.descriptors[2]!.flagNames).toEqual(["USED"]);
    expect(view.bufferId).toBe(1);
  });

  it("lists every entry of an indirect table, marked indirect", () => {
    const r = new HandPackedRing(4);
    r.add([{ len: 5, data: text("abcde") }, { len: 32, write: true }], { indirect: true });
    const view = walk(r, 0);
    expect(view.problem).toBeUndefined();
    expect(view.descriptors.map((d) => [d.flagNames.join("|"), d.indirect])).toEqual([["INDIRECT|AVAIL", false], ["", true], ["WRITE", true]]);
    expect(view.descriptors[0]!.len).toBe(32);
    expect(view.bufferId).toBe(0);
    expect(new TextDecoder().decode(Uint8Array.from(view.preview))).toBe("abcde");
  });

  it("shows a used buffer as the device left it: its used descriptor, then the slots it skipped", () => {
    const r = new HandPackedRing(8);
    r.add([{ len: 4 }]);
    r.add([{ len: 3, data: text("xyz") }, { len: 9, write: true }]);
    r.take();
    r.take();
    r.use(1);
    r.use(7);
    const view = walk(r, 1, 2);
    expect(view.problem).toBeUndefined();
    expect(view.bufferId).toBe(1);
    expect(view.descriptors.map((d) => d.flagNames.join("|"))).toEqual(["WRITE|AVAIL|USED", "WRITE|AVAIL"]);
    expect(view.descriptors[0]!.len).toBe(7);
    // The used descriptor's address is unused by the spec: the preview comes from the next slot.
    expect(view.preview).toHaveLength(9);
  });

  it("stops a chain with NEXT on every slot after one lap of the ring", () => {
    const r = new HandPackedRing(5);
    for (let s = 0; s < 5; s++) r.writeSlot(s, { addr: 0x8000, len: 4, id: s, flags: AVAIL | VIRTQ_DESC_F_NEXT });
    const view = walk(r, 2);
    expect(view.problem).toMatch(/longer than the ring/);
    expect(view.descriptors).toHaveLength(5);
  });

  it("reports INDIRECT without the feature, with NEXT, inside a chain, and tables of a bad length or outside RAM; INDIRECT inside a table is ignored, as the device does", () => {
    const r = new HandPackedRing(4);
    const table = r.alloc(64);
    r.writeSlot(0, { addr: table, len: 32, id: 0, flags: AVAIL | VIRTQ_DESC_F_INDIRECT });
    r.writeSlot(0, { addr: 0x9000, len: 8, id: 0, flags: 0 }, table);
    r.writeSlot(1, { addr: 0x9100, len: 8, id: 0, flags: VIRTQ_DESC_F_INDIRECT }, table);
    expect(walk(r, 0).problem).toBeUndefined();
    expect(walk(r, 0).descriptors).toHaveLength(3);
    r.indirect = false;
    expect(walk(r, 0).problem).toMatch(/RING_INDIRECT_DESC was not negotiated/);
    r.indirect = true;
    r.writeSlot(0, { addr: table, len: 32, id: 0, flags: AVAIL | VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT });
    expect(walk(r, 0).problem).toMatch(/both INDIRECT and NEXT/);
    r.writeSlot(0, { addr: 0x9000, len: 8, id: 0, flags: AVAIL | VIRTQ_DESC_F_NEXT });
    r.writeSlot(1, { addr: table, len: 32, id: 0, flags: AVAIL | VIRTQ_DESC_F_INDIRECT });
    expect(walk(r, 0).problem).toMatch(/INDIRECT descriptor inside a chain/);
    const bad = (len: number, addr = table) => {
      r.writeSlot(0, { addr, len, id: 0, flags: AVAIL | VIRTQ_DESC_F_INDIRECT });
      return walk(r, 0).problem;
    };
    expect(bad(0)).toMatch(/not a non-zero multiple of 16/);
    expect(bad(20)).toMatch(/not a non-zero multiple of 16/);
    expect(bad(16 * (MAX_INDIRECT_ENTRIES + 1))).toMatch(/more than 32768/);
    expect(bad(32, r.memory.size - 16)).toMatch(/outside guest RAM/);
    expect(bad(32, 2 ** 40)).toMatch(/outside guest RAM/);
  });

  it("stops listing a long indirect table at MAX_DESCRIPTORS", () => {
    const r = new HandPackedRing(4);
    const entries = MAX_DESCRIPTORS + 10;
    const table = r.alloc(16 * entries);
    for (let i = 0; i < entries; i++) r.writeSlot(i, { addr: 0x9000, len: 1, id: 0, flags: VIRTQ_DESC_F_WRITE }, table);
    r.writeSlot(0, { addr: table, len: 16 * entries, id: 0, flags: AVAIL | VIRTQ_DESC_F_INDIRECT });
    const view = walk(r, 0);
    expect(view.descriptors).toHaveLength(MAX_DESCRIPTORS);
    expect(view.problem).toMatch(/longer than 1024/);
  });

  it("reports buffers and rings outside RAM, and slots outside the ring, without throwing", () => {
    const r = new HandPackedRing(4);
    r.writeSlot(0, { addr: 0x9000, len: 8, id: 3, flags: AVAIL | VIRTQ_DESC_F_NEXT });
    r.writeSlot(1, { addr: 2 ** 33, len: 8, id: 3, flags: AVAIL });
    const view = walk(r, 0);
    expect(view.problem).toMatch(/slot 1: buffer 0x200000000\+8 is outside guest RAM/);
    expect(view.descriptors).toHaveLength(2);
    expect(walk(r, 4).problem).toMatch(/outside the ring/);
    expect(walk(r, -1).problem).toMatch(/outside the ring/);
    expect(walk(r, 0.5).problem).toMatch(/outside the ring/);
    const far = walkPackedChainAt(r.memory, { size: 4, descAddr: r.memory.size - 8, indirect: true }, 0);
    expect(far.problem).toMatch(/slot 0 at 0x[0-9a-f]+ is outside guest RAM/);
    expect(walkPackedChainAt(r.memory, { size: 0, descAddr: 0, indirect: true }, 0).problem).toBeDefined();
    // A used span longer than the ring is cut to one lap.
    expect(walk(r, 0, 99).descriptors).toHaveLength(4);
  });

  it("never throws and never writes on random rings", () => {
    let seed = 11;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
    const r = new HandPackedRing(16, 1 << 16);
    const flagBits = [VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE, VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_AVAIL, VIRTQ_DESC_F_USED, 0x40];
    for (let round = 0; round < 300; round++) {
      for (let s = 0; s < 16; s++) {
        const flags = flagBits.reduce((f, b) => f | (rnd(3) === 0 ? b : 0), 0);
        const addr = rnd(4) === 0 ? rnd(2 ** 20) : 0x2000 + 16 * rnd(64);
        r.writeSlot(s, { addr, len: rnd(5) === 0 ? rnd(2 ** 31) : 16 * rnd(8), id: rnd(0x10000), flags });
      }
      const before = r.bytes.slice();
      const view = walk(r, rnd(18) - 1, rnd(2) ? undefined : rnd(20));
      expect(view.descriptors.length).toBeLessThanOrEqual(MAX_DESCRIPTORS);
      expect(Buffer.compare(r.bytes, before)).toBe(0);
    }
  });
});
