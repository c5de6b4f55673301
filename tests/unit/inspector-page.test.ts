// The inspector panel's pure parts: formatting, rates from successive counter readings, the rate
// history behind the charts, and the redraw-rate meter.
import { describe, expect, it } from "vitest";
import { availFlags, bytesPerSecond, configRows, count, hexDump, rate, slotSummary, usedFlags } from "../../src/page/inspector-format.js";
import { RateHistory, ratesBetween, ZERO_RATES } from "../../src/page/inspector-rates.js";
import { UpdateRate } from "../../src/page/inspector-update-rate.js";
import type { QueueCounters } from "../../src/virtio/queue-types.js";

const counters = (over: Partial<QueueCounters> = {}): QueueCounters => ({
  kicks: 0, kicksSuppressed: 0, interrupts: 0, interruptsSuppressed: 0, interruptsMerged: 0, buffers: 0, bytesRead: 0, bytesWritten: 0, ...over,
});

describe("inspector formatting", () => {
  it("dumps bytes as offset, hex in two halves and printable ASCII", () => {
    const bytes = [...Buffer.from("GET / HTTP/1.1\r\nHost")];
    expect(hexDump(bytes).split("\n")).toEqual([
      "0000  47 45 54 20 2f 20 48 54  54 50 2f 31 2e 31 0d 0a  |GET / HTTP/1.1..|",
      "0010  48 6f 73 74                                       |Host|",
    ]);
    expect(hexDump([300, -1])).toMatch(/^0000 {2}\?\? \?\?/);
    expect(hexDump([])).toBe("");
  });

  it("reads config space written either way and says when it is empty", () => {
    expect(configRows("52 54 00 12")).toBe(hexDump([0x52, 0x54, 0, 0x12]));
    expect(configRows("52540012")).toBe(hexDump([0x52, 0x54, 0, 0x12]));
    expect(configRows("")).toBe("(empty)");
  });

  it("writes rates, byte rates, counts and ring flags for reading", () => {
    expect([rate(0), rate(2.5), rate(42.4), rate(1234), rate(56789), rate(2.5e6)]).toEqual(["0", "2.5", "42", "1.2k", "57k", "2.5M"]);
    expect([bytesPerSecond(512), bytesPerSecond(2048), bytesPerSecond(150 * 1024 * 1024)]).toEqual(["512 B/s", "2.0 KiB/s", "150.0 MiB/s"]);
    expect(count(12345678)).toBe("12,345,678");
    expect([availFlags(0), availFlags(1), usedFlags(1)]).toEqual(["0", "0x1 NO_INTERRUPT", "0x1 NO_NOTIFY"]);
    expect(slotSummary("faau")).toEqual({ free: 1, available: 2, held: 0, used: 1 });
    expect(slotSummary("hx")).toEqual({ free: 0, available: 0, held: 1, used: 0 });
  });
});

describe("inspector rates", () => {
  it("divides counter differences by the machine's time between two views", () => {
    const r = ratesBetween(counters({ kicks: 10, bytesRead: 1000 }), counters({ kicks: 20, kicksSuppressed: 5, bytesRead: 3000, bytesWritten: 1000 }), 500);
    expect(r).toEqual({ ...ZERO_RATES, kicks: 20, kicksSuppressed: 10, bytes: 6000 });
  });

  it("treats a counter that went back (a reset device) as zero, and no elapsed time as no rate", () => {
    expect(ratesBetween(counters({ interrupts: 50 }), counters({ interrupts: 3 }), 100).interrupts).toBe(0);
    expect(ratesBetween(counters(), counters({ kicks: 5 }), 0)).toEqual(ZERO_RATES);
  });

  it("keeps the last N samples as chart columns, averages recent ones and knows when all are zero", () => {
    const h = new RateHistory(3);
    expect(h.quiet).toBe(true);
    for (let i = 1; i <= 4; i++) h.push(i, { ...ZERO_RATES, kicks: i * 10 });
    const [times, kicks] = h.data();
    expect(times).toEqual([2, 3, 4]);
    expect(kicks).toEqual([20, 30, 40]);
    expect(h.recent(2).kicks).toBe(35);
    expect(h.quiet).toBe(false);
    for (let i = 5; i <= 7; i++) h.push(i, ZERO_RATES);
    expect(h.quiet).toBe(true);
  });

  it("measures redraws per second over the intervals it saw", () => {
    const u = new UpdateRate();
    for (let t = 0; t <= 1000; t += 100) u.tick(t);
    expect(u.perSecond()).toBeCloseTo(10, 5);
    expect(u.total).toBe(11);
    u.reset();
    expect(u.perSecond()).toBe(0);
  });
});

describe("the device's own words", () => {
  it("flattens the device's figures into rows", async () => {
    const { figureRows } = await import("../../src/page/inspector-fields.js");
    expect(figureRows({ mode: "polling", tx: { frames: 3, dropped: { runt: 0 } }, kicks: [1, 2, 3], capabilities: null }))
      .toBe("mode             polling\ntx.frames        3\ntx.dropped.runt  0\nkicks            1, 2, 3\ncapabilities     null");
    expect(figureRows({ a: 1, b: 2, c: 3 }, 2).split("\n")).toHaveLength(2);
  });
});
