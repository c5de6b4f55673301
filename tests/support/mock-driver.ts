// The driver side of split virtqueues, for unit tests: plain guest RAM, rings laid out
// the way Linux lays them out, chains added and published like virtqueue_add/kick do,
// used entries read back like virtqueue_get_buf. Also raw access to every ring field so
// a test can write what a broken or hostile driver would.
import { ArrayGuestMemory } from "../../src/memory/guest-memory.js";
import type { VirtioDeviceModel } from "../../src/virtio/device-model.js";
import {
  STATUS_ACKNOWLEDGE, STATUS_DRIVER, STATUS_DRIVER_OK, STATUS_FAILED, STATUS_FEATURES_OK, VIRTIO_F_RING_EVENT_IDX,
} from "../../src/virtio/features.js";
import { VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } from "../../src/virtio/split-descriptors.js";
import { vringNeedEvent } from "../../src/virtio/split-queue.js";

export interface RawDescriptor {
  addr: number;
  len: number;
  flags: number;
  next: number;
}

/** One buffer of a chain: bytes the device reads, or room for `write` bytes it writes. */
export type Part = { read: Uint8Array | string } | { write: number };

export interface UsedBuffer {
  head: number;
  len: number;
  /** The first `len` bytes of the chain's writable buffers, concatenated. */
  data: Uint8Array;
}

export class MockDriver {
  readonly bytes: Uint8Array;
  readonly memory: ArrayGuestMemory;
  private nextFree: number;

  /** `size` bytes of RAM; allocation starts at `base` so address 0 stays unused. */
  constructor(readonly size = 1 << 20, base = 0x1000) {
    this.bytes = new Uint8Array(size);
    this.memory = new ArrayGuestMemory(size, () => this.bytes);
    this.nextFree = base;
  }

  /** Bump allocation of guest memory (never freed: tests are short). */
  alloc(len: number, align = 16): number {
    const addr = Math.ceil(this.nextFree / align) * align;
    if (addr + len > this.size) throw new Error(`mock driver out of guest memory (${len} bytes)`);
    this.nextFree = addr + len;
    return addr;
  }

  write(addr: number, data: Uint8Array): void {
    this.bytes.set(data, addr);
  }

  read(addr: number, len: number): Uint8Array {
    return this.bytes.slice(addr, addr + len);
  }

  /** A zeroed split ring of `size` entries at fresh (or given) addresses. */
  newQueue(size: number, at: Partial<{ descAddr: number; availAddr: number; usedAddr: number }> = {}): MockQueue {
    const descAddr = at.descAddr ?? this.alloc(16 * size, 16);
    const availAddr = at.availAddr ?? this.alloc(6 + 2 * size, 2);
    const usedAddr = at.usedAddr ?? this.alloc(6 + 8 * size, 4);
    return new MockQueue(this, size, descAddr, availAddr, usedAddr);
  }
}

export class MockQueue {
  /** Set by bringUp() from the negotiated features; decides how needsKick() reads the ring. */
  eventIdx = false;
  private readonly free: number[] = [];
  private published = 0;
  private added = 0;
  private lastUsed = 0;
  private readonly writableOf = new Map<number, { addr: number; len: number }[]>();
  private readonly descsOf = new Map<number, number[]>();

  constructor(
    readonly driver: MockDriver,
    readonly size: number,
    readonly descAddr: number,
    readonly availAddr: number,
    readonly usedAddr: number,
  ) {
    for (let i = size - 1; i >= 0; i--) this.free.push(i);
  }

  private get mem() {
    return this.driver.memory;
  }

  // ---- raw ring fields ----

  writeDesc(index: number, d: RawDescriptor, table = this.descAddr): void {
    const at = table + 16 * index;
    this.mem.write32(at, d.addr % 0x100000000);
    this.mem.write32(at + 4, Math.floor(d.addr / 0x100000000));
    this.mem.write32(at + 8, d.len);
    this.mem.write16(at + 12, d.flags);
    this.mem.write16(at + 14, d.next);
  }

  get availFlags(): number { return this.mem.read16(this.availAddr); }
  set availFlags(v: number) { this.mem.write16(this.availAddr, v); }
  get availIdx(): number { return this.mem.read16(this.availAddr + 2); }
  set availIdx(v: number) { this.mem.write16(this.availAddr + 2, v & 0xffff); this.published = v & 0xffff; this.added = 0; }
  setAvailSlot(slot: number, head: number): void { this.mem.write16(this.availAddr + 4 + 2 * slot, head); }
  get usedEvent(): number { return this.mem.read16(this.availAddr + 4 + 2 * this.size); }
  set usedEvent(v: number) { this.mem.write16(this.availAddr + 4 + 2 * this.size, v & 0xffff); }

  get usedFlags(): number { return this.mem.read16(this.usedAddr); }
  get usedIdx(): number { return this.mem.read16(this.usedAddr + 2); }
  get availEvent(): number { return this.mem.read16(this.usedAddr + 4 + 8 * this.size); }
  usedElem(slot: number): { id: number; len: number } {
    const at = this.usedAddr + 4 + 8 * slot;
    return { id: this.mem.read32(at), len: this.mem.read32(at + 4) };
  }

  // ---- driver operations ----

  /**
   * Lays out a chain (direct, or one descriptor pointing at an indirect table) and puts
   * its head in the next available slot, unpublished until publish(). Returns the head.
   */
  addChain(parts: Part[], opts: { indirect?: boolean } = {}): number {
    const buffers = parts.map((p) => {
      if ("write" in p) return { addr: this.driver.alloc(Math.max(p.write, 1), 8), len: p.write, writable: true };
      const data = typeof p.read === "string" ? new TextEncoder().encode(p.read) : p.read;
      const addr = this.driver.alloc(Math.max(data.length, 1), 8);
      this.driver.write(addr, data);
      return { addr, len: data.length, writable: false };
    });
    const link = (i: number, n: number) => (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0);
    let head: number;
    if (opts.indirect) {
      const table = this.driver.alloc(16 * buffers.length, 16);
      buffers.forEach((b, i) => this.writeDesc(i, {
        addr: b.addr, len: b.len, flags: (b.writable ? VIRTQ_DESC_F_WRITE : 0) | link(i, buffers.length), next: i + 1 < buffers.length ? i + 1 : 0,
      }, table));
      head = this.takeDescs(1)[0]!;
      this.writeDesc(head, { addr: table, len: 16 * buffers.length, flags: VIRTQ_DESC_F_INDIRECT, next: 0 });
      this.descsOf.set(head, [head]);
    } else {
      const descs = this.takeDescs(buffers.length);
      buffers.forEach((b, i) => this.writeDesc(descs[i]!, {
        addr: b.addr, len: b.len, flags: (b.writable ? VIRTQ_DESC_F_WRITE : 0) | link(i, buffers.length), next: descs[i + 1] ?? 0,
      }));
      head = descs[0]!;
      this.descsOf.set(head, descs);
    }
    this.writableOf.set(head, buffers.filter((b) => b.writable));
    this.putHead(head);
    return head;
  }

  /** Puts any head index (valid or not) in the next available slot, unpublished. */
  putHead(head: number): void {
    this.setAvailSlot((this.published + this.added) & (this.size - 1), head);
    this.added++;
  }

  /** Makes the added chains visible: avail.idx += added. Returns the old avail.idx. */
  publish(): number {
    const old = this.published;
    this.published = (this.published + this.added) & 0xffff;
    this.added = 0;
    this.mem.write16(this.availAddr + 2, this.published);
    return old;
  }

  /** addChain + publish. */
  add(parts: Part[], opts: { indirect?: boolean } = {}): number {
    const head = this.addChain(parts, opts);
    this.publish();
    return head;
  }

  /**
   * Whether the driver must kick after publishing from `oldIdx` to the current avail.idx:
   * vring_need_event on avail_event with EVENT_IDX, else unless VRING_USED_F_NO_NOTIFY.
   */
  needsKick(oldIdx: number): boolean {
    if (this.eventIdx) return vringNeedEvent(this.availEvent, this.published, oldIdx);
    return (this.usedFlags & 1) === 0;
  }

  /** Used entries added since the last call, with the bytes the device wrote. Frees their descriptors. */
  takeUsed(): UsedBuffer[] {
    const out: UsedBuffer[] = [];
    const usedIdx = this.usedIdx;
    while (this.lastUsed !== usedIdx) {
      const { id, len } = this.usedElem(this.lastUsed & (this.size - 1));
      this.lastUsed = (this.lastUsed + 1) & 0xffff;
      const data = new Uint8Array(len);
      let at = 0;
      for (const b of this.writableOf.get(id) ?? []) {
        const n = Math.min(b.len, len - at);
        data.set(this.driver.read(b.addr, n), at);
        at += n;
      }
      out.push({ head: id, len, data });
      for (const d of this.descsOf.get(id) ?? []) this.free.push(d);
      this.descsOf.delete(id);
      this.writableOf.delete(id);
    }
    return out;
  }

  private takeDescs(n: number): number[] {
    if (n > this.free.length) throw new Error(`mock queue has ${this.free.length} free descriptors, chain needs ${n}`);
    return this.free.splice(this.free.length - n, n).reverse();
  }
}

export interface BringUpOptions {
  /** Features the driver accepts (default: everything offered). */
  features?: bigint;
  /** Size to configure each queue with (default: its maximum). */
  queueSize?: number;
  /** How many queues to set up (default: all the device has). */
  queues?: number;
}

/** Reads the 64-bit device feature set through the two 32-bit windows. */
export function readDeviceFeatures(model: VirtioDeviceModel): bigint {
  model.features.deviceSelect = 0;
  const lo = BigInt(model.features.deviceWindow >>> 0);
  model.features.deviceSelect = 1;
  const hi = BigInt(model.features.deviceWindow >>> 0);
  return (hi << 32n) | lo;
}

export function writeDriverFeatures(model: VirtioDeviceModel, features: bigint): void {
  model.features.driverSelect = 0;
  model.writeDriverFeatures(Number(features & 0xffffffffn));
  model.features.driverSelect = 1;
  model.writeDriverFeatures(Number((features >> 32n) & 0xffffffffn));
}

/**
 * Initialises the device the way Linux's virtio_pci_modern does (spec 3.1.1): reset,
 * ACKNOWLEDGE, DRIVER, features, FEATURES_OK (re-read), queues, DRIVER_OK. Throws if the
 * device refuses FEATURES_OK (after setting FAILED, as Linux does).
 */
export function bringUp(model: VirtioDeviceModel, driver: MockDriver, opts: BringUpOptions = {}): MockQueue[] {
  model.status = 0;
  model.status = STATUS_ACKNOWLEDGE;
  model.status = STATUS_ACKNOWLEDGE | STATUS_DRIVER;
  const features = opts.features ?? readDeviceFeatures(model);
  writeDriverFeatures(model, features);
  model.status = model.status | STATUS_FEATURES_OK;
  if (!(model.status & STATUS_FEATURES_OK)) {
    model.status = model.status | STATUS_FAILED;
    throw new Error("device refused FEATURES_OK");
  }
  const queues: MockQueue[] = [];
  const count = opts.queues ?? model.queues.count;
  for (let i = 0; i < count; i++) {
    model.queues.select = i;
    const max = model.queues.size;
    if (max === 0) throw new Error(`queue ${i} is unavailable`);
    const size = Math.min(opts.queueSize ?? max, max);
    model.queues.size = size;
    const q = driver.newQueue(size);
    q.eventIdx = (features & VIRTIO_F_RING_EVENT_IDX) !== 0n;
    setQueueAddresses(model, q);
    model.queues.enable = 1;
    queues.push(q);
  }
  model.status = model.status | STATUS_DRIVER_OK;
  return queues;
}

/** Writes the selected queue's three ring addresses as lo/hi halves. */
export function setQueueAddresses(model: VirtioDeviceModel, q: { descAddr: number; availAddr: number; usedAddr: number }): void {
  const lo = (a: number) => a % 0x100000000;
  const hi = (a: number) => Math.floor(a / 0x100000000);
  model.queues.descLo = lo(q.descAddr);
  model.queues.descHi = hi(q.descAddr);
  model.queues.driverLo = lo(q.availAddr);
  model.queues.driverHi = hi(q.availAddr);
  model.queues.deviceLo = lo(q.usedAddr);
  model.queues.deviceHi = hi(q.usedAddr);
}
