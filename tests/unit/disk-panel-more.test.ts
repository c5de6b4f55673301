// The Disk panel works on the machine's first disk in this browser's storage and only names
// the others, in one line after its figures.
import { describe, expect, it } from "vitest";
import { moreDisksText } from "../../src/page/disk-panel.js";

describe("the Disk panel's line for the other disks", () => {
  it("is empty for a machine of one disk, and counts the others by where they are", () => {
    expect(moreDisksText({ inMemory: 0, inStorage: 0 })).toBe("");
    expect(moreDisksText({ inMemory: 1, inStorage: 0 })).toBe(", and 1 more disk in memory");
    expect(moreDisksText({ inMemory: 0, inStorage: 2 })).toBe(", and 2 more disks in this browser's storage");
    expect(moreDisksText({ inMemory: 2, inStorage: 1 })).toBe(", and 3 more disks (2 in memory, 1 in this browser's storage)");
  });
});
