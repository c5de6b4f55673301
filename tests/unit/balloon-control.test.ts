import { describe, expect, it } from "vitest";
import { balloonSummary, readTarget } from "../../src/page/balloon-control.js";

const MiB = 1024 * 1024;

describe("the Machine panel's balloon control", () => {
  it("reads a whole number of MiB below the memory, and says what is wrong otherwise", () => {
    expect(readTarget(" 64 ", 256)).toBe(64);
    expect(readTarget("0", 256)).toBe(0);
    expect(readTarget("256", 256)).toBe("at most 255 MiB (the machine has 256 MiB)");
    expect(readTarget("-1", 256)).toBe('give a whole number of MiB, not "-1"');
    expect(readTarget("1.5", 256)).toBe('give a whole number of MiB, not "1.5"');
  });

  it("says what the guest gave, what was asked while it is still giving, and the guest's own figures", () => {
    const view = { targetBytes: 64 * MiB, actualBytes: 16 * MiB, guestStats: {}, statsUpdates: 0, memoryMiB: 256 };
    expect(balloonSummary(view)).toBe("the guest has given back 16.0 MiB (asked: 64.0 MiB)");
    const done = { ...view, actualBytes: 64 * MiB, guestStats: { free_memory: 150 * MiB, total_memory: 240 * MiB } };
    expect(balloonSummary(done)).toBe("the guest has given back 64.0 MiB; it reports 150.0 MiB free of 240.0 MiB");
  });
});
