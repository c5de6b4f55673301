import { describe, expect, it } from "vitest";
import { formatMac, parseMac } from "../../src/util/mac-address.js";

describe("parseMac", () => {
  it("reads six two-digit hex groups joined by ':', in either case", () => {
    expect(Array.from(parseMac("52:54:00:12:34:56"))).toEqual([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
    expect(Array.from(parseMac("AA:bb:Cc:dD:0f:F0"))).toEqual([0xaa, 0xbb, 0xcc, 0xdd, 0x0f, 0xf0]);
  });

  it.each([
    ["dashes", "52-54-00-12-34-56"],
    ["single digits", "2:54:0:12:34:56"],
    ["five groups", "52:54:00:12:34"],
    ["seven groups", "52:54:00:12:34:56:78"],
    ["spaces", " 52:54:00:12:34:56"],
    ["a trailing colon", "52:54:00:12:34:56:"],
    ["not hex", "52:54:00:12:34:5g"],
    ["three-digit groups", "052:54:00:12:34:56"],
    ["nothing", ""],
  ])("refuses %s, naming the input", (_, text) => {
    expect(() => parseMac(text)).toThrow(RangeError);
    expect(() => parseMac(text)).toThrow(`not a MAC address: ${JSON.stringify(text)}`);
  });
});

describe("formatMac", () => {
  it("writes lower-case two-digit groups, from an offset", () => {
    expect(formatMac(Uint8Array.of(0x02, 0xab, 0, 1, 0x10, 0xff))).toBe("02:ab:00:01:10:ff");
    expect(formatMac(Uint8Array.of(9, 9, 0x52, 0x54, 0, 0x12, 0x34, 0x56), 2)).toBe("52:54:00:12:34:56");
  });

  it("round-trips with parseMac", () => {
    const text = "fe:dc:ba:98:76:54";
    expect(formatMac(parseMac(text.toUpperCase()))).toBe(text);
  });

  it("refuses fewer than six bytes instead of inventing zeros", () => {
    expect(() => formatMac(new Uint8Array(5))).toThrow("no MAC address at byte 0 of 5");
    expect(() => formatMac(new Uint8Array(8), 3)).toThrow(RangeError);
  });
});
