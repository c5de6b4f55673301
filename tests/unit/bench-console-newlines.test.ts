import { describe, expect, it } from "vitest";
import { asFileBytes, sentBytes } from "../../bench/console-newlines.js";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (chunks: Uint8Array[] | null) => (chunks ? chunks.map((c) => new TextDecoder().decode(c)).join("") : null);

describe("a cooked console's bytes as the file", () => {
  it("takes the CR off every CR LF, across chunk boundaries", () => {
    expect(text(asFileBytes([bytes("ab\r"), bytes("\ncd\r\n"), bytes("e")], "cooked"))).toBe("ab\ncd\ne");
  });

  it("refuses a newline without its CR, a CR alone, and a CR at the end", () => {
    expect(asFileBytes([bytes("ab\ncd\r\n")], "cooked")).toBeNull();
    expect(asFileBytes([bytes("ab\rcd\r\n")], "cooked")).toBeNull();
    expect(asFileBytes([bytes("ab\r\ncd\r")], "cooked")).toBeNull();
  });

  it("leaves raw and cooked-lf output as it came", () => {
    expect(text(asFileBytes([bytes("a\r\nb\n")], "raw"))).toBe("a\r\nb\n");
    expect(text(asFileBytes([bytes("a\nb")], "cooked-lf"))).toBe("a\nb");
  });

  it("counts one more byte per newline when cooked", () => {
    expect(sentBytes({ bytes: 100, lines: 4 }, 3, "cooked")).toBe(312);
    expect(sentBytes({ bytes: 100, lines: 4 }, 3, "cooked-lf")).toBe(300);
  });
});
