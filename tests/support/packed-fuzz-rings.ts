// Generated packed-ring contents for the packed virtqueue fuzzer (virtio 1.2, 2.8): what a
// driver, correct or broken, might leave in the descriptor ring and indirect tables before
// a kick. Rounds are descriptions, laid out at run time where the ring stands
// (packed-ring-oracle.ts: layOutRound): mostly valid chains from the driver's position
// with a few mistakes sprinkled in, sometimes pure noise over every slot, and a driver
// event suppression structure of any kind. Sizes include odd ones (the packed ring has
// no power-of-two rule) and chains cross the ring's end.
import fc from "fast-check";
import { DATA, RING_RAM, TABLE_BASE, TABLE_ENTRIES, TABLE_STRIDE, TABLES } from "./fuzz-rings.js";

export const NEXT = 1, WRITE = 2, INDIRECT = 4, AVAIL = 0x80, USED = 0x8000;

export interface PackedRawDescriptor {
  addr: number;
  len: number;
  id: number;
  flags: number;
}

/**
 * How a noise slot's AVAIL/USED bits stand against the wrap counter the device expects
 * there: available, available for the other lap (stale), used, or raw (flags as given).
 */
export type Mark = "avail" | "stale" | "used" | "raw";

export interface NoiseDescriptor extends PackedRawDescriptor {
  mark: Mark;
}

export interface ChainSpec {
  indirect: boolean;
  parts: { len: number; writable: boolean; offset: number }[];
}

export type PackedMutation =
  | { kind: "slot"; index: number; field: keyof PackedRawDescriptor; from: PackedRawDescriptor }
  | { kind: "table"; table: number; index: number; field: keyof PackedRawDescriptor; from: PackedRawDescriptor }
  /** The driver declares an indirect table one entry shorter than it filled. */
  | { kind: "shortTable"; index: number }
  /** The driver flips a slot's AVAIL and USED bits (a slot of the wrong lap). */
  | { kind: "flip"; index: number };

export interface DriverEventSpec {
  flags: number;
  /** off_wrap as slots past the device's used position (crossing the end flips the wrap bit)... */
  ahead: number;
  /** ...with the wrap bit inverted, or a raw 16-bit value instead. */
  flipWrap: boolean;
  raw: number | undefined;
}

export interface PackedRound {
  /** Every slot, for a noise round; empty for a structured one. */
  noise: NoiseDescriptor[];
  chains: ChainSpec[];
  mutations: PackedMutation[];
  /** Indirect tables as they are before chains are laid into them (noise rounds; empty: leave them as they are). */
  tables: PackedRawDescriptor[][];
  driverEvent: DriverEventSpec;
}

export interface PackedRingScenario {
  size: number;
  eventIdx: boolean;
  indirect: boolean;
  /** Pattern that fills the data area, so echoed bytes are not all zero. */
  data: Uint8Array;
  rounds: PackedRound[];
}

const addrArb = fc.oneof(
  { weight: 10, arbitrary: fc.integer({ min: DATA, max: RING_RAM - 1 }) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: TABLES - 1 }).map((t) => TABLE_BASE + t * TABLE_STRIDE) },
  { weight: 1, arbitrary: fc.constantFrom(RING_RAM - 1, RING_RAM, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 2 ** 63) },
);
const lenArb = fc.oneof(
  { weight: 10, arbitrary: fc.integer({ min: 0, max: 40 }) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: TABLE_ENTRIES }).map((n) => 16 * n) },
  { weight: 1, arbitrary: fc.constantFrom(17, RING_RAM, 0xffffffff) },
);

export function descriptor(size: number, flags: fc.Arbitrary<number>): fc.Arbitrary<PackedRawDescriptor> {
  return fc.record({
    addr: addrArb,
    len: lenArb,
    id: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: size }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) }),
    flags,
  });
}

/** Flags of a ring slot: mostly chain flags; AVAIL/USED come from the slot's mark. */
const ringFlags = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom(0, NEXT, WRITE, NEXT | WRITE) },
  { weight: 2, arbitrary: fc.constantFrom(INDIRECT, INDIRECT | WRITE, INDIRECT | NEXT) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) },
);
/** Flags of an indirect table entry: mostly WRITE or nothing (the only flag allowed there). */
const tableFlags = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(0, WRITE) },
  { weight: 1, arbitrary: fc.constantFrom(NEXT, INDIRECT, AVAIL) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) },
);

function tablesArb(size: number): fc.Arbitrary<PackedRawDescriptor[][]> {
  return fc.array(fc.array(descriptor(size, tableFlags), { minLength: TABLE_ENTRIES, maxLength: TABLE_ENTRIES }), { minLength: TABLES, maxLength: TABLES });
}

function driverEventArb(size: number): fc.Arbitrary<DriverEventSpec> {
  return fc.record({
    flags: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(0, 1, 2) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) }),
    ahead: fc.integer({ min: 0, max: size }),
    flipWrap: fc.boolean(),
    raw: fc.option(fc.integer({ min: 0, max: 0xffff }), { freq: 6 }),
  }).map((e) => ({ ...e, raw: e.raw ?? undefined }));
}

const chainSpec: fc.Arbitrary<ChainSpec> = fc.record({
  indirect: fc.boolean(),
  parts: fc.array(fc.record({ len: fc.integer({ min: 0, max: 40 }), writable: fc.boolean(), offset: fc.nat() }), { minLength: 1, maxLength: 4 })
    // Readable buffers first, as the spec requires.
    .map((parts) => [...parts.filter((p) => !p.writable), ...parts.filter((p) => p.writable)]),
});

function mutation(size: number): fc.Arbitrary<PackedMutation> {
  const field = fc.constantFrom<keyof PackedRawDescriptor>("addr", "len", "id", "flags");
  const index = fc.integer({ min: 0, max: size - 1 });
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant("slot" as const), index, field, from: descriptor(size, ringFlags) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("table" as const), table: fc.integer({ min: 0, max: TABLES - 1 }), index: fc.integer({ min: 0, max: TABLE_ENTRIES - 1 }), field, from: descriptor(size, tableFlags) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("shortTable" as const), index }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("flip" as const), index }) },
  );
}

function round(size: number): fc.Arbitrary<PackedRound> {
  const noiseSlot = fc.record({
    addr: addrArb, len: lenArb, id: fc.integer({ min: 0, max: size }), flags: ringFlags,
    mark: fc.constantFrom<Mark>("avail", "avail", "avail", "stale", "used", "raw"),
  });
  // A structured round's tables are what its chains lay into them (and earlier rounds left): generating whole tables costs more than the rest.
  const structured = fc.record({
    noise: fc.constant([] as NoiseDescriptor[]),
    chains: fc.array(chainSpec, { minLength: 0, maxLength: size }),
    mutations: fc.oneof({ weight: 3, arbitrary: fc.constant([] as PackedMutation[]) }, { weight: 2, arbitrary: fc.array(mutation(size), { minLength: 1, maxLength: 3 }) }),
    tables: fc.constant([] as PackedRawDescriptor[][]),
    driverEvent: driverEventArb(size),
  });
  const noise = fc.record({
    noise: fc.array(noiseSlot, { minLength: size, maxLength: size }),
    chains: fc.constant([] as ChainSpec[]),
    mutations: fc.constant([] as PackedMutation[]),
    tables: tablesArb(size),
    driverEvent: driverEventArb(size),
  });
  return fc.oneof({ weight: 4, arbitrary: structured }, { weight: 1, arbitrary: noise });
}

export const packedRingScenario: fc.Arbitrary<PackedRingScenario> = fc.constantFrom(1, 2, 3, 5, 8, 13).chain((size) => fc.record({
  size: fc.constant(size),
  eventIdx: fc.boolean(),
  indirect: fc.boolean(),
  data: fc.uint8Array({ minLength: 64, maxLength: 64 }),
  rounds: fc.array(round(size), { minLength: 1, maxLength: 4 }),
}));
