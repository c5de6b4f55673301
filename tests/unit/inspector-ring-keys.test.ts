// The ring picture by keyboard: where each key moves the focus in the drawn grid, and the
// words a screen reader says for the focused slot of a split and of a packed ring.
import { describe, expect, it } from "vitest";
import { opensChain, slotAfterKey, slotWords } from "../../src/page/inspector-ring-keys.js";
import { packedQueueView } from "../../src/inspect/packed-queue-view.js";
import type { QueueView } from "../../src/worker/api.js";
import { HandPackedRing } from "../support/hand-packed-ring.js";

describe("the ring picture's keys", () => {
  it("moves slot by slot, row by row, to the ends, and never off the ring", () => {
    // 256 slots in rows of 32; 40 slots in rows of 32 (a short last row).
    expect(slotAfterKey("ArrowRight", 5, 32, 256)).toBe(6);
    expect(slotAfterKey("ArrowLeft", 5, 32, 256)).toBe(4);
    expect(slotAfterKey("ArrowRight", 31, 32, 256)).toBe(32);
    expect(slotAfterKey("ArrowDown", 5, 32, 256)).toBe(37);
    expect(slotAfterKey("ArrowUp", 37, 32, 256)).toBe(5);
    expect(slotAfterKey("Home", 37, 32, 256)).toBe(0);
    expect(slotAfterKey("End", 37, 32, 256)).toBe(255);
    expect(slotAfterKey("ArrowLeft", 0, 32, 256)).toBe(0);
    expect(slotAfterKey("ArrowRight", 255, 32, 256)).toBe(255);
    expect(slotAfterKey("ArrowUp", 3, 32, 256)).toBe(3);
    expect(slotAfterKey("ArrowDown", 10, 32, 40)).toBe(10);
    expect(slotAfterKey("ArrowDown", 7, 32, 40)).toBe(39);
    expect(slotAfterKey("a", 7, 32, 40)).toBeUndefined();
    expect(slotAfterKey("ArrowRight", 0, 32, 0)).toBeUndefined();
    expect([opensChain("Enter"), opensChain(" "), opensChain("Tab")]).toEqual([true, true, false]);
  });

  it("names a split ring's slot with its state and the positions on it", () => {
    const q = { layout: "split", size: 8, slots: "uuhaafff", availIdx: 13, lastAvailIdx: 11, usedIdx: 10 } as QueueView;
    expect(slotWords(q, 3, false)).toBe("slot 3 of 8: available · device last seen 11 (the next it takes)");
    expect(slotWords(q, 5, true)).toBe("slot 5 of 8: free · avail idx 13 (where the driver puts its next buffer) · its chain is shown");
    expect(slotWords(q, 2, false)).toBe("slot 2 of 8: held · used idx 10 (where the device puts its next completion)");
  });

  it("names a packed ring's slot as its hover title does, with the ring's size", () => {
    const r = new HandPackedRing(4);
    r.add([{ len: 4 }, { len: 4, write: true }]);
    r.add([{ len: 4 }]);
    r.take();
    const q = packedQueueView({ index: 0, name: "requestq", size: 4, enabled: true }, r.view(), true);
    expect(slotWords(q, 2, false)).toMatch(/^slot 2 of 4: available to the device · buffer ID 1 · .*device's next avail/);
    expect(slotWords(q, 2, false)).not.toMatch(/click/);
  });
});
