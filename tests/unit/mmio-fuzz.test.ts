// Property tests of the virtio-mmio transport: a window in a 128 KiB block, driven by a
// guest that makes random register and config accesses of every width at every offset
// (and beyond the window in the same block), writes chains of random descriptors into
// whatever rings the registers point at, rings doorbells for any queue, acknowledges
// interrupts with any mask, resets, and brings the device up correctly now and then
// (tests/support/fuzz-mmio-ops.ts). After every operation: nothing threw; MagicValue,
// Version and DeviceID are unchanged; status has no reserved bits, DRIVER_OK only with
// FEATURES_OK, agreed features a subset of those offered with VERSION_1; InterruptStatus
// holds only its two bits and the line is high exactly while it is not 0; a reset leaves
// no bit and no ready queue; a ready queue's layout is one the device accepts; every read
// fits its width; and guest memory: nothing outside RAM touched or left unrefused
// (tests/support/fuzz-memory.ts), and a zone of RAM nothing points at unchanged. At the
// end a reset and a correct bring-up echo a chain again.
//
// 100,000 generated cases per run by default, FUZZ_RUNS for more (npm run fuzz).
import { afterAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { VirtioMmioTransport } from "../../src/virtio-mmio/virtio-mmio-transport.js";
import { MmioWindows } from "../../src/virtio-mmio/mmio-windows.js";
import { REG } from "../../src/virtio-mmio/layout.js";
import { DRIVER_STATUS_BITS, STATUS_DEVICE_NEEDS_RESET, STATUS_DRIVER_OK, STATUS_FEATURES_OK, VIRTIO_F_VERSION_1 } from "../../src/virtio/features.js";
import { EchoDevice } from "../support/echo-device.js";
import { FakePlatform } from "../support/fake-platform.js";
import { CaseBudget } from "../support/fuzz-cases.js";
import { GuardedDriver } from "../support/fuzz-memory.js";
import { MmioDriver } from "../support/mmio-driver.js";
import {
  bringUpAtFixedRings, bringUpOp, mmioOp, RAM_SIZE, RING_STRIDE, RING_ZONE, runMmioOp, SENTINEL_FILL, SENTINEL_ZONE, type MmioFuzzTarget, type MmioOp,
} from "../support/fuzz-mmio-ops.js";
import { testModelOptions } from "../support/test-interrupt.js";

const budget = new CaseBudget();
const RUNS = budget.runs(1);
const BASE = 0xd0000000;
const IRQ = 5;
const MAX_SIZES = [4, 8];
const INTACT_SENTINEL = Buffer.alloc(SENTINEL_ZONE.end - SENTINEL_ZONE.start, SENTINEL_FILL);

interface Scenario {
  start: Extract<MmioOp, { kind: "bringUp" }> | undefined;
  ops: MmioOp[];
}

/** How far the generated cases got, to check the generators reach what they should. */
const seen = { needsReset: 0, liveOps: 0, interrupts: 0, echoed: 0, refusals: 0, sentinelPointedAt: 0 };

function setup() {
  const platform = new FakePlatform();
  const ram = new GuardedDriver(RAM_SIZE);
  ram.bytes.fill(SENTINEL_FILL, SENTINEL_ZONE.start, SENTINEL_ZONE.end);
  const device = new EchoDevice(MAX_SIZES);
  const transport = new VirtioMmioTransport(device, ram.deviceMemory, testModelOptions(), (level) => platform.setIrqLine(IRQ, level));
  new MmioWindows(platform).add(BASE, transport);
  const target: MmioFuzzTarget = { platform, driver: new MmioDriver(platform, BASE), ram, model: transport.model, direct: transport };
  return { platform, ram, device, transport, target };
}

type Setup = ReturnType<typeof setup>;

/** Throws with what broke, after operation `op` (see the top of the file). */
function checkInvariants(s: Setup, op: MmioOp, read: { value: number; size: number } | undefined, sentinelBefore: boolean): void {
  const { transport, model, platform } = { ...s, model: s.transport.model };
  const fail = (what: string) => {
    throw new Error(`after ${JSON.stringify(op)}: ${what}`);
  };
  if (transport.read(REG.MagicValue, 4) !== 0x74726976) fail("MagicValue changed");
  if (transport.read(REG.Version, 4) !== 2) fail("Version changed");
  if (transport.read(REG.DeviceID, 4) !== 0) fail("DeviceID changed");
  if (read && (read.value < 0 || read.value >= 2 ** (8 * read.size) || !Number.isInteger(read.value))) fail(`a ${read.size}-byte read returned ${read.value}`);

  const status = transport.read(REG.Status, 4);
  if (status !== model.status) fail("Status register and model disagree");
  if (status & ~(DRIVER_STATUS_BITS | STATUS_DEVICE_NEEDS_RESET)) fail(`reserved status bits in 0x${status.toString(16)}`);
  if (status & STATUS_DRIVER_OK && !(status & STATUS_FEATURES_OK)) fail("DRIVER_OK without FEATURES_OK");
  const agreed = model.features.negotiated;
  if (status & STATUS_FEATURES_OK) {
    if (agreed === undefined) fail("FEATURES_OK with nothing agreed");
    else if (agreed & ~model.features.offered || !(agreed & VIRTIO_F_VERSION_1)) fail(`agreed features 0x${agreed.toString(16)} not a subset of those offered with VERSION_1`);
  }

  const interrupt = transport.read(REG.InterruptStatus, 4);
  if (interrupt & ~3) fail(`InterruptStatus 0x${interrupt.toString(16)}`);
  if ((platform.irqLevels.get(IRQ) ?? false) !== (interrupt !== 0)) fail(`line ${platform.irqLevels.get(IRQ) ? "high" : "low"} with InterruptStatus ${interrupt}`);
  const wasReset = op.kind === "reset" || (op.kind === "access" && op.write && op.offset === REG.Status && op.size === 4 && op.value === 0);
  if (wasReset && (interrupt !== 0 || status !== 0 || model.queues.configs.some((q) => q.enabled))) fail("a reset left status, an interrupt or a ready queue");

  for (const q of model.queues.configs) {
    if (q.enabled && model.layoutProblem(q) !== undefined) fail(`queue ${q.index} is ready with a bad layout: ${model.layoutProblem(q)}`);
  }
  const numMax = transport.read(REG.QueueNumMax, 4);
  if (numMax !== (MAX_SIZES[model.queues.select] ?? 0)) fail(`QueueNumMax ${numMax} for queue ${model.queues.select}`);

  const problems = s.ram.guarded.problems();
  if (problems !== undefined) fail(problems);
  const sentinel = Buffer.from(s.ram.bytes.buffer, s.ram.bytes.byteOffset + SENTINEL_ZONE.start, SENTINEL_ZONE.end - SENTINEL_ZONE.start);
  if (!sentinel.equals(INTACT_SENTINEL)) {
    // Written: only if a ring or a descriptor of a ready queue pointed there, before or after.
    if (!sentinelBefore && !sentinelReachable(s)) fail(`RAM nothing pointed at changed (offset 0x${(SENTINEL_ZONE.start + sentinel.findIndex((b) => b !== SENTINEL_FILL)).toString(16)})`);
    s.ram.bytes.fill(SENTINEL_FILL, SENTINEL_ZONE.start, SENTINEL_ZONE.end);
    seen.sentinelPointedAt++;
  }
}

/** Whether any ready queue's rings, or any descriptor in its table (or an indirect table), reach into the sentinel zone. */
function sentinelReachable(s: Setup): boolean {
  const hits = (addr: number, len: number) => addr < SENTINEL_ZONE.end && addr + len > SENTINEL_ZONE.start;
  const mem = s.ram.memory;
  const descs = (table: number, count: number): boolean => {
    for (let i = 0; i < count; i++) {
      const at = table + 16 * i;
      if (at + 16 > RAM_SIZE) return false;
      const addr = mem.read32(at) + mem.read32(at + 4) * 2 ** 32;
      const len = mem.read32(at + 8);
      if (hits(addr, Math.max(len, 1))) return true;
      if (mem.read16(at + 12) & 4 && addr + len <= RAM_SIZE && table !== addr && descs(addr, Math.min(len / 16, 64))) return true;
    }
    return false;
  };
  return s.transport.model.queues.configs.some((q) => {
    if (!q.enabled) return false;
    const { descAddr, availAddr, usedAddr, size } = q.layout;
    return hits(descAddr, 16 * size) || hits(availAddr, 6 + 2 * size) || hits(usedAddr, 6 + 8 * size) || descs(descAddr, size);
  });
}

function runCase(sc: Scenario): void {
  const s = setup();
  const { target, transport } = s;
  if (sc.start) runMmioOp(target, sc.start);
  let failed = false;
  for (const op of sc.ops) {
    if (transport.model.active) seen.liveOps++;
    // Only a doorbell makes the device walk its rings: what they pointed at before it counts too.
    const doorbell = op.kind === "notify" || (op.kind === "access" && op.write && op.offset === REG.QueueNotify);
    const sentinelBefore = doorbell && transport.model.active && sentinelReachable(s);
    const read = runMmioOp(target, op);
    checkInvariants(s, op, read, sentinelBefore);
    failed ||= (transport.model.status & STATUS_DEVICE_NEEDS_RESET) !== 0;
    if (s.platform.irqLevels.get(IRQ)) seen.interrupts++;
  }
  if (failed) seen.needsReset++;
  seen.refusals += s.ram.deviceMemory.refusals;
  // A reset and a correct bring-up find the device clean: one chain echoes with an interrupt.
  bringUpAtFixedRings(target, 4, (1n << 32n) | (1n << 28n));
  if (transport.model.status !== 0xf) throw new Error(`bring-up after the case ended in status 0x${transport.model.status.toString(16)}`);
  const at = RING_ZONE.start + RING_STRIDE; // queue 0's rings
  const mem = s.ram.memory;
  const out = 0x2000;
  const back = 0x2100;
  s.ram.bytes.set([0x41, 0x42, 0x43], out);
  mem.write32(at, out); mem.write32(at + 4, 0); mem.write32(at + 8, 3); mem.write16(at + 12, 1); mem.write16(at + 14, 1);
  mem.write32(at + 16, back); mem.write32(at + 20, 0); mem.write32(at + 24, 8); mem.write16(at + 28, 2); mem.write16(at + 30, 0);
  mem.write16(at + 16 * 4 + 4, 0);
  mem.write16(at + 16 * 4 + 2, 1);
  target.driver.notify(0);
  const usedIdx = mem.read16(at + 0x200 + 2);
  if (usedIdx !== 1 || mem.read32(at + 0x200 + 8) !== 3 || s.ram.bytes[back + 2] !== 0x43) throw new Error(`echo after the case: used idx ${usedIdx}`);
  if (target.driver.takeInterrupt() !== 1 || s.platform.irqLevels.get(IRQ)) throw new Error("echo after the case: no interrupt, or the line stayed high");
  seen.echoed++;
}

describe("virtio-mmio property tests", () => {
  afterAll(() => console.log(budget.summary("virtio-mmio fuzz")));

  it(`register, config, ring, doorbell and interrupt abuse never escapes, and a reset and bring-up work again (${RUNS} runs)`, () => {
    const arb = fc.record({ start: fc.option(bringUpOp(), { freq: 3, nil: undefined }), ops: fc.array(mmioOp, { maxLength: 12 }) });
    fc.assert(fc.property(arb, (sc) => {
      budget.count("mmio");
      runCase(sc);
    }), { numRuns: RUNS });
    if (process.env.FUZZ_STATS) console.log(seen);
    // The generator must push devices out of protocol, fuzz live ones, raise interrupts and
    // reach refused guest-memory accesses, or the property proves little.
    expect(seen.needsReset).toBeGreaterThan(RUNS / 50);
    expect(seen.liveOps).toBeGreaterThan(RUNS / 5);
    expect(seen.interrupts).toBeGreaterThan(RUNS / 50);
    expect(seen.refusals).toBeGreaterThan(0);
    expect(seen.echoed).toBe(budget.sum);
  }, budget.timeout(1));

  it(`ran at least ${budget.total} generated cases`, () => {
    expect(budget.sum).toBeGreaterThanOrEqual(budget.total);
  });
});
