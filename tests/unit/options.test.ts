import { describe, expect, it } from "vitest";
import { DEFAULT_OPTIONS, OptionError, validateOptions } from "../../src/machine/options.js";

describe("machine options", () => {
  it("accepts the defaults", () => {
    expect(validateOptions(DEFAULT_OPTIONS)).toEqual(DEFAULT_OPTIONS);
  });

  it("refuses memory the initrd cannot fit in, or out of range", () => {
    for (const memoryMiB of [64, 127, 4096, 200.5, Number.NaN]) {
      expect(() => validateOptions({ ...DEFAULT_OPTIONS, memoryMiB })).toThrow(OptionError);
    }
    expect(() => validateOptions({ ...DEFAULT_OPTIONS, memoryMiB: 64 })).toThrow(/initrd at 64 MiB/);
  });

  it("refuses a command line the boot protocol cannot carry", () => {
    expect(() => validateOptions({ ...DEFAULT_OPTIONS, cmdline: "x".repeat(2048) })).toThrow(/2047 bytes/);
    expect(() => validateOptions({ ...DEFAULT_OPTIONS, cmdline: "a\nb" })).toThrow(/one line/);
    expect(validateOptions({ ...DEFAULT_OPTIONS, cmdline: "x".repeat(2047) }).cmdline).toHaveLength(2047);
  });
});
