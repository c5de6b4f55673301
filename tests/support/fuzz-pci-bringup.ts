// A correct virtio-pci bring-up, done through the PCI fuzzer's guest side the way Linux
// does it (virtio 1.2, 3.1.1 and 4.1.4): program BAR 0, find the capabilities, reset,
// check the device came back clean, negotiate, set up every queue, DRIVER_OK, then one
// chain through an echo device with a doorbell write and the ISR read. After any amount of
// fuzzing this must still work: it is the PCI fuzzer's "reset brings it back" invariant.
// It can also stop half-way, leaving the device in an intermediate state to fuzz.
import { STATUS_FEATURES_OK } from "../../src/virtio/features.js";
import { COMMON, type PciFuzzDriver, type VirtioCaps } from "./fuzz-pci-driver.js";
import type { MockDriver } from "./mock-driver.js";

export interface BringUpPlan {
  /** Where to put BAR 0. */
  base: number;
  /** Feature bits 0-63 the driver accepts if offered (VERSION_1 is always accepted). */
  wanted: bigint;
  /** Entries to use in each queue (at least 2: the echo chain has two descriptors), capped at the queue's maximum. */
  queueSize: number;
  /** The queue that carries the echo. */
  echoQueue: number;
  payload: Uint8Array;
  /** Stop after this many of the five phases (5: all, and the echo is checked). */
  phases: number;
}

/** Fixed ring places in the fuzzer's RAM: queue i's rings in the RING_BASE bytes from RING_BASE * (i + 1). */
const RING_BASE = 0x200;

/** Where queue `q` of `size` entries has its rings after bringUpOverPci. */
export function ringOf(q: number, size: number): { descAddr: number; availAddr: number; usedAddr: number } {
  const at = RING_BASE * (q + 1);
  return { descAddr: at, availAddr: at + 16 * size, usedAddr: at + 0x100 };
}
const DATA_IN = 0x1000;
const DATA_OUT = 0x1100;
const ECHO_ROOM = 32;
const VERSION_1 = 1n << 32n;

export class BringUpError extends Error {
  override name = "BringUpError";
}

function expectValue(what: string, actual: number | undefined, expected: number): void {
  if (actual !== expected) throw new BringUpError(`${what}: read ${String(actual)}, expected ${expected}`);
}

/**
 * Brings the device up per `plan`, with the capabilities the driver found when it probed
 * the function; `maxSizes` are the queue sizes the device must show after reset.
 */
export function bringUpOverPci(d: PciFuzzDriver, caps: VirtioCaps, ram: MockDriver, maxSizes: readonly number[], plan: BringUpPlan): void {
  d.mapBar(plan.base);
  const base = d.programmedBase();
  const read = (reg: number, size: 1 | 2 | 4) => d.barRead(base, caps.common + reg, size);
  const write = (reg: number, size: 1 | 2 | 4, value: number) => d.barWrite(base, caps.common + reg, size, value);
  const status = (value: number) => write(COMMON.status, 1, value);

  // Phase 1: reset, and the device presents its reset state (4.1.4.3.2).
  status(0);
  expectValue("status after reset", read(COMMON.status, 1), 0);
  expectValue("num_queues", read(COMMON.numQueues, 2), maxSizes.length);
  maxSizes.forEach((max, q) => {
    write(COMMON.queueSelect, 2, q);
    expectValue(`queue ${q} size after reset`, read(COMMON.queueSize, 2), max);
    expectValue(`queue ${q} enable after reset`, read(COMMON.queueEnable, 2), 0);
    expectValue(`queue ${q} desc after reset`, read(COMMON.queueDesc, 4), 0);
  });
  if (plan.phases < 2) return;

  // Phase 2: ACKNOWLEDGE, DRIVER, features.
  status(1);
  status(3);
  write(COMMON.deviceFeatureSelect, 4, 0);
  const lo = read(COMMON.deviceFeature, 4) ?? 0;
  write(COMMON.deviceFeatureSelect, 4, 1);
  const hi = read(COMMON.deviceFeature, 4) ?? 0;
  const offered = (BigInt(hi) << 32n) | BigInt(lo);
  if (!(offered & VERSION_1)) throw new BringUpError(`device does not offer VERSION_1 (offered 0x${offered.toString(16)})`);
  const accepted = offered & (plan.wanted | VERSION_1);
  write(COMMON.driverFeatureSelect, 4, 0);
  write(COMMON.driverFeature, 4, Number(accepted & 0xffffffffn));
  write(COMMON.driverFeatureSelect, 4, 1);
  write(COMMON.driverFeature, 4, Number(accepted >> 32n));
  if (plan.phases < 3) return;

  // Phase 3: FEATURES_OK, re-read.
  status(0x0b);
  expectValue("status after FEATURES_OK", (read(COMMON.status, 1) ?? 0) & STATUS_FEATURES_OK, STATUS_FEATURES_OK);
  if (plan.phases < 4) return;

  // Phase 4: every queue, rings zeroed as a fresh allocation would be.
  const notifyOffs: number[] = [];
  maxSizes.forEach((max, q) => {
    const size = Math.min(plan.queueSize, max);
    const ring = ringOf(q, size);
    ram.bytes.fill(0, ring.descAddr, ring.descAddr + RING_BASE);
    write(COMMON.queueSelect, 2, q);
    write(COMMON.queueSize, 2, size);
    write(COMMON.queueDesc, 4, ring.descAddr);
    write(COMMON.queueDesc + 4, 4, 0);
    write(COMMON.queueDriver, 4, ring.availAddr);
    write(COMMON.queueDriver + 4, 4, 0);
    write(COMMON.queueDevice, 4, ring.usedAddr);
    write(COMMON.queueDevice + 4, 4, 0);
    write(COMMON.queueEnable, 2, 1);
    expectValue(`queue ${q} enable`, read(COMMON.queueEnable, 2), 1);
    notifyOffs.push(read(COMMON.queueNotifyOff, 2) ?? 0);
  });
  if (plan.phases < 5) return;

  // Phase 5: DRIVER_OK, then one chain echoed.
  status(0x0f);
  expectValue("status after DRIVER_OK", read(COMMON.status, 1), 0x0f);
  const q = plan.echoQueue;
  const size = Math.min(plan.queueSize, maxSizes[q]!);
  const mq = ram.newQueue(size, ringOf(q, size));
  ram.write(DATA_IN, plan.payload);
  ram.bytes.fill(0, DATA_OUT, DATA_OUT + ECHO_ROOM);
  // Two descriptors, the readable one second, so the chain starts at head 1 and links back.
  mq.writeDesc(1, { addr: DATA_IN, len: plan.payload.length, flags: 1 /* NEXT */, next: 0 });
  mq.writeDesc(0, { addr: DATA_OUT, len: ECHO_ROOM, flags: 2 /* WRITE */, next: 0 });
  mq.setAvailSlot(0, 1);
  mq.availIdx = 1;
  d.barWrite(base, caps.notify + notifyOffs[q]! * caps.multiplier, 2, q);
  expectValue("used.idx after the kick", mq.usedIdx, 1);
  const used = mq.usedElem(0);
  expectValue("used id", used.id, 1);
  expectValue("used len", used.len, plan.payload.length);
  const out = ram.read(DATA_OUT, plan.payload.length);
  if (out.some((b, i) => b !== plan.payload[i])) throw new BringUpError(`echoed bytes differ: ${out.join(",")}`);
  expectValue("ISR queue bit", (d.barRead(base, caps.isr, 1) ?? 0) & 1, 1);
  expectValue("status after the echo", read(COMMON.status, 1), 0x0f);
}
