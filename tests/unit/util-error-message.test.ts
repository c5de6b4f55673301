import { describe, expect, it } from "vitest";
import { errorMessage } from "../../src/util/error-message.js";

describe("errorMessage", () => {
  it("gives an Error's message without its name", () => {
    expect(errorMessage(new RangeError("out of range"))).toBe("out of range");
  });

  it("renders anything else that was thrown", () => {
    expect([errorMessage("plain text"), errorMessage(42), errorMessage(undefined), errorMessage({ toString: () => "custom" })]).toEqual([
      "plain text", "42", "undefined", "custom",
    ]);
  });
});
