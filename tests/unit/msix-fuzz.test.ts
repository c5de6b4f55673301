// Property tests of MSI-X on virtio-pci: a guest writes anything of any width to the
// MSI-X table, the PBA, the capability and the vector registers of the common
// configuration, resets the device or the machine, saves and restores it, while the device
// signals its queues and configuration changes. After every operation:
//   - nothing throws, and every read fits its width;
//   - every message sent matches an unmasked table entry of an enabled, unmasked function;
//   - a signal to a masked vector sends nothing and leaves its pending bit set;
//   - a pending bit is only ever set on a vector that is masked (or with MSI-X disabled);
//   - PBA writes change nothing; the vector registers read a table vector or NO_VECTOR;
//   - INTx is never asserted while MSI-X is enabled.
//
// 100,000 generated cases per run by default, FUZZ_RUNS for more (npm run fuzz).
import { afterAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { PciBus } from "../../src/pci/pci-bus.js";
import { CAP_MSIX } from "../../src/pci/msix.js";
import { VirtioPciFunction } from "../../src/virtio-pci/virtio-pci-function.js";
import { VIRTIO_MSI_NO_VECTOR } from "../../src/virtio-pci/msix-interrupt.js";
import { readVirtioPciState, virtioPciStateData } from "../../src/virtio-pci/virtio-pci-state.js";
import { COMMON_OFFSET } from "../../src/virtio-pci/layout.js";
import { StateReader } from "../../src/snapshot/state-reader.js";
import { VirtioConsole } from "../../src/devices/virtio-console.js";
import type { AccessSize } from "../../src/platform/platform.js";
import type { BarHandler } from "../../src/pci/bar.js";
import { FakePlatform } from "../support/fake-platform.js";
import { CaseBudget } from "../support/fuzz-cases.js";
import { MockDriver } from "../support/mock-driver.js";
import { testModelOptions } from "../support/test-interrupt.js";

const budget = new CaseBudget();
const RUNS = budget.runs(1);

type Op =
  | { kind: "table" | "pba"; write: boolean; at: number; size: AccessSize; value: number }
  | { kind: "cap"; write: boolean; at: number; size: AccessSize; value: number }
  | { kind: "common"; at: number; size: AccessSize; value: number }
  | { kind: "signal"; config: boolean; queue: number }
  | { kind: "mask"; vector: number; masked: boolean }
  | { kind: "deviceReset" | "machineReset" | "saveRestore" };

const size = fc.constantFrom<AccessSize>(1, 2, 4);
const u32 = fc.oneof(fc.integer({ min: 0, max: 0xffff_ffff }), fc.constantFrom(0, 1, 0xfee0_0000, 0xfee0_1000, 0x8000, 0xc000, 0xffff));
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("table" as const), write: fc.boolean(), at: fc.integer({ min: -8, max: 64 }), size, value: u32 }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("pba" as const), write: fc.boolean(), at: fc.integer({ min: -4, max: 12 }), size, value: u32 }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("cap" as const), write: fc.boolean(), at: fc.integer({ min: -2, max: 13 }), size, value: u32 }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("common" as const), at: fc.integer({ min: 0x0e, max: 0x1c }), size, value: u32 }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("signal" as const), config: fc.boolean(), queue: fc.integer({ min: 0, max: 3 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("mask" as const), vector: fc.integer({ min: 0, max: 2 }), masked: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom("deviceReset" as const, "machineReset" as const, "saveRestore" as const) }) },
);

interface Rig {
  fn: VirtioPciFunction;
  platform: FakePlatform;
  msixBar: BarHandler;
  bar: BarHandler;
}

/** One function per BAR kind, reused: each case starts with a machine reset. */
const rigs: Rig[] = (["mem32", "mem64", "io"] as const).map((kind) => {
  const platform = new FakePlatform();
  platform.setPirqRoutes();
  const bus = new PciBus(platform);
  const fn = new VirtioPciFunction(new VirtioConsole(() => {}), new MockDriver(0x4000).memory, testModelOptions(), { msix: true, bar: kind });
  bus.addFunction(fn.pci);
  const msixBar = fn.pci.bars.find((b) => b.index === fn.pci.msix!.placement.bar)!.def.handler;
  return { fn, platform, msixBar, bar: fn.pci.bars[0]!.def.handler };
});

const seen = { sent: 0, heldPending: 0, unmaskSent: 0, enabledCases: 0 };

/** vitest's expect costs microseconds a call; the hot loop checks with this instead. */
function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`broken invariant: ${what}`);
}

/** The pending bits as one number (the console has 3 vectors). */
function pendingBits(msix: NonNullable<VirtioPciFunction["pci"]["msix"]>): number {
  let bits = 0;
  for (let v = 0; v < msix.vectors; v++) if (msix.isPending(v)) bits |= 1 << v;
  return bits;
}

function popcount(bits: number): number {
  let n = 0;
  for (; bits; bits &= bits - 1) n++;
  return n;
}

function runCase(rigIndex: number, ops: Op[]): void {
  const { fn, platform, msixBar, bar } = rigs[rigIndex]!;
  fn.pci.reset();
  platform.msiLog.length = 0;
  const msix = fn.pci.msix!;
  const vectors = fn.msixInterrupt!;
  const cap = fn.pci.capabilities.find((c) => c.def.id === CAP_MSIX)!;
  const { tableOffset, pbaOffset } = msix.placement;
  let enabledSeen = false;
  for (const o of ops) {
    const sentBefore = platform.msiLog.length;
    const pendingBefore = pendingBits(msix);
    let signalled: number | undefined;
    switch (o.kind) {
      case "table":
      case "pba": {
        const at = (o.kind === "table" ? tableOffset : pbaOffset) + o.at;
        if (at < 0) break;
        if (o.write) msixBar.write(at, o.size, o.value);
        else check(msixBar.read(at, o.size) < 2 ** (8 * o.size), "a read fits its width");
        if (o.kind === "pba") check(platform.msiLog.length === sentBefore && pendingBits(msix) === pendingBefore, "the PBA is read-only");
        break;
      }
      case "cap":
        if (o.write) fn.pci.configWrite(cap.offset + o.at, o.size, o.value);
        else check(fn.pci.configRead(cap.offset + o.at, o.size) < 2 ** (8 * o.size), "a config read fits its width");
        break;
      case "common":
        bar.write(COMMON_OFFSET + o.at, o.size, o.value);
        break;
      case "signal": {
        const vector = o.config ? vectors.configVector : vectors.queueVector(o.queue);
        const live = msix.enabled && vector !== VIRTIO_MSI_NO_VECTOR;
        const masked = live && msix.isMasked(vector);
        vectors.raise(o.config ? "config" : "queue", o.queue);
        if (live) signalled = vector;
        if (masked) {
          check(platform.msiLog.length === sentBefore && msix.isPending(vector), "a masked vector only sets its pending bit");
          seen.heldPending++;
        } else if (live) {
          check(platform.msiLog.length === sentBefore + 1, "an unmasked vector sends one message");
          seen.sent++;
        } else {
          check(platform.msiLog.length === sentBefore, "no message without MSI-X or a vector");
        }
        break;
      }
      case "mask":
        msixBar.write(tableOffset + 16 * o.vector + 12, 4, o.masked ? 1 : 0);
        break;
      case "deviceReset":
        bar.write(COMMON_OFFSET + 0x14, 1, 0);
        break;
      case "machineReset":
        fn.pci.reset();
        break;
      case "saveRestore": {
        const table = msixBar.read(tableOffset, 4);
        fn.restoreState(readVirtioPciState(new StateReader(virtioPciStateData(fn.saveState()), "device"), fn.model.queues.count));
        check(msixBar.read(tableOffset, 4) === table, "a restored table is the saved one");
        break;
      }
    }
    // Every message sent by this operation matches an unmasked entry of an enabled, unmasked function.
    for (let i = sentBefore; i < platform.msiLog.length; i++) {
      const m = platform.msiLog[i]!;
      check(msix.enabled && !msix.functionMasked, "messages only from an enabled, unmasked function");
      let match = false;
      for (let v = 0; v < msix.vectors && !match; v++) {
        const e = msix.entry(v);
        match = !e.masked && e.address === m.address && e.data === m.data;
      }
      check(match, "a message matches an unmasked table entry");
      if (o.kind !== "signal") seen.unmaskSent++;
    }
    if (o.kind !== "signal") {
      // Only a signal sends on its own; anything else sends only vectors that were pending.
      check(platform.msiLog.length - sentBefore <= popcount(pendingBefore), "only pending vectors are sent on unmask");
    } else if (signalled === undefined) {
      check(platform.msiLog.length === sentBefore, "no message for a signal without a live vector");
    }
    for (let v = 0; v < msix.vectors; v++) if (msix.isPending(v)) check(msix.isMasked(v) || !msix.enabled, "a pending vector is masked");
    for (const vector of [vectors.configVector, vectors.queueVector(0), vectors.queueVector(1), vectors.queueVector(2)]) {
      check(vector === VIRTIO_MSI_NO_VECTOR || (vector >= 0 && vector < msix.vectors), "a vector register reads a table vector or NO_VECTOR");
    }
    if (msix.enabled) {
      check(!fn.pci.intxAsserted, "no INTx while MSI-X is enabled");
      enabledSeen = true;
    }
  }
  if (enabledSeen) seen.enabledCases++;
}

describe("MSI-X property tests", () => {
  afterAll(() => console.log(budget.summary("MSI-X fuzz"), JSON.stringify(seen)));

  it(`table, PBA, capability and vector register abuse keeps MSI-X consistent (${RUNS} runs)`, () => {
    // Most cases start by enabling MSI-X and programming a few vectors, so signals reach the table.
    const prologue: fc.Arbitrary<Op[]> = fc.constantFrom<Op[]>(
      [],
      [
        { kind: "cap", write: true, at: 2, size: 2, value: 0x8000 },
        { kind: "table", write: true, at: 0, size: 4, value: 0xfee0_0000 },
        { kind: "table", write: true, at: 8, size: 4, value: 0x41 },
        { kind: "table", write: true, at: 12, size: 4, value: 0 },
        { kind: "common", at: 0x10, size: 2, value: 0 },
        { kind: "common", at: 0x1a, size: 2, value: 0 },
      ],
      [
        { kind: "cap", write: true, at: 2, size: 2, value: 0xc000 },
        { kind: "table", write: true, at: 16, size: 4, value: 0xfee0_0000 },
        { kind: "table", write: true, at: 24, size: 4, value: 0x42 },
        { kind: "mask", vector: 1, masked: true },
        { kind: "common", at: 0x10, size: 2, value: 1 },
        { kind: "common", at: 0x1a, size: 2, value: 1 },
      ],
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: rigs.length - 1 }), prologue, fc.array(op, { minLength: 1, maxLength: 8 }), (rig, start, ops) => {
        budget.count("msix");
        runCase(rig, [...start, ...ops]);
      }),
      { numRuns: RUNS },
    );
    expect(budget.sum).toBeGreaterThanOrEqual(budget.total);
    // The generators reach what they should: messages sent, held while masked, sent on unmask.
    expect(seen.sent).toBeGreaterThan(RUNS / 20);
    expect(seen.heldPending).toBeGreaterThan(RUNS / 100);
    expect(seen.unmaskSent).toBeGreaterThan(0);
  }, budget.timeout(1));
});
