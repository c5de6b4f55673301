// The packed virtqueue fuzzer's oracle: the packed-ring rules of the spec (virtio 1.2,
// 2.8), walked by a small separately written reference on a copy of guest memory, with an
// echo device simulated on that copy; and the driver that lays a generated round out in
// the ring where it stands. The real model must end with the same bytes in RAM, or in
// DEVICE_NEEDS_RESET exactly when the reference finds a protocol error.
//
// Rules the reference applies (2.8.1, 2.8.13, 2.8.14): a slot is available when AVAIL
// equals the expected wrap counter and USED does not; a chain runs through consecutive
// slots while NEXT is set, the expected wrap flipping at the ring's end, every slot of it
// available, at most `size` slots; ring flags are only NEXT, WRITE, INDIRECT, AVAIL,
// USED; an indirect descriptor needs the feature, stands alone (no NEXT, first of its
// chain) and points at a whole number of 16-byte entries inside RAM, of whose flags only
// WRITE counts (the rest are reserved and ignored); readable buffers come before writable ones, all inside RAM, at most 2^32
// bytes in all; the buffer ID is the last descriptor's and lies below `size`. The echo
// writes a used descriptor (id, len, flags AVAIL=USED=its wrap, WRITE when it wrote to
// writable buffers) at its used position and moves it by the chain's slots.
import type { PackedMockQueue } from "./packed-mock-driver.js";
import { DATA, RING_RAM, TABLE_BASE, TABLE_STRIDE, TABLES } from "./fuzz-rings.js";
import { AVAIL, INDIRECT, NEXT, USED, WRITE, type Mark, type PackedRound } from "./packed-fuzz-rings.js";

type Buffers = [number, number][];
type Walk = { readable: Buffers; writable: Buffers; id: number; slots: number; indirect: boolean } | undefined;

const availableFor = (flags: number, wrap: boolean) => ((flags & AVAIL) !== 0) === wrap && ((flags & USED) !== 0) !== wrap;

export function refWalk(m: DataView, size: number, ringAddr: number, slot: number, wrap: boolean, indirectOk: boolean): Walk {
  const readable: Buffers = [];
  const writable: Buffers = [];
  let total = 0;
  let sawWritable = false;
  const read = (at: number) => {
    const hi = m.getUint32(at + 4, true);
    return { addr: hi * 2 ** 32 + m.getUint32(at, true), len: m.getUint32(at + 8, true), id: m.getUint16(at + 12, true), flags: m.getUint16(at + 14, true) };
  };
  const fits = (addr: number, len: number) => addr + len <= RING_RAM;
  const take = (addr: number, len: number, w: boolean): boolean => {
    if ((!w && sawWritable) || !fits(addr, len)) return false;
    total += len;
    if (total > 0xffffffff) return false;
    sawWritable ||= w;
    if (len > 0) (w ? writable : readable).push([addr, len]);
    return true;
  };
  let at = slot;
  let expected = wrap;
  for (let n = 1; n <= size; n++) {
    const d = read(ringAddr + 16 * at);
    if (!availableFor(d.flags, expected) || d.flags & ~(NEXT | WRITE | INDIRECT | AVAIL | USED)) return undefined;
    const indirect = (d.flags & INDIRECT) !== 0;
    if (indirect) {
      if (!indirectOk || d.flags & NEXT || n > 1) return undefined;
      const entries = d.len / 16;
      if (d.len === 0 || !Number.isInteger(entries) || entries > 32768 || !fits(d.addr, d.len)) return undefined;
      for (let i = 0; i < entries; i++) {
        const e = read(d.addr + 16 * i);
        // Only WRITE counts inside a table; the other flags are reserved and ignored (2.8.7).
        if (!take(e.addr, e.len, (e.flags & WRITE) !== 0)) return undefined;
      }
    } else if (!take(d.addr, d.len, (d.flags & WRITE) !== 0)) {
      return undefined;
    }
    if (!(d.flags & NEXT)) return d.id < size ? { readable, writable, id: d.id, slots: n, indirect } : undefined;
    if (++at === size) {
      at = 0;
      expected = !expected;
    }
  }
  return undefined;
}

export interface PackedRefState {
  mem: Uint8Array;
  nextAvail: number;
  availWrap: boolean;
  nextUsed: number;
  usedWrap: boolean;
  /** Slots the echo returned in the last run. */
  movedSlots: number;
  failed: boolean;
  processed: number;
  indirectProcessed: number;
}

export function newPackedRefState(): PackedRefState {
  return { mem: new Uint8Array(0), nextAvail: 0, availWrap: true, nextUsed: 0, usedWrap: true, movedSlots: 0, failed: false, processed: 0, indirectProcessed: 0 };
}

/** What the echo device must do with the ring as it is in `s.mem` now. */
export function refRun(s: PackedRefState, q: PackedMockQueue, indirectOk: boolean): void {
  s.movedSlots = 0;
  if (s.failed) return;
  const m = new DataView(s.mem.buffer, s.mem.byteOffset, s.mem.length);
  // At most a lap: the slots it passes are then used descriptors or a past lap's, never available again.
  for (let chains = 0; ; chains++) {
    if (chains > q.size) throw new Error("reference walked more than a lap in one run");
    if (!availableFor(m.getUint16(q.descAddr + 16 * s.nextAvail + 14, true), s.availWrap)) return;
    const walk = refWalk(m, q.size, q.descAddr, s.nextAvail, s.availWrap, indirectOk);
    if (!walk) {
      s.failed = true;
      return;
    }
    const data = walk.readable.flatMap(([a, l]) => [...s.mem.slice(a, a + l)]);
    let written = 0;
    for (const [a, l] of walk.writable) {
      const n = Math.min(l, data.length - written);
      if (n <= 0) break;
      s.mem.set(data.slice(written, written + n), a);
      written += n;
    }
    const at = q.descAddr + 16 * s.nextUsed;
    m.setUint32(at + 8, written, true);
    m.setUint16(at + 12, walk.id, true);
    m.setUint16(at + 14, (walk.writable.length > 0 ? WRITE : 0) | (s.usedWrap ? AVAIL | USED : 0), true);
    [s.nextUsed, s.usedWrap] = step(q.size, s.nextUsed, s.usedWrap, walk.slots);
    [s.nextAvail, s.availWrap] = step(q.size, s.nextAvail, s.availWrap, walk.slots);
    s.movedSlots += walk.slots;
    s.processed++;
    if (walk.indirect) s.indirectProcessed++;
  }
}

function step(size: number, slot: number, wrap: boolean, by: number): [number, boolean] {
  const to = slot + by;
  return to >= size ? [to - size, !wrap] : [to, wrap];
}

/** AVAIL/USED bits for a slot marked `mark` where the device expects wrap counter `wrap`. */
function markBits(mark: Mark, wrap: boolean): number {
  switch (mark) {
    case "avail": return wrap ? AVAIL : USED;
    case "stale": return wrap ? USED : AVAIL;
    case "used": return wrap ? AVAIL | USED : 0;
    case "raw": return 0;
  }
}

/** Writes one round where the ring stands (`s`: the reference's positions), as a (possibly broken) driver would. */
export function layOutRound(q: PackedMockQueue, r: PackedRound, s: PackedRefState): void {
  const size = q.size;
  const slotAt = (i: number): [number, boolean] => step(size, s.nextAvail, s.availWrap, i % size);
  r.tables.forEach((t, ti) => t.forEach((d, i) => q.writeDesc(i, d, TABLE_BASE + ti * TABLE_STRIDE)));
  if (r.noise.length > 0) {
    r.noise.forEach((d, i) => {
      const [slot, wrap] = slotAt(i);
      q.writeDesc(slot, { ...d, flags: d.mark === "raw" ? d.flags : (d.flags & ~(AVAIL | USED)) | markBits(d.mark, wrap) });
    });
  }
  let used = 0;
  let tablesLeft = TABLES;
  const buffer = (p: { len: number; writable: boolean; offset: number }) => ({ addr: DATA + (p.offset % (RING_RAM - DATA - p.len + 1)), len: p.len });
  r.chains.forEach((c, id) => {
    const indirect = c.indirect && tablesLeft > 0;
    const slots = indirect ? 1 : c.parts.length;
    if (used + slots > size) return;
    if (indirect) {
      const table = TABLE_BASE + (TABLES - tablesLeft--) * TABLE_STRIDE;
      c.parts.forEach((p, i) => q.writeDesc(i, { ...buffer(p), id: 0, flags: p.writable ? WRITE : 0 }, table));
      const [slot, wrap] = slotAt(used);
      q.writeDesc(slot, { addr: table, len: 16 * c.parts.length, id, flags: INDIRECT | markBits("avail", wrap) });
    } else {
      c.parts.forEach((p, i) => {
        const [slot, wrap] = slotAt(used + i);
        q.writeDesc(slot, { ...buffer(p), id, flags: (p.writable ? WRITE : 0) | (i + 1 < c.parts.length ? NEXT : 0) | markBits("avail", wrap) });
      });
    }
    used += slots;
  });
  for (const mu of r.mutations) {
    if (mu.kind === "table") {
      const at = TABLE_BASE + mu.table * TABLE_STRIDE;
      const d = q.readDesc(mu.index, at);
      q.writeDesc(mu.index, { ...d, [mu.field]: mu.from[mu.field] }, at);
      continue;
    }
    const [slot] = slotAt(mu.index);
    const d = q.readDesc(slot);
    if (mu.kind === "slot") q.writeDesc(slot, { ...d, [mu.field]: mu.from[mu.field] });
    else if (mu.kind === "flip") q.writeDesc(slot, { ...d, flags: d.flags ^ (AVAIL | USED) });
    else if (d.flags & INDIRECT && d.len >= 16) q.writeDesc(slot, { ...d, len: d.len - 16 });
  }
  const e = r.driverEvent;
  const [slot, wrap] = step(size, s.nextUsed, s.usedWrap, e.ahead % size);
  q.driverOffWrap = e.raw ?? (slot | ((wrap !== e.flipWrap) ? 0x8000 : 0));
  q.driverEventFlags = e.flags;
}

/**
 * Whether the driver's event suppression asks for an interrupt after the used position
 * moved `moved` slots from (fromSlot, fromWrap) to the reference's (2.8.10): not on
 * DISABLE; on DESC with EVENT_IDX when the named slot lies in what was passed, counting
 * positions over two laps (slot + (wrap ? 0 : size)); otherwise yes. An offset past the
 * ring, a reserved flags value, or a whole lap passed, also yes.
 */
export function wantsInterrupt(s: PackedRefState, q: PackedMockQueue, eventIdx: boolean, fromSlot: number, fromWrap: boolean): boolean {
  if (s.movedSlots === 0) return false;
  const m = new DataView(s.mem.buffer, s.mem.byteOffset, s.mem.length);
  const flags = m.getUint16(q.driverEventAddr + 2, true);
  const offWrap = m.getUint16(q.driverEventAddr, true);
  if (flags === 1) return false;
  const off = offWrap & 0x7fff;
  if (flags !== 2 || !eventIdx || off >= q.size || s.movedSlots >= q.size) return true;
  const lap = 2 * q.size;
  const seq = (slot: number, wrap: boolean) => slot + (wrap ? 0 : q.size);
  const from = seq(fromSlot, fromWrap);
  const event = seq(off, (offWrap & 0x8000) !== 0);
  return (event - from + lap) % lap < (seq(s.nextUsed, s.usedWrap) - from + lap) % lap;
}
