// Property tests of the PCI side: a virtio-pci function on our bus, driven by a guest that
// makes random sequences of configuration cycles through ports 0xCF8-0xCFF (any devfn,
// register, width and value; BAR sizing with all ones; odd-width latch writes; the
// PCI-configuration-access capability's window), BAR accesses, common-configuration
// writes that break the protocol, doorbells for queues that do not exist and rings with
// bad chains, mixed with correct bring-ups. After every operation the invariants of
// tests/support/fuzz-pci-invariants.ts hold, no exception escapes, nothing outside guest
// RAM is touched (tests/support/fuzz-memory.ts), and every read fits its width. At the end
// a reset and a correct bring-up through the BAR must find the device clean again.
//
// 100,000 generated cases per run by default (issue 7), FUZZ_RUNS for more (npm run fuzz).
import { afterAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { PciBus } from "../../src/pci/pci-bus.js";
import { VirtioPciFunction } from "../../src/virtio-pci/virtio-pci-function.js";
import { EchoDevice } from "../support/echo-device.js";
import { FakePlatform } from "../support/fake-platform.js";
import { CaseBudget } from "../support/fuzz-cases.js";
import { GuardedDriver } from "../support/fuzz-memory.js";
import { bringUpOverPci, type BringUpPlan } from "../support/fuzz-pci-bringup.js";
import { PciFuzzDriver } from "../support/fuzz-pci-driver.js";
import { checkStatusWrite, PciInvariants } from "../support/fuzz-pci-invariants.js";
import { barBase, configOp, pciOp, pciPlan, runPciOp, type PciFuzzTarget, type PciOp } from "../support/fuzz-pci-ops.js";
import { testModelOptions } from "../support/test-interrupt.js";

const budget = new CaseBudget();
// Config-space cases cost about half as much as device cases (no bring-up through the BAR).
const CONFIG_SHARE = 0.6;
const DEVICE_SHARE = 0.4;
const CONFIG_RUNS = budget.runs(CONFIG_SHARE);
const DEVICE_RUNS = budget.runs(DEVICE_SHARE);
const RAM = 0x2000;
const MAX_SIZES = [4, 8];

interface Scenario {
  bar: "io" | "mem32" | "mem64";
  multiplier: number;
  /** Whether firmware has programmed the PIRQ routes yet. */
  routed: boolean;
  /** A bring-up (maybe stopped half-way) before the operations, so they hit a live device. */
  start: BringUpPlan | undefined;
  ops: PciOp[];
  /** How the device is brought back at the end: a driver reset only, or a machine reset first. */
  machineReset: boolean;
  baseChoice: number;
  final: BringUpPlan;
}

function scenario(ops: fc.Arbitrary<PciOp[]>, start: fc.Arbitrary<BringUpPlan | undefined>, final: fc.Arbitrary<BringUpPlan>): fc.Arbitrary<Scenario> {
  return fc.record({
    bar: fc.constantFrom("io" as const, "mem32" as const, "mem64" as const),
    multiplier: fc.constantFrom(0, 2, 4),
    routed: fc.boolean(),
    start, ops,
    machineReset: fc.boolean(),
    baseChoice: fc.integer({ min: 0, max: 2 }),
    final,
  });
}

/** Whether an operation makes v86's config latch differ from ours, so a PIRQ reroute could bypass our bus. */
function untracksRoutes(op: PciOp): boolean {
  // v86 latches byte writes to 0xCF8-0xCFB and ignores the enable bit; our bus (like real
  // hardware) does neither. Linux does neither either; the INTx check is off for such cases.
  return (op.kind === "latch" && op.write && !(op.port === 0xcf8 && op.size === 4)) || (op.kind === "config" && !op.enabled);
}

/** How far the generated cases got, to check the generators reach what they should. */
const seen = { needsReset: 0, liveOps: 0, refusals: 0, intxChecked: 0, decoding: 0 };

/** One generated case, start to finish; throws on any broken invariant. */
function runCase(sc: Scenario): void {
  const ram = new GuardedDriver(RAM);
  const platform = new FakePlatform();
  if (sc.routed) platform.setPirqRoutes();
  const bus = new PciBus(platform);
  const fn = new VirtioPciFunction(new EchoDevice(MAX_SIZES), ram.deviceMemory, testModelOptions(), { bar: sc.bar, notifyOffMultiplier: sc.multiplier });
  const model = fn.model;
  const slot = bus.addFunction(fn.pci);
  // Probed the way firmware and Linux do: size BAR 0, then walk the capability list.
  const barSize = new PciFuzzDriver(platform, slot << 3, sc.bar, 0).sizeBar();
  const driver = new PciFuzzDriver(platform, slot << 3, sc.bar, barSize);
  const caps = driver.findCaps();
  const invariants = new PciInvariants({
    platform, model, slot, barKind: sc.bar, barSize, pciCfgCap: caps.pciCfg,
    config: (offset) => fn.pci.config.read(offset, 1),
    pendingIsr: () => fn.pendingIsr,
  });
  const target: PciFuzzTarget = {
    driver, caps, ram, maxSizes: MAX_SIZES, queueSize: 8, machineReset: () => bus.reset(),
    barAddress: () => (fn.pci.config.read(0x10, 4) & (sc.bar === "io" ? ~0x3 : ~0xf)) >>> 0,
  };
  const checkMemory = () => {
    const problems = ram.guarded.problems();
    if (problems !== undefined) throw new Error(problems);
  };

  if (sc.start) runPciOp(target, { kind: "bringUp", plan: sc.start, baseChoice: sc.baseChoice });
  let routesTracked = true;
  let failed = false;
  let decoded = false;
  for (const op of sc.ops) {
    const before = model.status;
    if (before === 0x0f) seen.liveOps++;
    const decoding = fn.pci.bars[0]!.base !== undefined;
    runPciOp(target, op);
    if (op.kind === "common" && op.reg === "status" && decoding) checkStatusWrite(before, op.value, model.status);
    routesTracked &&= !untracksRoutes(op);
    invariants.check(routesTracked, op.kind === "bringUp");
    failed ||= (model.status & 0x40) !== 0;
    decoded ||= fn.pci.bars[0]!.base !== undefined;
    checkMemory();
  }
  if (sc.machineReset) bus.reset();
  bringUpOverPci(driver, caps, ram, MAX_SIZES, { ...sc.final, base: barBase(sc.bar === "io", sc.baseChoice) });
  invariants.check(routesTracked, true);
  checkMemory();
  if (failed) seen.needsReset++;
  if (decoded) seen.decoding++;
  if (routesTracked) seen.intxChecked++;
  seen.refusals += ram.deviceMemory.refusals;
}

describe("PCI configuration and virtio-pci property tests", () => {
  afterAll(() => console.log(budget.summary("PCI config fuzz")));

  it(`configuration cycles of any kind keep config space sane, and a reset finds the device clean (${CONFIG_RUNS} runs)`, () => {
    // The end of each case checks the reset state only (bring-up phase 1): this property is about config space.
    const arb = scenario(fc.array(configOp, { maxLength: 16 }), fc.constant(undefined), pciPlan().map((p) => ({ ...p, phases: 1 })));
    const before = { ...seen };
    fc.assert(fc.property(arb, (sc) => {
      budget.count("config space");
      runCase(sc);
    }), { numRuns: CONFIG_RUNS });
    if (process.env.FUZZ_STATS) console.log(seen);
    // Random config writes must sometimes get BAR 0 decoding (command enable and an address).
    expect(seen.decoding - before.decoding).toBeGreaterThan(CONFIG_RUNS / 100);
  }, budget.timeout(CONFIG_SHARE));

  it(`BAR, common config, doorbell and ring abuse never escapes, and a reset and bring-up work again (${DEVICE_RUNS} runs)`, () => {
    const start = fc.option(pciPlan(), { freq: 4, nil: undefined });
    const arb = scenario(fc.array(pciOp(RAM), { maxLength: 12 }), start, pciPlan().map((p) => ({ ...p, phases: 5 })));
    const before = { ...seen };
    fc.assert(fc.property(arb, (sc) => {
      budget.count("device");
      runCase(sc);
    }), { numRuns: DEVICE_RUNS });
    if (process.env.FUZZ_STATS) console.log(seen);
    // The generator must push devices out of protocol, fuzz live ones and reach refused
    // guest-memory accesses, or the property proves little.
    expect(seen.needsReset - before.needsReset).toBeGreaterThan(DEVICE_RUNS / 50);
    expect(seen.liveOps - before.liveOps).toBeGreaterThan(DEVICE_RUNS / 10);
    expect(seen.refusals - before.refusals).toBeGreaterThan(0);
    expect(seen.intxChecked - before.intxChecked).toBeGreaterThan(DEVICE_RUNS / 2);
  }, budget.timeout(DEVICE_SHARE));

  it(`ran at least ${budget.total} generated cases`, () => {
    expect(budget.sum).toBeGreaterThanOrEqual(budget.total);
  });
});

describe("PCI fuzzer findings", () => {
  it("an I/O BAR moved over ports 0xCF8-0xCFF does not take configuration space away", () => {
    const platform = new FakePlatform();
    const bus = new PciBus(platform);
    const devfn = bus.addFunction(new VirtioPciFunction(new EchoDevice(MAX_SIZES), new GuardedDriver(RAM).deviceMemory, testModelOptions(), { bar: "io" }).pci) << 3;
    platform.configWrite(devfn, 0x10, 4, 0xc000);
    platform.configWrite(devfn, 0x04, 2, 0x1);
    expect(platform.inPort(0xc014, 1)).toBe(0); // device status, through the BAR
    platform.configWrite(devfn, 0x11, 1, 0x0c); // BAR 0 to 0x0C00: its 256 ports cover 0xCF8-0xCFF
    expect(platform.configRead(devfn, 0x00, 2)).toBe(0x1af4);
    expect(platform.configRead(devfn, 0x10, 4)).toBe(0x0c01);
    expect(platform.configRead(0x00, 0x00, 4)).toBe(0x12378086); // v86's host bridge, still reachable
    platform.configWrite(devfn, 0x11, 1, 0xc0); // and the guest can move it back
    expect(platform.inPort(0xc014, 1)).toBe(0);
  });
});
