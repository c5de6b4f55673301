import { describe, expect, it } from "vitest";
import { DEFAULT_SCHEDULER, readPageOptions } from "../../src/page/page-options.js";

describe("page options", () => {
  it("defaults to the worker and the measured default scheduler", () => {
    expect(readPageOptions("")).toEqual({ thread: "worker", scheduler: DEFAULT_SCHEDULER, disk: "opfs" });
  });
  it("reads the diagnostic choices", () => {
    expect(readPageOptions("?thread=main&scheduler=v86-default")).toEqual({ thread: "main", scheduler: "v86-default", disk: "none" });
    expect(readPageOptions("?disk=none")).toEqual({ thread: "worker", scheduler: DEFAULT_SCHEDULER, disk: "none" });
  });
  it("rejects unknown values with a message that names them", () => {
    expect(() => readPageOptions("?thread=gpu")).toThrow(/\?thread must be "worker" or "main", not "gpu"/);
    expect(() => readPageOptions("?scheduler=<b>x</b>")).toThrow(/not "<b>x<\/b>"/);
    expect(() => readPageOptions("?disk=tape")).toThrow(/\?disk must be "opfs" or "none", not "tape"/);
    expect(() => readPageOptions("?thread=main&disk=opfs")).toThrow(/needs \?thread=worker/);
  });
});
