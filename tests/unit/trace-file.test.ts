import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TraceFile, TraceFileError } from "../../src/cli/trace-file.js";

describe("--trace FILE", () => {
  it("names a path it cannot create, before anything boots", () => {
    expect(() => TraceFile.open("/nonexistent-dir/x.json")).toThrow(TraceFileError);
    expect(() => TraceFile.open("/nonexistent-dir/x.json")).toThrow(/--trace: cannot create \/nonexistent-dir\/x\.json: .*ENOENT/);
  });

  it("writes an empty trace a viewer can open when the machine never started, once", () => {
    const dir = mkdtempSync(join(tmpdir(), "ringside-trace-"));
    try {
      const path = join(dir, "t.json");
      const file = TraceFile.open(path);
      expect(file.finish(undefined)).toBe(`--trace: the machine did not start; ${path} holds an empty trace`);
      expect(JSON.parse(readFileSync(path, "utf8"))).toMatchObject({ traceEvents: [], displayTimeUnit: "ms", otherData: { generator: "ringside" } });
      expect(file.finish(undefined)).toMatch(/already written/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
