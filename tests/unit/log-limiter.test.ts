// A device's log lines are rate-limited across resets (log-limiter.ts), and what is held
// back is counted on the next line that gets through.
import { describe, expect, it } from "vitest";
import { LOG_BURST, LOG_LINES_PER_SECOND, LogLimiter } from "../../src/virtio/log-limiter.js";
import { VirtioDeviceModel } from "../../src/virtio/device-model.js";
import { EchoDevice } from "../support/echo-device.js";
import { MockDriver } from "../support/mock-driver.js";
import { testModelOptions } from "../support/test-interrupt.js";

describe("log limiter", () => {
  it("lets a burst through, then a steady rate, and says how many lines it dropped", () => {
    let now = 0;
    const lines: string[] = [];
    const limiter = new LogLimiter((m) => lines.push(m), () => now);
    for (let i = 0; i < LOG_BURST + 100; i++) limiter.log(`line ${i}`);
    expect(lines.length).toBe(LOG_BURST);
    expect(limiter.held).toBe(100);
    now += 1000 / LOG_LINES_PER_SECOND;
    limiter.log("later");
    expect(lines.at(-1)).toBe("later (100 earlier lines not logged: too many)");
    limiter.log("at once again");
    expect(lines.length).toBe(LOG_BURST + 1);
  });

  it("bounds a guest that fails and resets its device in a loop", () => {
    const lines: string[] = [];
    const driver = new MockDriver();
    const model = new VirtioDeviceModel(new EchoDevice([4]), driver.memory, testModelOptions({ log: (m) => lines.push(m) }));
    for (let i = 0; i < 10_000; i++) {
      model.notify(9); // a queue the device does not have: NEEDS_RESET, always logged
      model.status = 0;
    }
    // Real time passes during the loop, so a few more may get through; never thousands.
    expect(lines.length).toBeLessThan(LOG_BURST + 20);
    expect(model.lastError).toMatch(/queue 9, which does not exist/);
  });
});
