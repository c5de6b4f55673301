// Three kinds of tests (npm test runs all three):
//   unit   pieces in isolation, fast
//   guest  boot the real kernel in Node and run commands in it
//   browser  the built page (dist/) in Debian's Chromium
// Guest and browser tests boot whole machines: they run one file at a time so two boots
// never share the 2 cores, and they get long timeouts (they assert outcomes, not speed).
// Unit files use both cores (vitest's default leaves one idle on a 2-core machine: the unit
// project took 144 s alone, 69 s on two); guest and browser files still run one at a time,
// after it, since fileParallelism: false puts them in vitest's sequential group.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    maxWorkers: 2,
    reporters: ["default", "./tests/support/summary-reporter.ts"],
    projects: [
      { test: { name: "unit", include: ["tests/unit/**/*.test.ts"], environment: "node" } },
      {
        test: {
          name: "guest",
          include: ["tests/guest/**/*.test.ts"],
          environment: "node",
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      {
        test: {
          name: "browser",
          include: ["tests/browser/**/*.test.ts"],
          environment: "node",
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
