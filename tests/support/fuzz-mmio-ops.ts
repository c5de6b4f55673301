// The guest side of the virtio-mmio fuzzer (tests/unit/mmio-fuzz.test.ts): what a random
// driver does to a window (register and config accesses of every width at every offset,
// accesses to the unclaimed rest of the 128 KiB block, chains of random descriptors in the
// rings the registers point at, doorbells, interrupt acknowledgements, resets and correct
// bring-ups), and how each is carried out.
//
// Guest RAM is laid out in zones so that "the device wrote nowhere it was not told to"
// can be checked: ring structures live in RING_ZONE (every address register value the
// fuzzer writes is there or outside RAM), buffers in BUFFER_ZONE (every descriptor address
// it writes is there or outside RAM), and SENTINEL_ZONE is never pointed at and must never
// change. Payload bytes come from 0x40-0xff: no zero or small byte, so bytes the device
// copies about can never be read back as an address inside RAM.
import fc from "fast-check";
import type { FakePlatform } from "./fake-platform.js";
import type { GuardedDriver } from "./fuzz-memory.js";
import type { MmioDriver } from "./mmio-driver.js";
import { REG } from "../../src/virtio-mmio/layout.js";
import type { VirtioDeviceModel } from "../../src/virtio/device-model.js";

export const RAM_SIZE = 0x4000;
export const RING_ZONE = { start: 0x0000, end: 0x2000 };
export const BUFFER_ZONE = { start: 0x2000, end: 0x3000 };
export const SENTINEL_ZONE = { start: 0x3000, end: 0x4000 };
export const SENTINEL_FILL = 0x5a;
/** The fixed ring places of a correct bring-up: queue i at RING_ZONE.start + 0x400 * (i + 1). */
export const RING_STRIDE = 0x400;

export type MmioOp =
  | { kind: "access"; offset: number; size: 1 | 2 | 4; write: boolean; value: number }
  | { kind: "chain"; queue: number; descs: FuzzDesc[]; head: number; payload: number[] }
  | { kind: "notify"; queue: number }
  | { kind: "interrupt"; ackAll: boolean; mask: number }
  | { kind: "reset" }
  | { kind: "bringUp"; queueSize: number; features: bigint };

export interface FuzzDesc {
  addr: number;
  len: number;
  flags: number;
  next: number;
}

/** A 32-bit value, never an address inside the buffer or sentinel zones (see above). */
const value32 = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(0, 1, 2, 3, 4, 7, 8, 0xb, 0xf, 0x40, 0x80, 0xff, 0x100, 0x10000, 0xffff, 0xffffffff, 0x10008) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: (RING_ZONE.end - 0x100) / 16 }).map((n) => n * 16) },
  { weight: 2, arbitrary: fc.nat({ max: 0xffffffff }).map((v) => (v >= BUFFER_ZONE.start && v < SENTINEL_ZONE.end ? v + 0x10000 : v)) },
);

const REGISTER_OFFSETS = Object.values(REG);
const access = fc.oneof(
  // Registers as Linux touches them: aligned 32-bit.
  { weight: 6, arbitrary: fc.record({ offset: fc.constantFrom(...REGISTER_OFFSETS), size: fc.constant(4 as const) }) },
  // Any width at any offset of the window, and beyond it in the same block.
  { weight: 3, arbitrary: fc.record({ offset: fc.nat({ max: 0x1ff }), size: fc.constantFrom(1 as const, 2 as const, 4 as const) }) },
  { weight: 1, arbitrary: fc.record({ offset: fc.integer({ min: 0x200, max: 0x1ffff }), size: fc.constantFrom(1 as const, 4 as const) }) },
);

const desc: fc.Arbitrary<FuzzDesc> = fc.record({
  addr: fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: BUFFER_ZONE.start, max: BUFFER_ZONE.end - 1 }) },
    { weight: 1, arbitrary: fc.constantFrom(RAM_SIZE, 0xffffffff, 2 ** 40, BUFFER_ZONE.end - 1) },
  ),
  len: fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 0, max: 0x100 }) }, { weight: 1, arbitrary: fc.constantFrom(0xffffffff, 0x80000000) }),
  flags: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(0, 1, 2, 3) }, { weight: 1, arbitrary: fc.nat({ max: 0xffff }) }),
  next: fc.oneof({ weight: 4, arbitrary: fc.nat({ max: 8 }) }, { weight: 1, arbitrary: fc.nat({ max: 0xffff }) }),
});

export const mmioOp: fc.Arbitrary<MmioOp> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ kind: fc.constant("access" as const), write: fc.boolean(), value: value32 }).chain((a) => access.map((w) => ({ ...a, ...w }))) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("chain" as const), queue: fc.nat({ max: 2 }), descs: fc.array(desc, { minLength: 1, maxLength: 6 }),
      head: fc.oneof({ weight: 5, arbitrary: fc.nat({ max: 5 }) }, { weight: 1, arbitrary: fc.nat({ max: 0xffff }) }),
      payload: fc.array(fc.integer({ min: 0x40, max: 0xff }), { minLength: 1, maxLength: 32 }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("notify" as const), queue: fc.oneof({ weight: 5, arbitrary: fc.nat({ max: 2 }) }, { weight: 1, arbitrary: fc.nat() }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("interrupt" as const), ackAll: fc.boolean(), mask: fc.nat({ max: 0xffffffff }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: "reset" as const }) },
  { weight: 1, arbitrary: bringUpOp() },
);

export function bringUpOp(): fc.Arbitrary<Extract<MmioOp, { kind: "bringUp" }>> {
  return fc.record({
    kind: fc.constant("bringUp" as const),
    queueSize: fc.constantFrom(2, 4, 8),
    // VERSION_1 always; EVENT_IDX, INDIRECT_DESC and the echo device's test bit at random.
    features: fc.subarray([1n << 29n, 1n << 28n, 1n]).map((bits) => bits.reduce((a, b) => a | b, 1n << 32n)),
  });
}

/** Everything an operation needs: the window's driver, guest RAM and the device model. */
export interface MmioFuzzTarget {
  platform: FakePlatform;
  driver: MmioDriver;
  ram: GuardedDriver;
  model: VirtioDeviceModel;
  /** Calls the transport directly (v86 never delivers a 2-byte access; the transport must still take one). */
  direct: { read(offset: number, size: 1 | 2 | 4): number; write(offset: number, size: 1 | 2 | 4, value: number): void };
}

/** Carries out `op`; returns the value read, if it read one, with its width. */
export function runMmioOp(t: MmioFuzzTarget, op: MmioOp): { value: number; size: number } | undefined {
  const { driver } = t;
  switch (op.kind) {
    case "access": {
      const { offset, size, write, value } = op;
      if (size === 2) {
        if (write) t.direct.write(offset, 2, value & 0xffff);
        else return { value: t.direct.read(offset, 2), size };
        return undefined;
      }
      const addr = driver.base + offset;
      if (write) t.platform.writeMmio(addr, size, size === 1 ? value & 0xff : value);
      else return { value: t.platform.readMmio(addr, size) ?? 0, size };
      return undefined;
    }
    case "chain":
      writeChain(t, op);
      return undefined;
    case "notify":
      driver.notify(op.queue);
      return undefined;
    case "interrupt": {
      const status = driver.readl(REG.InterruptStatus);
      driver.writel(REG.InterruptACK, op.ackAll ? status : op.mask);
      return { value: status, size: 4 };
    }
    case "reset":
      driver.status = 0;
      return undefined;
    case "bringUp":
      bringUpAtFixedRings(t, op.queueSize, op.features);
      return undefined;
  }
}

/**
 * A correct bring-up (driver order as Linux's) with queue i's rings at a fixed place in
 * RING_ZONE; the device may refuse features it does not offer (then FAILED, as Linux does).
 */
export function bringUpAtFixedRings(t: MmioFuzzTarget, queueSize: number, features: bigint): void {
  const { driver } = t;
  driver.status = 0;
  driver.status = 1;
  driver.status = 3;
  driver.writeDriverFeatures(features & driver.deviceFeatures());
  driver.status = 0xb;
  if (!(driver.status & 8)) {
    driver.status = driver.status | 0x80;
    return;
  }
  for (let i = 0; ; i++) {
    driver.writel(REG.QueueSel, i);
    const max = driver.readl(REG.QueueNumMax);
    if (max === 0) break;
    const size = Math.min(max, queueSize);
    driver.writel(REG.QueueNum, size);
    const at = RING_ZONE.start + RING_STRIDE * (i + 1);
    const ring = { descAddr: at, availAddr: at + 16 * size, usedAddr: at + 0x200 };
    t.ram.bytes.fill(0, at, at + RING_STRIDE);
    driver.setRings(ring);
    driver.writel(REG.QueueReady, 1);
  }
  driver.status = driver.status | 4;
}

/** Writes descriptors from 0 up into queue `op.queue`'s table, its payload into the readable buffers, and publishes `head`. */
function writeChain(t: MmioFuzzTarget, op: Extract<MmioOp, { kind: "chain" }>): void {
  const q = t.model.queues.configs[op.queue];
  if (!q) return;
  const { descAddr, availAddr } = q.layout;
  const size = Math.max(1, q.size);
  // Only into rings that lie in RING_ZONE: the registers may point anywhere.
  if (!inRingZone(descAddr, 16 * op.descs.length) || !inRingZone(availAddr, 4 + 2 * size)) return;
  const mem = t.ram.memory;
  op.descs.forEach((d, i) => {
    const at = descAddr + 16 * i;
    mem.write32(at, d.addr % 2 ** 32);
    mem.write32(at + 4, Math.floor(d.addr / 2 ** 32) >>> 0);
    mem.write32(at + 8, d.len >>> 0);
    mem.write16(at + 12, d.flags);
    mem.write16(at + 14, d.next);
    if (!(d.flags & 2) && d.addr >= BUFFER_ZONE.start && d.addr < BUFFER_ZONE.end) {
      const room = Math.min(d.len, BUFFER_ZONE.end - d.addr, op.payload.length);
      t.ram.bytes.set(op.payload.slice(0, room), d.addr);
    }
  });
  const idx = mem.read16(availAddr + 2);
  mem.write16(availAddr + 4 + 2 * (idx % size), op.head);
  mem.write16(availAddr + 2, (idx + 1) & 0xffff);
}

function inRingZone(addr: number, len: number): boolean {
  return addr >= RING_ZONE.start && addr + len <= RING_ZONE.end;
}
