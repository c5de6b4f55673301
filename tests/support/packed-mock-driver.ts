// The driver side of packed virtqueues (virtio 1.2, 2.8) for unit tests, over the same
// plain guest RAM as mock-driver.ts: chains made available the way Linux 6.1's
// virtqueue_add_packed does (one buffer ID per chain, written in every descriptor, the
// head's flags last, one descriptor pointing at an indirect table), kicks decided like
// virtqueue_kick_prepare_packed, used buffers taken back like virtqueue_get_buf_ctx_packed
// (skip the chain's descriptor count, off_wrap follows the reclaim position in DESC mode),
// interrupts switched like virtqueue_disable_cb/enable_cb(_delayed)_packed. Also raw
// access to every slot and event field, so a test can write what a hostile driver would.
//
// It offers the split MockQueue's calls the device tests use (add, addChain, publish,
// needsKick, takeUsed, usedIdx, usedEvent), so they run unchanged on packed rings.
import {
  RING_EVENT_FLAGS_DESC, RING_EVENT_FLAGS_DISABLE, RING_EVENT_FLAGS_ENABLE, VIRTQ_DESC_F_AVAIL, VIRTQ_DESC_F_USED,
} from "../../src/virtio/packed-ring-layout.js";
import { VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } from "../../src/virtio/split-descriptors.js";
import { vringNeedEvent } from "../../src/virtio/split-queue.js";
import type { MockDriver, Part, UsedBuffer } from "./mock-driver.js";

export interface PackedDescriptor {
  addr: number;
  len: number;
  id: number;
  flags: number;
}

const WRAP = 0x8000;
const AVAIL_USED = VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED;

export class PackedMockQueue {
  /** Set by bringUp from the negotiated features: kicks and interrupts use off_wrap (DESC). */
  eventIdx = false;
  /** Where the next chain goes, and the wrap counter its flags carry. */
  nextAvail = 0;
  availWrap = true;
  /** Where the next used descriptor is expected, and its wrap counter. */
  lastUsed = 0;
  usedWrap = true;
  /** Descriptors not lent to the device. */
  numFree: number;
  /** Descriptors made available so far, free-running 16 bits (publish() and needsKick() measure num_added with it). */
  private availCount = 0;
  private readonly freeIds: number[] = [];
  private readonly chains = new Map<number, { num: number; writable: { addr: number; len: number }[] }>();
  /** Driver event flags as Linux shadows them. */
  private eventFlags = RING_EVENT_FLAGS_ENABLE;
  /** Used buffers taken back so far (the split queue's used.idx, for the split-style calls). */
  private taken = 0;

  constructor(
    readonly driver: MockDriver,
    readonly size: number,
    readonly descAddr: number,
    readonly driverEventAddr: number,
    readonly deviceEventAddr: number,
  ) {
    this.numFree = size;
    for (let i = size - 1; i >= 0; i--) this.freeIds.push(i);
  }

  private get mem() {
    return this.driver.memory;
  }

  // ---- raw ring fields ----

  writeDesc(slot: number, d: PackedDescriptor, table = this.descAddr): void {
    const at = table + 16 * slot;
    this.mem.write32(at, d.addr % 0x100000000);
    this.mem.write32(at + 4, Math.floor(d.addr / 0x100000000));
    this.mem.write32(at + 8, d.len);
    this.mem.write16(at + 12, d.id);
    this.mem.write16(at + 14, d.flags);
  }

  readDesc(slot: number, table = this.descAddr): PackedDescriptor {
    const at = table + 16 * slot;
    // Not read64: a hostile address may lie above 2^53 (it comes back rounded).
    const addr = this.mem.read32(at + 4) * 0x100000000 + this.mem.read32(at);
    return { addr, len: this.mem.read32(at + 8), id: this.mem.read16(at + 12), flags: this.mem.read16(at + 14) };
  }

  /** AVAIL and USED for a descriptor made available with wrap counter `wrap`. */
  static availFlags(wrap: boolean): number {
    return wrap ? VIRTQ_DESC_F_AVAIL : VIRTQ_DESC_F_USED;
  }

  get driverEventFlags(): number { return this.mem.read16(this.driverEventAddr + 2); }
  set driverEventFlags(v: number) { this.mem.write16(this.driverEventAddr + 2, v); }
  get driverOffWrap(): number { return this.mem.read16(this.driverEventAddr); }
  set driverOffWrap(v: number) { this.mem.write16(this.driverEventAddr, v & 0xffff); }
  get deviceEventFlags(): number { return this.mem.read16(this.deviceEventAddr + 2); }
  get deviceOffWrap(): number { return this.mem.read16(this.deviceEventAddr); }

  // ---- driver operations ----

  /**
   * Makes a chain available at once (packed rings have no separate publish step): a
   * direct chain in consecutive slots, or one slot pointing at an indirect table. Every
   * descriptor carries the buffer ID; the head's flags are written last. Returns the ID.
   */
  addChain(parts: Part[], opts: { indirect?: boolean } = {}): number {
    const buffers = parts.map((p) => {
      if ("write" in p) return { addr: this.driver.alloc(Math.max(p.write, 1), 8), len: p.write, writable: true };
      const data = typeof p.read === "string" ? new TextEncoder().encode(p.read) : p.read;
      const addr = this.driver.alloc(Math.max(data.length, 1), 8);
      this.driver.write(addr, data);
      return { addr, len: data.length, writable: false };
    });
    const id = this.freeIds.pop();
    if (id === undefined) throw new Error("packed mock queue has no free buffer ID");
    const writable = buffers.filter((b) => b.writable).map(({ addr, len }) => ({ addr, len }));
    if (opts.indirect) {
      const table = this.driver.alloc(16 * buffers.length, 16);
      buffers.forEach((b, i) => this.writeDesc(i, { addr: b.addr, len: b.len, id: 0, flags: b.writable ? VIRTQ_DESC_F_WRITE : 0 }, table));
      this.place([{ addr: table, len: 16 * buffers.length, flags: VIRTQ_DESC_F_INDIRECT }], id);
    } else {
      this.place(buffers.map((b, i) => ({
        addr: b.addr, len: b.len, flags: (b.writable ? VIRTQ_DESC_F_WRITE : 0) | (i + 1 < buffers.length ? VIRTQ_DESC_F_NEXT : 0),
      })), id);
    }
    this.chains.set(id, { num: opts.indirect ? 1 : buffers.length, writable });
    return id;
  }

  /** Writes descriptors from next-avail on with buffer ID `id`, the first one's flags last. */
  place(descs: { addr: number; len: number; flags: number }[], id: number): void {
    if (descs.length > this.numFree) throw new Error(`packed mock queue has ${this.numFree} free descriptors, chain needs ${descs.length}`);
    const head = this.nextAvail;
    const headFlags = descs[0]!.flags | PackedMockQueue.availFlags(this.availWrap);
    descs.forEach((d, i) => {
      const flags = d.flags | PackedMockQueue.availFlags(this.availWrap);
      this.writeDesc(this.nextAvail, { addr: d.addr, len: d.len, id, flags: i === 0 ? 0 : flags });
      if (++this.nextAvail === this.size) {
        this.nextAvail = 0;
        this.availWrap = !this.availWrap;
      }
    });
    this.mem.write16(this.descAddr + 16 * head + 14, headFlags);
    this.numFree -= descs.length;
    this.availCount = (this.availCount + descs.length) & 0xffff;
  }

  /** Nothing to expose in a packed ring (chains are available once added); returns a mark for needsKick(). */
  publish(): number {
    return this.availCount;
  }

  /** addChain + publish. */
  add(parts: Part[], opts: { indirect?: boolean } = {}): number {
    const id = this.addChain(parts, opts);
    this.publish();
    return id;
  }

  /**
   * Whether to kick for the descriptors added since `mark` (publish()'s answer), as
   * virtqueue_kick_prepare_packed decides: DESC compares off_wrap (moved a lap back when
   * its wrap counter is not ours) with [next-avail - num_added, next-avail); anything
   * else kicks unless DISABLE.
   */
  needsKick(mark: number): boolean {
    const added = (this.availCount - mark) & 0xffff;
    const flags = this.deviceEventFlags;
    if (flags !== RING_EVENT_FLAGS_DESC) return flags !== RING_EVENT_FLAGS_DISABLE;
    const offWrap = this.deviceOffWrap;
    let event = offWrap & ~WRAP;
    if (((offWrap & WRAP) !== 0) !== this.availWrap) event -= this.size;
    return vringNeedEvent(event & 0xffff, this.nextAvail, (this.nextAvail - added) & 0xffff);
  }

  /** Whether the descriptor at the reclaim position is a used one of this lap. */
  hasUsed(): boolean {
    const flags = this.readDesc(this.lastUsed).flags;
    const wrap = this.usedWrap ? AVAIL_USED : 0;
    return (flags & AVAIL_USED) === wrap;
  }

  /** Used buffers since the last call, with the bytes the device wrote; throws on what Linux calls BAD_RING. */
  takeUsed(): UsedBuffer[] {
    const out: UsedBuffer[] = [];
    while (this.hasUsed()) {
      const { id, len } = this.readDesc(this.lastUsed);
      const chain = this.chains.get(id);
      if (chain === undefined) throw new Error(`used descriptor at slot ${this.lastUsed} names ID ${id}, which is not in flight`);
      const data = new Uint8Array(len);
      let at = 0;
      for (const b of chain.writable) {
        const n = Math.min(b.len, len - at);
        data.set(this.driver.read(b.addr, n), at);
        at += n;
      }
      out.push({ head: id, len, data });
      this.chains.delete(id);
      this.freeIds.push(id);
      this.numFree += chain.num;
      this.taken++;
      this.lastUsed += chain.num;
      if (this.lastUsed >= this.size) {
        this.lastUsed -= this.size;
        this.usedWrap = !this.usedWrap;
      }
      if (this.eventFlags === RING_EVENT_FLAGS_DESC) this.driverOffWrap = this.reclaimOffWrap();
    }
    return out;
  }

  private reclaimOffWrap(ahead = 0): number {
    let slot = this.lastUsed + ahead;
    let wrap = this.usedWrap;
    if (slot >= this.size) {
      slot -= this.size;
      wrap = !wrap;
    }
    return slot | (wrap ? WRAP : 0);
  }

  /** virtqueue_disable_cb_packed. */
  disableCb(): void {
    this.eventFlags = RING_EVENT_FLAGS_DISABLE;
    this.driverEventFlags = this.eventFlags;
  }

  /** virtqueue_enable_cb_prepare_packed + poll: interrupts wanted from the reclaim position on; true if used buffers wait. */
  enableCb(): boolean {
    if (this.eventIdx) this.driverOffWrap = this.reclaimOffWrap();
    this.eventFlags = this.eventIdx ? RING_EVENT_FLAGS_DESC : RING_EVENT_FLAGS_ENABLE;
    this.driverEventFlags = this.eventFlags;
    return this.hasUsed();
  }

  /** virtqueue_enable_cb_delayed_packed: with EVENT_IDX, an interrupt only once 3/4 of what is out has come back. */
  enableCbDelayed(): boolean {
    if (this.eventIdx) this.driverOffWrap = this.reclaimOffWrap(Math.floor(((this.size - this.numFree) * 3) / 4));
    this.eventFlags = this.eventIdx ? RING_EVENT_FLAGS_DESC : RING_EVENT_FLAGS_ENABLE;
    this.driverEventFlags = this.eventFlags;
    return this.hasUsed();
  }

  // ---- the split queue's counters, for tests written against split rings ----

  /** Used buffers the device has returned (taken back or not), as a free-running 16-bit count. */
  get usedIdx(): number {
    let pending = 0;
    let slot = this.lastUsed;
    let wrap = this.usedWrap;
    for (let seen = 0; seen < this.size; seen++) {
      const d = this.readDesc(slot);
      if ((d.flags & AVAIL_USED) !== (wrap ? AVAIL_USED : 0)) break;
      const num = this.chains.get(d.id)?.num ?? 1;
      pending++;
      slot += num;
      if (slot >= this.size) {
        slot -= this.size;
        wrap = !wrap;
      }
    }
    return (this.taken + pending) & 0xffff;
  }

  /** Split's used_event: "interrupt me once the used count passes v", as DESC at that many slots past the reclaim position (one slot per buffer). */
  set usedEvent(v: number) {
    const ahead = (v - this.usedIdx) & 0xffff;
    this.driverOffWrap = this.reclaimOffWrap(Math.min(ahead, this.size - 1));
    this.eventFlags = this.eventIdx ? RING_EVENT_FLAGS_DESC : RING_EVENT_FLAGS_ENABLE;
    this.driverEventFlags = this.eventFlags;
  }
}

// Bringing a whole device up on packed rings lives in packed-bring-up.ts; re-exported for tests that import it from here.
export { bringUpPacked, newPackedQueue, setPackedQueueAddresses, type PackedBringUpOptions } from "./packed-bring-up.js";
