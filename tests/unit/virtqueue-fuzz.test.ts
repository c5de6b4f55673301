// Property tests of virtqueue processing: whatever a driver puts in a ring, the model
// either processes it exactly as the spec says or ends in DEVICE_NEEDS_RESET; no exception
// ever leaves the model, no byte outside the device's own used ring and the writable
// buffers of valid chains changes, and no access leaves guest RAM (RAM sits inside a
// larger buffer with guard bytes around it, and every GuestMemory call is checked; see
// tests/support/fuzz-memory.ts). The oracle is a separately written walk of the spec rules
// plus an echo simulated on a copy of guest memory (tests/support/fuzz-ring-oracle.ts).
//
// 100,000 generated cases per run by default (issue 7), FUZZ_RUNS for more (npm run fuzz).
import { afterAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { VirtioDeviceModel, type InterruptKind } from "../../src/virtio/device-model.js";
import { STATUS_DEVICE_NEEDS_RESET, VIRTIO_F_RING_EVENT_IDX, VIRTIO_F_RING_INDIRECT_DESC, VIRTIO_F_VERSION_1 } from "../../src/virtio/features.js";
import { EchoDevice } from "../support/echo-device.js";
import { CaseBudget } from "../support/fuzz-cases.js";
import { GuardedDriver } from "../support/fuzz-memory.js";
import { driverWrites, firstDifference, newRefState, refRun } from "../support/fuzz-ring-oracle.js";
import { DATA, RING_RAM, ringScenario } from "../support/fuzz-rings.js";
import { bringUp } from "../support/mock-driver.js";
import { RecordingInterrupt, testModelOptions } from "../support/test-interrupt.js";

const budget = new CaseBudget();
// A ring case costs several times a register case (generation of whole rings dominates).
const RING_SHARE = 0.5;
const REGISTER_SHARE = 0.5;
const RING_RUNS = budget.runs(RING_SHARE);
const REGISTER_RUNS = budget.runs(REGISTER_SHARE);
/** Calls the guarded memory refused, over the whole suite: the fuzzer must reach that path. */
let refusals = 0;

describe("virtqueue property tests", () => {
  afterAll(() => console.log(budget.summary("virtqueue fuzz")));

  it(`random rings are processed exactly or end in NEEDS_RESET, never touching other memory (${RING_RUNS} runs)`, () => {
    const seen = { clean: 0, failed: 0, chains: 0, indirect: 0 };
    fc.assert(fc.property(ringScenario, (sc) => {
      budget.count("rings");
      const driver = new GuardedDriver(RING_RAM);
      for (let a = DATA; a < RING_RAM; a += sc.data.length) driver.write(a, sc.data.subarray(0, Math.min(sc.data.length, RING_RAM - a)));
      const device = new EchoDevice([sc.size]);
      const interrupts: InterruptKind[] = [];
      const logs: string[] = [];
      const model = new VirtioDeviceModel(device, driver.deviceMemory, testModelOptions({ interrupt: new RecordingInterrupt(interrupts), log: (m) => logs.push(m) }));
      const features = VIRTIO_F_VERSION_1 | (sc.eventIdx ? VIRTIO_F_RING_EVENT_IDX : 0n) | (sc.indirect ? VIRTIO_F_RING_INDIRECT_DESC : 0n);
      const [q] = bringUp(model, driver, { features });
      const ref = newRefState();

      for (const r of sc.rounds) {
        driverWrites(q!, r, ref.nextAvail);
        ref.mem = driver.bytes.slice();
        const usedBefore = ref.usedIdx;
        interrupts.length = 0;
        refRun(ref, q!, sc.indirect);
        model.notify(0);

        // Plain comparisons first and expect() only on a mismatch: this runs ~100,000 times.
        const problems = driver.guarded.problems();
        if (problems !== undefined) expect.fail(problems);
        const failed = (model.status & STATUS_DEVICE_NEEDS_RESET) !== 0;
        if (failed !== ref.failed) expect(failed, logs.join("\n")).toBe(ref.failed);
        if (failed && /internal error/.test(model.lastError ?? "")) expect.fail(model.lastError);
        const diff = firstDifference(driver.bytes, ref.mem, q!);
        if (diff !== undefined) expect.fail(`memory differs at 0x${diff.toString(16)}; ${logs.join("\n")}`);
        let wanted: InterruptKind[];
        if (!failed) {
          // The echo device ends every drain by re-enabling notifications.
          if (q!.usedFlags !== 0) expect(q!.usedFlags).toBe(0);
          if (sc.eventIdx && q!.availEvent !== ref.nextAvail) expect(q!.availEvent).toBe(ref.nextAvail);
          // One drain pass, one interrupt decision over the round's used entries.
          const added = (ref.usedIdx - usedBefore) & 0xffff;
          const signal = added > 0 && (sc.eventIdx
            ? ((ref.usedIdx - r.usedEvent - 1) & 0xffff) < added
            : (r.availFlags & 1) === 0);
          wanted = signal ? ["queue"] : [];
        } else {
          // The echo device fails inside its first drain, before signalling anything.
          wanted = ["config"];
        }
        if (interrupts.join() !== wanted.join()) expect(interrupts).toEqual(wanted);
        if (ref.failed) break;
      }
      refusals += driver.deviceMemory.refusals;
      seen.chains += ref.processed;
      seen.indirect += ref.indirectProcessed;
      if (ref.failed) seen.failed++;
      else if (ref.processed > 0) seen.clean++;
    }), { numRuns: RING_RUNS });
    if (process.env.FUZZ_STATS) console.log(seen);
    // The generator must reach both outcomes, or the property proves little.
    expect(seen.clean).toBeGreaterThan(RING_RUNS / 20);
    expect(seen.failed).toBeGreaterThan(RING_RUNS / 20);
    expect(seen.indirect).toBeGreaterThan(0);
  }, budget.timeout(RING_SHARE));

  it(`random register writes never throw out of the model nor leave guest RAM (${REGISTER_RUNS} runs)`, () => {
    type Op =
      | { op: "status" | "deviceFeatureSelect" | "driverFeatureSelect" | "driverFeature" | "queueSelect" | "queueSize" | "queueEnable"
          | "queueDescLo" | "queueDescHi" | "queueDriverLo" | "queueDriverHi" | "queueDeviceLo" | "queueDeviceHi"; value: number }
      | { op: "notify"; value: number }
      | { op: "readConfig" | "writeConfig"; value: number; offset: number; size: 1 | 2 | 4 }
      | { op: "read" };
    const RAM = 0x1000;
    // Ring addresses near RAM's end are the interesting ones: a ring that just fits, or just does not.
    const small = fc.oneof(fc.integer({ min: 0, max: 16 }), fc.integer({ min: RAM - 0x100, max: RAM + 16 }), fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 }));
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ op: fc.constant("status" as const), value: fc.oneof(fc.constantFrom(0, 1, 3, 11, 15, 0x80, 0x40), fc.integer({ min: 0, max: 255 })) }),
      fc.record({
        op: fc.constantFrom("deviceFeatureSelect", "driverFeatureSelect", "driverFeature", "queueSelect", "queueSize", "queueEnable",
          "queueDescLo", "queueDescHi", "queueDriverLo", "queueDriverHi", "queueDeviceLo", "queueDeviceHi") as fc.Arbitrary<"queueSize">,
        value: small,
      }),
      fc.record({ op: fc.constant("notify" as const), value: small }),
      fc.record({ op: fc.constantFrom("readConfig" as const, "writeConfig" as const), value: small, offset: small, size: fc.constantFrom(1 as const, 2 as const, 4 as const) }),
      fc.record({ op: fc.constant("read" as const) }),
    );
    fc.assert(fc.property(fc.array(opArb, { maxLength: 60 }), fc.integer(), (ops, seed) => {
      budget.count("registers");
      const driver = new GuardedDriver(RAM);
      let x = seed | 1;
      for (let i = 0; i < driver.bytes.length; i++) {
        x ^= x << 13; x ^= x >>> 17; x ^= x << 5; // xorshift: garbage rings for the queues to find
        driver.bytes[i] = x & 0xff;
      }
      const model = new VirtioDeviceModel(new EchoDevice([4, 8]), driver.deviceMemory, testModelOptions());
      for (const o of ops) {
        switch (o.op) {
          case "notify": model.notify(o.value); break;
          case "readConfig": expect(model.readConfig(o.offset, o.size)).toBeGreaterThanOrEqual(0); break;
          case "writeConfig": model.writeConfig(o.offset, o.size, o.value); break;
          case "read": JSON.stringify(model.view()); break;
          default: writeRegister(model, o.op, o.value);
        }
        if (model.status & 4 && !(model.status & STATUS_DEVICE_NEEDS_RESET)) {
          // Running: what was agreed is a subset of what was offered, with VERSION_1.
          const agreed = model.features.negotiated!;
          expect(agreed & ~model.features.offered).toBe(0n);
          expect(agreed & VIRTIO_F_VERSION_1).toBe(VIRTIO_F_VERSION_1);
        }
      }
      expect(driver.guarded.problems()).toBeUndefined();
      expect(model.lastError ?? "").not.toMatch(/internal error/);
      refusals += driver.deviceMemory.refusals;
    }), { numRuns: REGISTER_RUNS });
  }, budget.timeout(REGISTER_SHARE));

  it(`ran at least ${budget.total} generated cases, and reached refused guest-memory accesses`, () => {
    expect(budget.sum).toBeGreaterThanOrEqual(budget.total);
    expect(refusals).toBeGreaterThan(0);
  });
});

/** A register write as a transport would make it, by the register's old name. */
function writeRegister(model: VirtioDeviceModel, register: string, value: number): void {
  const { features, queues } = model;
  switch (register) {
    case "status": model.status = value; break;
    case "deviceFeatureSelect": features.deviceSelect = value; break;
    case "driverFeatureSelect": features.driverSelect = value; break;
    case "driverFeature": model.writeDriverFeatures(value); break;
    case "queueSelect": queues.select = value; break;
    case "queueSize": queues.size = value; break;
    case "queueEnable": queues.enable = value; break;
    case "queueDescLo": queues.descLo = value; break;
    case "queueDescHi": queues.descHi = value; break;
    case "queueDriverLo": queues.driverLo = value; break;
    case "queueDriverHi": queues.driverHi = value; break;
    case "queueDeviceLo": queues.deviceLo = value; break;
    case "queueDeviceHi": queues.deviceHi = value; break;
    default: throw new Error(`no register ${register}`);
  }
}
