// Generated split-ring contents for the virtqueue fuzzer: what a driver, correct or
// broken, might leave in the descriptor table, indirect tables and available ring before
// a kick. Mostly valid chains with a few mistakes sprinkled in, sometimes pure noise, and
// the edges (full ring, one past it, wrapped indices, addresses at and past the end of
// RAM) on purpose.
import fc from "fast-check";
import type { RawDescriptor } from "./mock-driver.js";

/**
 * Where things go in the fuzzer's small guest RAM: the rings first (bringUp allocates
 * them from 0x1000; 16 entries need under 0x200 bytes), then the indirect tables, then
 * the data buffers.
 */
export const RING_RAM = 0x4000;
export const TABLE_BASE = 0x2000;
export const TABLE_STRIDE = 0x100;
export const TABLES = 3;
export const TABLE_ENTRIES = 8;
export const DATA = 0x3000;
export const NEXT = 1, WRITE = 2, INDIRECT = 4;

export function descriptor(maxNext: number): fc.Arbitrary<RawDescriptor> {
  return fc.record({
    flags: fc.oneof(
      { weight: 10, arbitrary: fc.constantFrom(0, NEXT, WRITE, NEXT | WRITE) },
      { weight: 2, arbitrary: fc.constantFrom(INDIRECT, INDIRECT | WRITE, INDIRECT | NEXT) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) },
    ),
    next: fc.oneof({ weight: 12, arbitrary: fc.integer({ min: 0, max: maxNext }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) }),
    addr: fc.oneof(
      { weight: 10, arbitrary: fc.integer({ min: DATA, max: RING_RAM - 1 }) },
      { weight: 3, arbitrary: fc.integer({ min: 0, max: TABLES - 1 }).map((t) => TABLE_BASE + t * TABLE_STRIDE) },
      { weight: 1, arbitrary: fc.constantFrom(RING_RAM - 1, RING_RAM, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 2 ** 63) },
    ),
    len: fc.oneof(
      { weight: 10, arbitrary: fc.integer({ min: 0, max: 40 }) },
      { weight: 3, arbitrary: fc.integer({ min: 1, max: TABLE_ENTRIES }).map((n) => 16 * n) },
      { weight: 1, arbitrary: fc.constantFrom(17, RING_RAM, 0xffffffff) },
    ),
  });
}

export interface Round {
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
    addr: DATA + (p.offset % (RING_RAM - DATA - p.len + 1)), len: p.len, flags: (p.writable ? WRITE : 0) | (more ? NEXT : 0), next,
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

export interface RingScenario {
  size: number;
  eventIdx: boolean;
  indirect: boolean;
  /** Pattern that fills the data area, so echoed bytes are not all zero. */
  data: Uint8Array;
  rounds: Round[];
}

export const ringScenario: fc.Arbitrary<RingScenario> = fc.constantFrom(1, 2, 4, 8, 16).chain((size) => fc.record({
  size: fc.constant(size),
  eventIdx: fc.boolean(),
  indirect: fc.boolean(),
  data: fc.uint8Array({ minLength: 64, maxLength: 64 }),
  rounds: fc.array(round(size), { minLength: 1, maxLength: 3 }),
}));
