import { describe, expect, it } from "vitest";
import { formatBytes, formatMiB } from "../../src/util/format-bytes.js";

describe("formatBytes", () => {
  it("picks the largest unit reached, whole bytes below 1 KiB", () => {
    expect([0, 512, 1023, 1023.6].map(formatBytes)).toEqual(["0 B", "512 B", "1023 B", "1024 B"]);
    expect([1024, 1536, 1024 * 1024 - 1].map(formatBytes)).toEqual(["1.0 KiB", "1.5 KiB", "1024.0 KiB"]);
    expect([256 * 1024 * 1024, 30.8 * 1024 * 1024].map(formatBytes)).toEqual(["256.0 MiB", "30.8 MiB"]);
    expect(formatBytes(4.21 * 1024 ** 3)).toBe("4.21 GiB");
  });

  it("keeps the sign of a negative difference", () => {
    expect(formatBytes(-3 * 1024 * 1024)).toBe("-3.0 MiB");
  });
});

describe("formatMiB", () => {
  it("writes any size in MiB, with the decimals asked for", () => {
    expect(formatMiB(512 * 1024)).toBe("0.5 MiB");
    expect(formatMiB(3 * 1024 ** 3)).toBe("3072.0 MiB");
    expect(formatMiB(1.2345 * 1024 * 1024, 2)).toBe("1.23 MiB");
  });
});
