// Property tests of packed virtqueue processing (virtio 1.2, 2.8): whatever a driver puts
// in a packed ring, the model either processes it exactly as the spec says or ends in
// DEVICE_NEEDS_RESET; no exception ever leaves the model, no byte outside the ring's used
// descriptors and the writable buffers of valid chains changes, no access leaves guest RAM
// (guarded RAM, tests/support/fuzz-memory.ts), interrupts follow the driver's event
// suppression and kicks the device's. The oracle is a separately written walk of the
// packed rules plus an echo simulated on a copy of guest memory
// (tests/support/packed-ring-oracle.ts); walkPackedChain alone is held to the same walk.
//
// 100,000 generated cases per run by default, FUZZ_RUNS for more (npm run fuzz).
import { afterAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { VirtioDeviceModel, type InterruptKind } from "../../src/virtio/device-model.js";
import {
  STATUS_DEVICE_NEEDS_RESET, VIRTIO_F_RING_EVENT_IDX, VIRTIO_F_RING_INDIRECT_DESC, VIRTIO_F_RING_PACKED, VIRTIO_F_VERSION_1,
} from "../../src/virtio/features.js";
import { walkPackedChain } from "../../src/virtio/packed-descriptors.js";
import { QueueProtocolError } from "../../src/virtio/queue-types.js";
import { EchoDevice } from "../support/echo-device.js";
import { CaseBudget } from "../support/fuzz-cases.js";
import { GuardedDriver } from "../support/fuzz-memory.js";
import { DATA, RING_RAM } from "../support/fuzz-rings.js";
import { INDIRECT, packedRingScenario } from "../support/packed-fuzz-rings.js";
import { bringUpPacked } from "../support/packed-bring-up.js";
import { layOutRound, newPackedRefState, refRun, refWalk, wantsInterrupt } from "../support/packed-ring-oracle.js";
import { RecordingInterrupt, testModelOptions } from "../support/test-interrupt.js";

const budget = new CaseBudget();
// A model case costs several times a walk case (a device model per case).
const MODEL_SHARE = 0.4;
const WALK_SHARE = 0.6;
const MODEL_RUNS = budget.runs(MODEL_SHARE);
const WALK_RUNS = budget.runs(WALK_SHARE);
let refusals = 0;

/** First byte where `actual` differs from `expected`, outside the device event structure (checked apart). */
function firstDifference(actual: Uint8Array, expected: Uint8Array, deviceEventAddr: number): number | undefined {
  const e = expected.slice();
  e.set(actual.subarray(deviceEventAddr, deviceEventAddr + 4), deviceEventAddr);
  if (Buffer.from(actual.buffer, actual.byteOffset, actual.length).equals(e)) return undefined;
  for (let i = 0; i < actual.length; i++) if (actual[i] !== e[i]) return i;
  return undefined;
}

describe("packed virtqueue property tests", () => {
  afterAll(() => console.log(budget.summary("packed virtqueue fuzz")));

  it(`random packed rings are processed exactly or end in NEEDS_RESET, never touching other memory (${MODEL_RUNS} runs)`, () => {
    const seen = { clean: 0, failed: 0, chains: 0, indirect: 0, wrapped: 0 };
    fc.assert(fc.property(packedRingScenario, (sc) => {
      budget.count("model");
      const driver = new GuardedDriver(RING_RAM);
      for (let a = DATA; a < RING_RAM; a += sc.data.length) driver.write(a, sc.data.subarray(0, Math.min(sc.data.length, RING_RAM - a)));
      const interrupts: InterruptKind[] = [];
      const logs: string[] = [];
      const model = new VirtioDeviceModel(new EchoDevice([sc.size]), driver.deviceMemory, testModelOptions({
        packed: true, interrupt: new RecordingInterrupt(interrupts), log: (m) => logs.push(m),
      }));
      const features = VIRTIO_F_VERSION_1 | VIRTIO_F_RING_PACKED | (sc.eventIdx ? VIRTIO_F_RING_EVENT_IDX : 0n) | (sc.indirect ? VIRTIO_F_RING_INDIRECT_DESC : 0n);
      const [q] = bringUpPacked(model, driver, { features });
      const ref = newPackedRefState();

      for (const r of sc.rounds) {
        layOutRound(q!, r, ref);
        ref.mem = driver.bytes.slice();
        const [fromSlot, fromWrap] = [ref.nextUsed, ref.usedWrap];
        interrupts.length = 0;
        refRun(ref, q!, sc.indirect);
        model.notify(0);

        // Plain comparisons first and expect() only on a mismatch: this runs tens of thousands of times.
        const problems = driver.guarded.problems();
        if (problems !== undefined) expect.fail(problems);
        const failed = (model.status & STATUS_DEVICE_NEEDS_RESET) !== 0;
        if (failed !== ref.failed) expect(failed, logs.join("\n")).toBe(ref.failed);
        if (failed && /internal error/.test(model.lastError ?? "")) expect.fail(model.lastError);
        const diff = firstDifference(driver.bytes, ref.mem, q!.deviceEventAddr);
        if (diff !== undefined) expect.fail(`memory differs at 0x${diff.toString(16)}; ${logs.join("\n")}`);
        let wanted: InterruptKind[];
        if (!failed) {
          // The echo device ends every drain by asking for kicks again: DESC at next-avail with EVENT_IDX, else ENABLE.
          const want = sc.eventIdx ? [2, ref.nextAvail | (ref.availWrap ? 0x8000 : 0)] : [0, q!.deviceOffWrap];
          const got = [q!.deviceEventFlags, q!.deviceOffWrap];
          if (got.join() !== want.join()) expect(got).toEqual(want);
          wanted = wantsInterrupt(ref, q!, sc.eventIdx, fromSlot, fromWrap) ? ["queue"] : [];
          if (!ref.usedWrap) seen.wrapped++;
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
    }), { numRuns: MODEL_RUNS });
    if (process.env.FUZZ_STATS) console.log(seen);
    // The generator must reach both outcomes, indirect tables and the second lap, or the property proves little.
    expect(seen.clean).toBeGreaterThan(MODEL_RUNS / 20);
    expect(seen.failed).toBeGreaterThan(MODEL_RUNS / 20);
    expect(seen.indirect).toBeGreaterThan(0);
    expect(seen.wrapped).toBeGreaterThan(MODEL_RUNS / 20);
  }, budget.timeout(MODEL_SHARE));

  it(`walkPackedChain accepts exactly the chains the reference walk accepts, with the same buffers, ID and slots (${WALK_RUNS} runs)`, () => {
    const noise = fc.record({
      size: fc.constantFrom(1, 2, 3, 5, 8, 13),
      slot: fc.nat(),
      wrap: fc.boolean(),
      indirect: fc.boolean(),
      bytes: fc.uint8Array({ minLength: 16 * 13, maxLength: 16 * 13 }),
      // Mostly plausible flags: the chain and availability bits, sometimes anything.
      flags: fc.array(fc.oneof(fc.constantFrom(0x80, 0x81, 0x82, 0x83, 0x84, 0x8000, 0x8001, 0x8002, 0x8004, 0x80 | 0x8000), fc.integer({ min: 0, max: 0xffff })), { minLength: 13, maxLength: 13 }),
    });
    let valid = 0;
    fc.assert(fc.property(noise, (c) => {
      budget.count("walk");
      const driver = new GuardedDriver(RING_RAM);
      const ring = 0x1000;
      driver.write(ring, c.bytes.subarray(0, 16 * c.size));
      for (let i = 0; i < c.size; i++) {
        const at = ring + 16 * i;
        driver.memory.write16(at + 14, c.flags[i]!);
        // Most buffers in the data area with small lengths (or, when indirect, a table of
        // 1-3 entries at the start of it), so that many chains are valid.
        if (c.bytes[16 * i]! % 4 !== 0) {
          const table = (c.flags[i]! & INDIRECT) !== 0;
          driver.memory.write32(at, table ? DATA : DATA + (driver.memory.read32(at) % (RING_RAM - DATA - 64)));
          driver.memory.write32(at + 4, 0);
          driver.memory.write32(at + 8, table ? 16 * (1 + (c.bytes[16 * i + 1]! % 3)) : c.bytes[16 * i + 8]! % 64);
          driver.memory.write16(at + 12, c.bytes[16 * i + 12]! % (c.size + 1));
        }
      }
      const before = driver.bytes.slice();
      const slot = c.slot % c.size;
      // Mostly the wrap counter the head's AVAIL bit names (a head the device would take), sometimes either.
      const wrap = c.bytes[1]! % 4 === 0 ? c.wrap : (c.flags[slot]! & 0x80) !== 0;
      const ref = refWalk(new DataView(before.buffer), c.size, ring, slot, wrap, c.indirect);
      let got: ReturnType<typeof walkPackedChain> | undefined;
      try {
        got = walkPackedChain(driver.deviceMemory, { addr: ring, size: c.size, indirect: c.indirect }, slot, wrap);
      } catch (e) {
        if (!(e instanceof QueueProtocolError)) throw e;
      }
      if ((got === undefined) !== (ref === undefined)) expect(got, JSON.stringify(c)).toEqual(ref);
      if (ref) valid++;
      if (got && ref) {
        const same = got.id === ref.id && got.slots === ref.slots
          && JSON.stringify(got.readable.map((s) => [s.addr, s.len])) === JSON.stringify(ref.readable)
          && JSON.stringify(got.writable.map((s) => [s.addr, s.len])) === JSON.stringify(ref.writable);
        if (!same) expect({ ...got }).toEqual(ref);
      }
      if (!Buffer.from(driver.bytes).equals(Buffer.from(before))) expect.fail("walkPackedChain changed guest memory");
      const problems = driver.guarded.problems();
      if (problems !== undefined) expect.fail(problems);
      refusals += driver.deviceMemory.refusals;
    }), { numRuns: WALK_RUNS });
    if (process.env.FUZZ_STATS) console.log({ validWalks: valid });
    expect(valid).toBeGreaterThan(WALK_RUNS / 20);
  }, budget.timeout(WALK_SHARE));

  it(`ran at least ${budget.total} generated cases, and reached refused guest-memory accesses`, () => {
    expect(budget.sum).toBeGreaterThanOrEqual(budget.total);
    expect(refusals).toBeGreaterThan(0);
  });
});
