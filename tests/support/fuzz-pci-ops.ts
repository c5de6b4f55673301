// What the PCI fuzzer's guest does, one generated operation at a time: configuration
// cycles (ours, other devfns, other buses, enable bit off), address-latch accesses of any
// width, data-port accesses with whatever the latch holds, BAR accesses anywhere in and
// just past the BAR, writes to the virtio common configuration with the values that break
// the protocol (out-of-range queue_select, bad queue sizes, status going backwards,
// feature windows that do not exist), doorbells for queues that do not exist, the
// PCI-configuration-access capability's window aimed anywhere, PIIX PIRQ reroutes, garbage
// in guest RAM, machine resets, BAR placement as firmware does it, and correct bring-ups (whole or stopped half-way) so the
// rest runs against a live device too.
import fc from "fast-check";
import type { AccessSize } from "../../src/platform/platform.js";
import { bringUpOverPci, ringOf, type BringUpPlan } from "./fuzz-pci-bringup.js";
import { COMMON, fits, type PciFuzzDriver, type VirtioCaps } from "./fuzz-pci-driver.js";
import type { MockDriver, RawDescriptor } from "./mock-driver.js";

export type PciOp =
  | { kind: "config"; ours: boolean; devfn: number; bus: number; enabled: boolean; reg: number; size: AccessSize; write: boolean; value: number }
  | { kind: "latch"; port: number; size: AccessSize; write: boolean; value: number }
  | { kind: "data"; port: number; size: AccessSize; write: boolean; value: number }
  | { kind: "bar"; offset: number; size: AccessSize; write: boolean; value: number }
  | { kind: "common"; reg: keyof typeof COMMON; value: number }
  | { kind: "notify"; slot: number; size: AccessSize; value: number }
  | { kind: "pciCfg"; bar: number; offset: number; length: number; at: number; size: AccessSize; write: boolean; value: number }
  | { kind: "pirq"; link: number; value: number }
  | { kind: "ram"; addr: number; bytes: Uint8Array }
  | { kind: "ring"; queue: number; index: number; desc: RawDescriptor; advance: number }
  | { kind: "machineReset" }
  /** What firmware does: BAR 0 at an address, decoding on. */
  | { kind: "mapBar"; baseChoice: number }
  | { kind: "bringUp"; plan: BringUpPlan; baseChoice: number };

const size: fc.Arbitrary<AccessSize> = fc.constantFrom(1, 2, 4);
const u32 = fc.integer({ min: 0, max: 0xffffffff });
/** Values that matter: all ones (BAR sizing), zero, the status and size values drivers write, anything. */
const value = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(0, 0xffffffff, 1, 2, 3, 4, 8, 0x0b, 0x0f, 0x40, 0x80, 0xff, 0x100, 0xffff, 0x1ff0, 0x2000, 0xfebc0000, 0xc001) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 16 }) },
  { weight: 3, arbitrary: u32 },
);
/** Header registers, the capability area, and anywhere. */
const configReg = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(0x00, 0x04, 0x06, 0x0c, 0x0e, 0x10, 0x11, 0x13, 0x14, 0x18, 0x24, 0x30, 0x34, 0x3c, 0x3d, 0xfc, 0xff) },
  { weight: 4, arbitrary: fc.integer({ min: 0x40, max: 0xa0 }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 0xff }) },
);
const commonReg = fc.constantFrom(...(Object.keys(COMMON) as (keyof typeof COMMON)[]));

export function pciPlan(): fc.Arbitrary<BringUpPlan> {
  return fc.record({
    base: fc.constant(0),
    wanted: fc.constantFrom(0n, 1n << 28n, 1n << 29n, 3n << 28n, 0xffffffffn),
    queueSize: fc.constantFrom(2, 4, 8),
    echoQueue: fc.constantFrom(0, 1),
    payload: fc.uint8Array({ minLength: 1, maxLength: 32 }),
    phases: fc.oneof({ weight: 3, arbitrary: fc.constant(5) }, { weight: 2, arbitrary: fc.integer({ min: 1, max: 4 }) }),
  });
}

const configCycle = fc.record({
  kind: fc.constant("config" as const), ours: fc.oneof({ weight: 8, arbitrary: fc.constant(true) }, { weight: 2, arbitrary: fc.constant(false) }),
  devfn: fc.oneof(fc.constant(0x08), fc.integer({ min: 0, max: 0xff })),
  bus: fc.oneof({ weight: 9, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 0xff }) }),
  enabled: fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  reg: configReg, size, write: fc.boolean(), value,
});
const latch = fc.record({ kind: fc.constant("latch" as const), port: fc.integer({ min: 0xcf8, max: 0xcfb }), size, write: fc.boolean(), value });
const data = fc.record({ kind: fc.constant("data" as const), port: fc.integer({ min: 0xcfc, max: 0xcff }), size, write: fc.boolean(), value });
const pciCfg = fc.record({
  kind: fc.constant("pciCfg" as const),
  bar: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xff }) }),
  offset: fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 0, max: 0xff }) },
    { weight: 1, arbitrary: fc.constantFrom(0x1fffc, 0x1ffff, 0x20000, 0xfc, 0x100, 0xfffffffc) },
    { weight: 1, arbitrary: u32 },
  ),
  length: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(1, 2, 4) }, { weight: 1, arbitrary: u32 }),
  at: fc.integer({ min: 0, max: 3 }), size, write: fc.boolean(), value,
});
const pirq = fc.record({ kind: fc.constant("pirq" as const), link: fc.integer({ min: 0, max: 3 }), value: fc.oneof(fc.constantFrom(0x80, 5, 9, 10, 11, 0, 2, 13), fc.integer({ min: 0, max: 0xff })) });
const machineReset = fc.constant({ kind: "machineReset" as const });
const mapBar = fc.record({ kind: fc.constant("mapBar" as const), baseChoice: fc.integer({ min: 0, max: 2 }) });

/** Configuration-space operations only: cheap, and what firmware and the PCI core do. */
export const configOp: fc.Arbitrary<PciOp> = fc.oneof(
  { weight: 8, arbitrary: configCycle },
  { weight: 1, arbitrary: latch },
  { weight: 2, arbitrary: data },
  { weight: 3, arbitrary: pciCfg },
  { weight: 1, arbitrary: pirq },
  { weight: 1, arbitrary: machineReset },
  { weight: 2, arbitrary: mapBar },
);

/** Every kind of operation, weighted towards the device: BAR, common configuration, rings. */
export function pciOp(ramSize: number): fc.Arbitrary<PciOp> {
  return fc.oneof(
    { weight: 6, arbitrary: configCycle },
    { weight: 1, arbitrary: latch },
    { weight: 1, arbitrary: data },
    { weight: 6, arbitrary: fc.record({
      kind: fc.constant("bar" as const),
      // Negative: from the BAR's end (the last bytes, and accesses running past it).
      offset: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 0xff }) }, { weight: 1, arbitrary: fc.integer({ min: -4, max: -1 }) }, { weight: 1, arbitrary: fc.nat(0x1ffff) }),
      size, write: fc.boolean(), value,
    }) },
    { weight: 8, arbitrary: fc.record({ kind: fc.constant("common" as const), reg: commonReg, value }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("notify" as const), slot: fc.integer({ min: 0, max: 5 }), size, value: fc.oneof(fc.integer({ min: 0, max: 3 }), value) }) },
    { weight: 3, arbitrary: pciCfg },
    { weight: 1, arbitrary: pirq },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("ram" as const), addr: fc.integer({ min: 0, max: ramSize - 1 }), bytes: fc.uint8Array({ minLength: 1, maxLength: 32 }) }) },
    { weight: 4, arbitrary: fc.record({
      kind: fc.constant("ring" as const), queue: fc.constantFrom(0, 1), index: fc.integer({ min: 0, max: 7 }),
      desc: fc.record({
        // Inside RAM, straddling its end, past it, beyond 4 GiB.
        addr: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: ramSize - 1 }) }, { weight: 1, arbitrary: fc.constantFrom(ramSize - 8, ramSize, 2 ** 32, 2 ** 52) }),
        len: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 64 }) }, { weight: 1, arbitrary: fc.constantFrom(16, 32, ramSize, 0xffffffff) }),
        flags: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(0, 1, 2, 3, 4) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) }),
        next: fc.integer({ min: 0, max: 9 }),
      }),
      advance: fc.oneof({ weight: 6, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) }),
    }) },
    { weight: 1, arbitrary: machineReset },
    { weight: 1, arbitrary: mapBar },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("bringUp" as const), plan: pciPlan(), baseChoice: fc.integer({ min: 0, max: 2 }) }) },
  );
}

/** BAR addresses firmware might pick: 128 KiB-aligned memory below 4 GiB, 256-byte-aligned ports from 0x1000. */
export function barBase(io: boolean, choice: number): number {
  return (io ? [0xc000, 0xc100, 0x1000] : [0xfebc0000, 0xc0000000, 0x80020000])[choice % 3]!;
}

/** Everything an operation acts on. */
export interface PciFuzzTarget {
  /** Entries per queue of the last bring-up (where "ring" operations find avail.idx). */
  queueSize: number;
  driver: PciFuzzDriver;
  caps: VirtioCaps;
  ram: MockDriver;
  /** Queue sizes the device shows after reset. */
  maxSizes: readonly number[];
  /** BAR 0's address as configuration space holds it, read without a configuration cycle (which would move the latch). */
  barAddress(): number;
  machineReset(): void;
}

/** Performs `op`. Reads are checked to fit their width by the driver; anything thrown is a finding. */
export function runPciOp(t: PciFuzzTarget, op: PciOp): void {
  const d = t.driver;
  const io = d.barKind === "io";
  const base = () => t.barAddress();
  switch (op.kind) {
    case "config": {
      const devfn = op.ours ? d.devfn : op.devfn;
      const address = ((op.enabled ? 0x8000_0000 : 0) | (op.bus << 16) | (devfn << 8) | (op.reg & 0xfc)) >>> 0;
      d.platform.outPort(0xcf8, 4, address);
      dataAccess(d, 0xcfc + (op.reg & 3), op.size, op.write, op.value);
      break;
    }
    case "latch":
    case "data":
      dataAccess(d, op.port, op.size, op.write, op.value);
      break;
    case "bar": {
      // I/O BARs are 256 ports: keep the access within a couple of BARs' worth of ports.
      const offset = op.offset < 0 ? d.barSize + op.offset : io ? op.offset % 0x200 : op.offset;
      if (op.write) d.barWrite(base(), offset, op.size, op.value);
      else d.barRead(base(), offset, op.size);
      break;
    }
    case "common": {
      const reg = COMMON[op.reg];
      const width: AccessSize = reg === COMMON.status || reg === COMMON.configGeneration ? 1 : reg >= COMMON.msixConfig && reg < COMMON.queueDesc ? 2 : 4;
      d.barWrite(base(), t.caps.common + reg, width, op.value);
      break;
    }
    case "notify": {
      const step = t.caps.multiplier === 0 ? 2 : t.caps.multiplier;
      d.barWrite(base(), t.caps.notify + op.slot * step, op.size, op.value);
      break;
    }
    case "pciCfg": {
      const cap = t.caps.pciCfg;
      d.configWrite(cap + 4, 1, op.bar);
      d.configWrite(cap + 8, 4, op.offset);
      d.configWrite(cap + 12, 4, op.length);
      // The data field at any alignment: an access at +17..+19 straddles its end.
      if (op.write) d.configWrite(cap + 16 + op.at, op.size, op.value);
      else d.configRead(cap + 16 + op.at, op.size);
      break;
    }
    case "pirq":
      d.configWrite(0x60 + op.link, 1, op.value, 0x08);
      break;
    case "ram":
      t.ram.write(op.addr, op.bytes.subarray(0, t.ram.size - op.addr));
      break;
    case "ring": {
      // A driver adds one descriptor (valid or not) as a chain and rings the queue's doorbell.
      const size = Math.min(t.queueSize, t.maxSizes[op.queue]!);
      const q = t.ram.newQueue(size, ringOf(op.queue, size));
      q.writeDesc(op.index % size, op.desc);
      const idx = q.availIdx;
      q.setAvailSlot(idx % size, op.index);
      q.availIdx = idx + op.advance;
      const notifyOff = t.caps.multiplier === 0 ? 0 : op.queue * t.caps.multiplier;
      d.barWrite(base(), t.caps.notify + notifyOff, 2, op.queue);
      break;
    }
    case "machineReset":
      t.machineReset();
      break;
    case "mapBar":
      d.mapBar(barBase(io, op.baseChoice));
      break;
    case "bringUp":
      t.queueSize = op.plan.queueSize;
      bringUpOverPci(d, t.caps, t.ram, t.maxSizes, { ...op.plan, base: barBase(io, op.baseChoice) });
      break;
  }
}

function dataAccess(d: PciFuzzDriver, port: number, size: AccessSize, write: boolean, value: number): void {
  if (write) d.platform.outPort(port, size, size === 4 ? value >>> 0 : value & (2 ** (8 * size) - 1));
  else fits(d.platform.inPort(port, size), size, `in(0x${port.toString(16)})`);
}
