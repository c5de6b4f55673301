// The virtqueue fuzzer's oracle: the split-ring rules of the spec (virtio 1.2, 2.7),
// walked by a small separately written reference on a copy of guest memory, with an echo
// device simulated on that copy. The real model must end with the same bytes in RAM (or
// in DEVICE_NEEDS_RESET exactly when the reference finds a protocol error).
import type { MockQueue } from "./mock-driver.js";
import { INDIRECT, NEXT, RING_RAM, TABLE_BASE, TABLE_STRIDE, WRITE, type Round } from "./fuzz-rings.js";

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
  const fits = (addr: number, len: number) => addr + len <= RING_RAM;
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

export interface RefState {
  mem: Uint8Array;
  nextAvail: number;
  usedIdx: number;
  failed: boolean;
  processed: number;
  indirectProcessed: number;
}

export function newRefState(): RefState {
  return { mem: new Uint8Array(0), nextAvail: 0, usedIdx: 0, failed: false, processed: 0, indirectProcessed: 0 };
}

/** What the echo device must do with the ring as it is in `s.mem` now. */
export function refRun(s: RefState, q: MockQueue, indirectOk: boolean): void {
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
export function driverWrites(q: MockQueue, r: Round, nextAvail: number): void {
  r.descs.forEach((d, i) => q.writeDesc(i, d));
  r.tables.forEach((t, ti) => t.forEach((d, i) => q.writeDesc(i, d, TABLE_BASE + ti * TABLE_STRIDE)));
  r.heads.forEach((h, i) => q.setAvailSlot((nextAvail + i) & (q.size - 1), h));
  q.usedEvent = r.usedEvent;
  q.availFlags = r.availFlags;
  q.availIdx = (nextAvail + r.advance) & 0xffff;
}

/**
 * First byte where `actual` differs from `expected`, except the two used-ring fields whose
 * value depends on timing (flags and avail_event, checked apart). Compares natively first:
 * nearly every round has no difference at all.
 */
export function firstDifference(actual: Uint8Array, expected: Uint8Array, q: MockQueue): number | undefined {
  const skip = [q.usedAddr, q.usedAddr + 1, q.usedAddr + 4 + 8 * q.size, q.usedAddr + 5 + 8 * q.size];
  const e = expected.slice();
  for (const i of skip) e[i] = actual[i]!;
  if (Buffer.from(actual.buffer, actual.byteOffset, actual.length).equals(e)) return undefined;
  for (let i = 0; i < actual.length; i++) if (actual[i] !== e[i]) return i;
  return undefined;
}
