// Property tests: whatever a driver puts in a ring, the model either processes it exactly
// as the spec says or ends in DEVICE_NEEDS_RESET; no exception ever leaves the model and
// no byte outside the device's own used ring and the writable buffers of valid chains
// changes. The oracle is a small, separately written walk of the spec rules plus an echo
// simulated on a copy of guest memory. FUZZ_RUNS sets the number of runs (default 2000).
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { VirtioDeviceModel, type InterruptKind } from "../../src/virtio/device-model.js";
import { STATUS_DEVICE_NEEDS_RESET, VIRTIO_F_RING_EVENT_IDX, VIRTIO_F_RING_INDIRECT_DESC, VIRTIO_F_VERSION_1 } from "../../src/virtio/features.js";
import { EchoDevice } from "../support/echo-device.js";
import { bringUp, MockDriver, type MockQueue, type RawDescriptor } from "../support/mock-driver.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);
const RAM = 0x10000;
// Rings come first (bringUp allocates them from 0x1000), then indirect tables, then data.
const TABLE_BASE = 0x2000;
const TABLE_STRIDE = 0x100;
const TABLES = 3;
const TABLE_ENTRIES = 8;
const DATA = 0x8000;
const NEXT = 1, WRITE = 2, INDIRECT = 4;

// ---- the generated driver ----

function descriptor(maxNext: number): fc.Arbitrary<RawDescriptor> {
  return fc.record({
    flags: fc.oneof(
      { weight: 10, arbitrary: fc.constantFrom(0, NEXT, WRITE, NEXT | WRITE) },
      { weight: 2, arbitrary: fc.constantFrom(INDIRECT, INDIRECT | WRITE, INDIRECT | NEXT) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) },
    ),
    next: fc.oneof({ weight: 12, arbitrary: fc.integer({ min: 0, max: maxNext }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) }),
    addr: fc.oneof(
      { weight: 10, arbitrary: fc.integer({ min: DATA, max: RAM - 1 }) },
      { weight: 3, arbitrary: fc.integer({ min: 0, max: TABLES - 1 }).map((t) => TABLE_BASE + t * TABLE_STRIDE) },
      { weight: 1, arbitrary: fc.constantFrom(RAM - 1, RAM, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 2 ** 63) },
    ),
    len: fc.oneof(
      { weight: 10, arbitrary: fc.integer({ min: 0, max: 40 }) },
      { weight: 3, arbitrary: fc.integer({ min: 1, max: TABLE_ENTRIES }).map((n) => 16 * n) },
      { weight: 1, arbitrary: fc.constantFrom(17, RAM, 0xffffffff) },
    ),
  });
}

interface Round {
  descs: RawDescriptor[];
  tables: RawDescriptor[][];
  heads: number[];
  /** How far avail.idx moves this round (may exceed the queue size: a protocol error). */
  advance: number;
  usedEvent: number;
  availFlags: number;
}

/** avail.idx steps: mostly legal, with the edges (one past a full ring, wrapping back) on purpose. */
function advanceArb(size: number): fc.Arbitrary<number> {
  return fc.oneof(
    { weight: 12, arbitrary: fc.integer({ min: 0, max: size }) },
    { weight: 2, arbitrary: fc.constantFrom(size + 1, 0xffff) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) },
  );
}

/** Ring contents with no structure at all: nearly always a protocol error somewhere. */
function randomRound(size: number): fc.Arbitrary<Round> {
  return fc.record({
    descs: fc.array(descriptor(size), { minLength: size, maxLength: size }),
    tables: fc.array(fc.array(descriptor(TABLE_ENTRIES), { minLength: TABLE_ENTRIES, maxLength: TABLE_ENTRIES }), { minLength: TABLES, maxLength: TABLES }),
    heads: fc.array(fc.oneof({ weight: 12, arbitrary: fc.integer({ min: 0, max: size - 1 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) }), { minLength: size, maxLength: size }),
    advance: advanceArb(size),
    usedEvent: fc.integer({ min: 0, max: 0xffff }),
    availFlags: fc.constantFrom(0, 1),
  });
}

interface ChainSpec {
  indirect: boolean;
  parts: { len: number; writable: boolean; offset: number }[];
}

const chainSpec: fc.Arbitrary<ChainSpec> = fc.record({
  indirect: fc.boolean(),
  parts: fc.array(fc.record({ len: fc.integer({ min: 0, max: 40 }), writable: fc.boolean(), offset: fc.nat() }), { minLength: 1, maxLength: 4 })
    // Readable buffers first, as the spec requires.
    .map((parts) => [...parts.filter((p) => !p.writable), ...parts.filter((p) => p.writable)]),
});

/** Lays valid chains out like a driver would (descriptors in shuffled order), into `base`. */
function layOut(size: number, base: Round, order: number[], chains: ChainSpec[]): Round {
  // Fresh copies: fast-check replays generated values while shrinking, so never mutate them.
  const r: Round = { ...base, descs: base.descs.map((d) => ({ ...d })), tables: base.tables.map((t) => t.map((d) => ({ ...d }))), heads: [...base.heads], advance: 0 };
  const free = [...order];
  let tablesLeft = TABLES;
  const buffer = (p: ChainSpec["parts"][number], more: boolean, next: number): RawDescriptor => ({
    addr: DATA + (p.offset % (RAM - DATA - p.len + 1)), len: p.len, flags: (p.writable ? WRITE : 0) | (more ? NEXT : 0), next,
  });
  for (const c of chains) {
    if (r.advance >= size) break;
    if (c.indirect && tablesLeft > 0 && free.length >= 1) {
      const t = TABLES - tablesLeft--;
      c.parts.forEach((p, i) => { r.tables[t]![i] = buffer(p, i + 1 < c.parts.length, i + 1); });
      const head = free.shift()!;
      r.descs[head] = { addr: TABLE_BASE + t * TABLE_STRIDE, len: 16 * c.parts.length, flags: INDIRECT, next: 0 };
      r.heads[r.advance++] = head;
    } else if (free.length >= c.parts.length) {
      const ds = free.splice(0, c.parts.length);
      c.parts.forEach((p, i) => { r.descs[ds[i]!] = buffer(p, i + 1 < c.parts.length, ds[i + 1] ?? 0); });
      r.heads[r.advance++] = ds[0]!;
    }
  }
  return r;
}

type Mutation =
  | { kind: "desc" | "table"; table: number; index: number; field: keyof RawDescriptor; from: RawDescriptor }
  | { kind: "head"; index: number; value: number }
  /** The driver declares an indirect table one entry shorter than the chain in it. */
  | { kind: "shortTable"; index: number }
  | { kind: "advance"; value: number };

function mutation(size: number): fc.Arbitrary<Mutation> {
  const field = fc.constantFrom<keyof RawDescriptor>("addr", "len", "flags", "next");
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant("desc" as const), table: fc.constant(0), index: fc.integer({ min: 0, max: size - 1 }), field, from: descriptor(size) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("table" as const), table: fc.integer({ min: 0, max: TABLES - 1 }), index: fc.integer({ min: 0, max: TABLE_ENTRIES - 1 }), field, from: descriptor(TABLE_ENTRIES) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("shortTable" as const), index: fc.integer({ min: 0, max: size - 1 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("head" as const), index: fc.integer({ min: 0, max: size - 1 }), value: fc.integer({ min: 0, max: 0xffff }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("advance" as const), value: advanceArb(size) }) },
  );
}

function mutate(r: Round, m: Mutation): void {
  switch (m.kind) {
    case "desc": case "table": {
      const d = m.kind === "desc" ? r.descs[m.index]! : r.tables[m.table]![m.index]!;
      d[m.field] = m.from[m.field];
      break;
    }
    case "shortTable": {
      const d = r.descs[m.index]!;
      if (d.flags & INDIRECT && d.len >= 16) d.len -= 16;
      break;
    }
    case "head": r.heads[m.index] = m.value; break;
    case "advance": r.advance = m.value; break;
  }
}

/** Mostly valid chains with a few driver mistakes sprinkled in, sometimes pure noise. */
function round(size: number): fc.Arbitrary<Round> {
  const indices = Array.from({ length: size }, (_, i) => i);
  const structured = fc
    .tuple(
      randomRound(size),
      fc.shuffledSubarray(indices, { minLength: size, maxLength: size }),
      fc.array(chainSpec, { minLength: 0, maxLength: size }),
      fc.oneof({ weight: 3, arbitrary: fc.constant([]) }, { weight: 2, arbitrary: fc.array(mutation(size), { minLength: 1, maxLength: 3 }) }),
    )
    .map(([base, order, chains, mutations]) => {
      const r = layOut(size, base, order, chains);
      for (const m of mutations) mutate(r, m);
      return r;
    });
  return fc.oneof({ weight: 4, arbitrary: structured }, { weight: 1, arbitrary: randomRound(size) });
}

const scenario = fc.constantFrom(1, 2, 4, 8, 16).chain((size) => fc.record({
  size: fc.constant(size),
  eventIdx: fc.boolean(),
  indirect: fc.boolean(),
  data: fc.uint8Array({ minLength: 64, maxLength: 64 }),
  rounds: fc.array(round(size), { minLength: 1, maxLength: 3 }),
}));

// ---- the oracle: spec rules, walked on a copy of guest memory ----

type Walk = { readable: [number, number][]; writable: [number, number][] } | undefined;

function refWalk(m: DataView, size: number, descAddr: number, head: number, indirectOk: boolean): Walk {
  const readable: [number, number][] = [];
  const writable: [number, number][] = [];
  let total = 0;
  let sawWritable = false;
  const read = (at: number) => {
    const hi = m.getUint32(at + 4, true);
    return { addr: hi * 2 ** 32 + m.getUint32(at, true), hi, len: m.getUint32(at + 8, true), flags: m.getUint16(at + 12, true), next: m.getUint16(at + 14, true) };
  };
  const fits = (addr: number, len: number) => addr + len <= RAM;
  const take = (d: ReturnType<typeof read>): boolean => {
    const w = (d.flags & WRITE) !== 0;
    if ((!w && sawWritable) || d.hi >= 0x200000 || !fits(d.addr, d.len)) return false;
    total += d.len;
    if (total > 0xffffffff) return false;
    sawWritable ||= w;
    if (d.len > 0) (w ? writable : readable).push([d.addr, d.len]);
    return true;
  };
  let i = head;
  for (let steps = 1; ; steps++) {
    if (i >= size || steps > size) return undefined;
    const d = read(descAddr + 16 * i);
    if (d.flags & INDIRECT) {
      if (!indirectOk || d.flags & NEXT || d.hi >= 0x200000) return undefined;
      const n = d.len / 16;
      if (d.len === 0 || !Number.isInteger(n) || n > 32768 || !fits(d.addr, d.len)) return undefined;
      let j = 0;
      for (let s = 1; ; s++) {
        if (s > n) return undefined;
        const e = read(d.addr + 16 * j);
        if (e.flags & INDIRECT || !take(e)) return undefined;
        if (!(e.flags & NEXT)) break;
        if (e.next >= n) return undefined;
        j = e.next;
      }
      break;
    }
    if (!take(d)) return undefined;
    if (!(d.flags & NEXT)) break;
    i = d.next;
  }
  return { readable, writable };
}

interface RefState {
  mem: Uint8Array;
  nextAvail: number;
  usedIdx: number;
  failed: boolean;
  processed: number;
  indirectProcessed: number;
}

/** What the echo device must do with the ring as it is in `s.mem` now. */
function refRun(s: RefState, q: MockQueue, indirectOk: boolean): void {
  if (s.failed) return;
  const m = new DataView(s.mem.buffer);
  const availIdx = m.getUint16(q.availAddr + 2, true);
  if (((availIdx - s.nextAvail) & 0xffff) > q.size) {
    s.failed = true;
    return;
  }
  while (s.nextAvail !== availIdx) {
    const head = m.getUint16(q.availAddr + 4 + 2 * (s.nextAvail & (q.size - 1)), true);
    const walk = head < q.size ? refWalk(m, q.size, q.descAddr, head, indirectOk) : undefined;
    if (!walk) {
      s.failed = true;
      return;
    }
    if (m.getUint16(q.descAddr + 16 * head + 12, true) & INDIRECT) s.indirectProcessed++;
    const data = walk.readable.flatMap(([a, l]) => [...s.mem.slice(a, a + l)]);
    let at = 0;
    for (const [a, l] of walk.writable) {
      const n = Math.min(l, data.length - at);
      if (n <= 0) break;
      s.mem.set(data.slice(at, at + n), a);
      at += n;
    }
    const slot = q.usedAddr + 4 + 8 * (s.usedIdx & (q.size - 1));
    m.setUint32(slot, head, true);
    m.setUint32(slot + 4, at, true);
    s.usedIdx = (s.usedIdx + 1) & 0xffff;
    m.setUint16(q.usedAddr + 2, s.usedIdx, true);
    s.nextAvail = (s.nextAvail + 1) & 0xffff;
    s.processed++;
  }
}

/** Writes one round's ring contents the way a (possibly broken) driver would. */
function driverWrites(q: MockQueue, r: Round, nextAvail: number): void {
  r.descs.forEach((d, i) => q.writeDesc(i, d));
  r.tables.forEach((t, ti) => t.forEach((d, i) => q.writeDesc(i, d, TABLE_BASE + ti * TABLE_STRIDE)));
  r.heads.forEach((h, i) => q.setAvailSlot((nextAvail + i) & (q.size - 1), h));
  q.usedEvent = r.usedEvent;
  q.availFlags = r.availFlags;
  q.availIdx = (nextAvail + r.advance) & 0xffff;
}

/** Memory equality, except the two used-ring fields whose value depends on timing (checked apart). */
function firstDifference(a: Uint8Array, b: Uint8Array, q: MockQueue): number | undefined {
  const skip = new Set([q.usedAddr, q.usedAddr + 1, q.usedAddr + 4 + 8 * q.size, q.usedAddr + 5 + 8 * q.size]);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !skip.has(i)) return i;
  return undefined;
}

describe("virtqueue property tests", () => {
  it(`random rings are processed exactly or end in NEEDS_RESET, never touching other memory (${RUNS} runs)`, () => {
    const seen = { clean: 0, failed: 0, chains: 0, indirect: 0 };
    fc.assert(fc.property(scenario, (sc) => {
      const driver = new MockDriver(RAM);
      for (let a = DATA; a < RAM; a += sc.data.length) driver.write(a, sc.data.subarray(0, Math.min(sc.data.length, RAM - a)));
      const device = new EchoDevice([sc.size]);
      const interrupts: InterruptKind[] = [];
      const logs: string[] = [];
      const model = new VirtioDeviceModel(device, driver.memory, { interrupt: (k) => interrupts.push(k) > 0, log: (m) => logs.push(m) });
      const features = VIRTIO_F_VERSION_1 | (sc.eventIdx ? VIRTIO_F_RING_EVENT_IDX : 0n) | (sc.indirect ? VIRTIO_F_RING_INDIRECT_DESC : 0n);
      const [q] = bringUp(model, driver, { features });
      const ref: RefState = { mem: new Uint8Array(0), nextAvail: 0, usedIdx: 0, failed: false, processed: 0, indirectProcessed: 0 };

      for (const r of sc.rounds) {
        driverWrites(q!, r, ref.nextAvail);
        ref.mem = driver.bytes.slice();
        const usedBefore = ref.usedIdx;
        interrupts.length = 0;
        refRun(ref, q!, sc.indirect);
        model.notify(0);

        const failed = (model.status & STATUS_DEVICE_NEEDS_RESET) !== 0;
        expect(failed, `${logs.join("\n")}`).toBe(ref.failed);
        if (failed) expect(model.lastError).not.toMatch(/internal error/);
        const diff = firstDifference(driver.bytes, ref.mem, q!);
        expect(diff, `memory differs at 0x${diff?.toString(16)}; ${logs.join("\n")}`).toBeUndefined();
        if (!failed) {
          // The echo device ends every drain by re-enabling notifications.
          expect(q!.usedFlags).toBe(0);
          if (sc.eventIdx) expect(q!.availEvent).toBe(ref.nextAvail);
          // One drain pass, one interrupt decision over the round's used entries.
          const added = (ref.usedIdx - usedBefore) & 0xffff;
          const wanted = added > 0 && (sc.eventIdx
            ? ((ref.usedIdx - r.usedEvent - 1) & 0xffff) < added
            : (r.availFlags & 1) === 0);
          expect(interrupts).toEqual(wanted ? ["queue"] : []);
        } else {
          // The echo device fails inside its first drain, before signalling anything.
          expect(interrupts).toEqual(["config"]);
        }
        if (ref.failed) break;
      }
      seen.chains += ref.processed;
      seen.indirect += ref.indirectProcessed;
      if (ref.failed) seen.failed++;
      else if (ref.processed > 0) seen.clean++;
    }), { numRuns: RUNS });
    if (process.env.FUZZ_STATS) console.log(seen);
    // The generator must reach both outcomes, or the property proves little.
    expect(seen.clean).toBeGreaterThan(RUNS / 20);
    expect(seen.failed).toBeGreaterThan(RUNS / 20);
    expect(seen.indirect).toBeGreaterThan(0);
  });

  it(`random register writes never throw out of the model (${Math.ceil(RUNS / 4)} runs)`, () => {
    type Op =
      | { op: "status" | "deviceFeatureSelect" | "driverFeatureSelect" | "driverFeature" | "queueSelect" | "queueSize" | "queueEnable"
          | "queueDescLo" | "queueDescHi" | "queueDriverLo" | "queueDriverHi" | "queueDeviceLo" | "queueDeviceHi"; value: number }
      | { op: "notify"; value: number }
      | { op: "readConfig" | "writeConfig"; value: number; offset: number; size: 1 | 2 | 4 }
      | { op: "read" };
    const small = fc.oneof(fc.integer({ min: 0, max: 16 }), fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 }));
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
      const driver = new MockDriver(0x4000);
      let x = seed | 1;
      for (let i = 0; i < driver.bytes.length; i++) {
        x ^= x << 13; x ^= x >>> 17; x ^= x << 5; // xorshift: garbage rings for the queues to find
        driver.bytes[i] = x & 0xff;
      }
      const model = new VirtioDeviceModel(new EchoDevice([4, 8]), driver.memory, { log: () => {} });
      for (const o of ops) {
        switch (o.op) {
          case "notify": model.notify(o.value); break;
          case "readConfig": expect(model.readConfig(o.offset, o.size)).toBeGreaterThanOrEqual(0); break;
          case "writeConfig": model.writeConfig(o.offset, o.size, o.value); break;
          case "read": JSON.stringify(model.snapshot()); break;
          default: model[o.op] = o.value;
        }
        if (model.status & 4 && !(model.status & STATUS_DEVICE_NEEDS_RESET)) {
          // Running: what was agreed is a subset of what was offered, with VERSION_1.
          const agreed = model.negotiatedFeatures!;
          expect(agreed & ~model.offeredFeatures).toBe(0n);
          expect(agreed & VIRTIO_F_VERSION_1).toBe(VIRTIO_F_VERSION_1);
        }
      }
      expect(model.lastError ?? "").not.toMatch(/internal error/);
    }), { numRuns: Math.ceil(RUNS / 4) });
  });
});
