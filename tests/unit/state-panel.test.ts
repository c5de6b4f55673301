// The state panel's words: the file name a save gets, and the question asked before a
// restore, which must say when the page's persistent disk will be replaced.
import { describe, expect, it } from "vitest";
import { restoreQuestion, stateFileName } from "../../src/page/state-panel.js";

describe("the state panel's words", () => {
  it("names a saved state after the local date and time", () => {
    expect(stateFileName(new Date(2025, 0, 2, 3, 4, 5))).toBe("ringside-2025-01-02-030405.state");
    expect(stateFileName(new Date(2025, 11, 31, 23, 59, 58))).toBe("ringside-2025-12-31-235958.state");
  });

  it("asks before a restore, and warns about the disk only when the state has one", () => {
    const summary = { name: "x.state", savedAt: "2025-01-02T03:04:05.000Z", memoryMiB: 256, diskBytes: [], networkCards: 1 };
    const plain = restoreQuestion(summary, 7 * 1024 * 1024);
    expect(plain).toMatch(/^Restore the machine saved at .* from "x\.state" \(7\.0 MiB\)\?/);
    expect(plain).toContain("256 MiB of RAM, network card on the host network");
    expect(plain).not.toMatch(/disk/);
    const withDisk = restoreQuestion({ ...summary, diskBytes: [256 * 1024 * 1024], networkCards: 0 }, 9 * 1024 * 1024);
    expect(withDisk).toMatch(/It has a 256\.0 MiB disk: everything on this browser's persistent disk is replaced by the state's disk\./);
    expect(withDisk).not.toMatch(/network/);
    const two = restoreQuestion({ ...summary, diskBytes: [64 * 1024 * 1024, 2 * 1024 * 1024], networkCards: 2 }, 9 * 1024 * 1024);
    expect(two).toContain("2 network cards on host networks");
    expect(two).toContain("Its other disks (2.0 MiB) are kept in memory.");
  });
});
