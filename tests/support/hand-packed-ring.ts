// A packed ring written by hand in test guest RAM, with both sides played here: the driver
// (adds buffers as Linux does, head flags last; reclaims used ones and keeps its event
// suppression's off_wrap at its reclaim position the way Linux does with EVENT_IDX) and a
// device that takes buffers in ring order and returns them in any order. Enough to give the
// inspector's packed views every state a ring can be in, without the real queue.
import { ArrayGuestMemory } from "../../src/memory/guest-memory.js";
import { VIRTQ_DESC_F_AVAIL, VIRTQ_DESC_F_USED, type PackedQueueView } from "../../src/virtio/packed-ring-layout.js";
import { VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } from "../../src/virtio/split-descriptors.js";

export interface HandDescriptor {
  addr: number;
  len: number;
  id: number;
  flags: number;
}

/** One element of a buffer: `len` bytes at a fresh address (device-writable with `write`). */
export interface Element {
  len: number;
  write?: boolean;
  /** Bytes to put there (the device reads them). */
  data?: Uint8Array;
}

const DESC = 2;

export class HandPackedRing {
  readonly bytes: Uint8Array;
  readonly memory: ArrayGuestMemory;
  readonly descAddr = 0x1000;
  readonly driverEventAddr: number;
  readonly deviceEventAddr: number;
  private nextFree: number;
  // The driver's side.
  driverNext = 0;
  driverWrap = true;
  lastUsed = 0;
  lastUsedWrap = true;
  private readonly slotsOf = new Map<number, number>();
  private nextId = 0;
  // The device's side.
  nextAvail = 0;
  availWrap = true;
  nextUsed = 0;
  usedWrap = true;
  /** Buffers the device took, oldest first: id and slot count. */
  readonly taken: Array<{ id: number; slots: number }> = [];
  eventIdx = true;
  indirect = true;

  constructor(readonly size: number, ramBytes = 1 << 20) {
    this.bytes = new Uint8Array(ramBytes);
    this.memory = new ArrayGuestMemory(ramBytes, () => this.bytes);
    this.driverEventAddr = this.descAddr + 16 * size;
    this.deviceEventAddr = this.driverEventAddr + 4;
    this.nextFree = this.deviceEventAddr + 4;
  }

  alloc(len: number): number {
    const at = Math.ceil(this.nextFree / 16) * 16;
    this.nextFree = at + Math.max(len, 1);
    return at;
  }

  writeSlot(slot: number, d: HandDescriptor, table = this.descAddr): void {
    const at = table + 16 * slot;
    this.memory.write32(at, d.addr % 0x1_0000_0000);
    this.memory.write32(at + 4, Math.floor(d.addr / 0x1_0000_0000));
    this.memory.write32(at + 8, d.len);
    this.memory.write16(at + 12, d.id);
    this.memory.write16(at + 14, d.flags);
  }

  readSlot(slot: number): HandDescriptor {
    const at = this.descAddr + 16 * slot;
    return {
      addr: this.memory.read32(at + 4) * 0x1_0000_0000 + this.memory.read32(at),
      len: this.memory.read32(at + 8),
      id: this.memory.read16(at + 12),
      flags: this.memory.read16(at + 14),
    };
  }

  availFlags(wrap: boolean): number {
    return wrap ? VIRTQ_DESC_F_AVAIL : VIRTQ_DESC_F_USED;
  }

  /** The driver adds one buffer (a chain, or one INDIRECT descriptor with `indirect`); returns its id. */
  add(elements: Element[], opts: { indirect?: boolean } = {}): number {
    const id = this.nextId++ % this.size;
    const descriptors = elements.map((e) => {
      const addr = this.alloc(e.len);
      if (e.data) this.bytes.set(e.data, addr);
      return { addr, len: e.len, id, flags: e.write ? VIRTQ_DESC_F_WRITE : 0 };
    });
    let ring = descriptors;
    if (opts.indirect) {
      const table = this.alloc(16 * descriptors.length);
      descriptors.forEach((d, i) => this.writeSlot(i, d, table));
      ring = [{ addr: table, len: 16 * descriptors.length, id, flags: VIRTQ_DESC_F_INDIRECT }];
    }
    const head = this.driverNext;
    const headWrap = this.driverWrap;
    ring.forEach((d, i) => {
      const flags = d.flags | (i < ring.length - 1 ? VIRTQ_DESC_F_NEXT : 0) | this.availFlags(this.driverWrap);
      // The head's flags go last, as the spec asks: until then it keeps the flags it had.
      this.writeSlot(this.driverNext, { ...d, flags: i === 0 ? this.readSlot(head).flags : flags });
      if (++this.driverNext === this.size) {
        this.driverNext = 0;
        this.driverWrap = !this.driverWrap;
      }
    });
    const first = ring[0]!;
    this.writeSlot(head, { ...first, flags: first.flags | (ring.length > 1 ? VIRTQ_DESC_F_NEXT : 0) | this.availFlags(headWrap) });
    this.slotsOf.set(id, ring.length);
    return id;
  }

  /** The device takes the next available buffer (in ring order, as the spec asks). */
  take(): number {
    const head = this.readSlot(this.nextAvail);
    const avail = (head.flags & VIRTQ_DESC_F_AVAIL) !== 0;
    const used = (head.flags & VIRTQ_DESC_F_USED) !== 0;
    if (avail !== this.availWrap || used === this.availWrap) throw new Error(`slot ${this.nextAvail} is not available`);
    let slots = 0;
    let d = head;
    for (;;) {
      slots++;
      const more = (d.flags & VIRTQ_DESC_F_NEXT) !== 0;
      if (++this.nextAvail === this.size) {
        this.nextAvail = 0;
        this.availWrap = !this.availWrap;
      }
      if (!more) break;
      d = this.readSlot(this.nextAvail);
    }
    this.taken.push({ id: d.id, slots });
    return d.id;
  }

  /** The device returns a taken buffer (the oldest unless `id` names another). */
  use(written = 0, id = this.taken[0]?.id): void {
    const i = this.taken.findIndex((t) => t.id === id);
    if (i < 0) throw new Error(`buffer ${id} is not taken`);
    const [t] = this.taken.splice(i, 1);
    const flags = this.usedWrap ? VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED : 0;
    const old = this.readSlot(this.nextUsed);
    this.writeSlot(this.nextUsed, { addr: old.addr, len: written, id: t!.id, flags: flags | (written > 0 ? VIRTQ_DESC_F_WRITE : 0) });
    this.nextUsed += t!.slots;
    if (this.nextUsed >= this.size) {
      this.nextUsed -= this.size;
      this.usedWrap = !this.usedWrap;
    }
  }

  /** The driver reclaims the next used buffer; with EVENT_IDX it keeps off_wrap at its position (Linux's DESC mode). */
  reclaim(): number {
    const d = this.readSlot(this.lastUsed);
    const id = d.id;
    this.lastUsed += this.slotsOf.get(id) ?? 1;
    if (this.lastUsed >= this.size) {
      this.lastUsed -= this.size;
      this.lastUsedWrap = !this.lastUsedWrap;
    }
    if (this.driverEventFlags === DESC) this.setDriverEvent(DESC);
    return id;
  }

  get driverEventFlags(): number {
    return this.memory.read16(this.driverEventAddr + 2);
  }

  /** The driver's event suppression: flags, and off_wrap at its reclaim position unless given. */
  setDriverEvent(flags: number, offWrap = this.lastUsed | (this.lastUsedWrap ? 0x8000 : 0)): void {
    this.memory.write16(this.driverEventAddr, offWrap);
    this.memory.write16(this.driverEventAddr + 2, flags);
  }

  /** What the queue would show the inspector. */
  view(): PackedQueueView {
    const slots = Array.from({ length: this.size }, (_, i) => this.readSlot(i));
    const counters = { kicks: 0, kicksSuppressed: 0, interrupts: 0, interruptsSuppressed: 0, interruptsMerged: 0, buffers: 0, bytesRead: 0, bytesWritten: 0 };
    const event = (at: number) => ({ offWrap: this.memory.read16(at), flags: this.memory.read16(at + 2) });
    return {
      layout: "packed", index: 0, size: this.size, descAddr: this.descAddr, driverEventAddr: this.driverEventAddr,
      deviceEventAddr: this.deviceEventAddr, eventIdx: this.eventIdx, indirect: this.indirect,
      nextAvail: this.nextAvail, availWrap: this.availWrap, nextUsed: this.nextUsed, usedWrap: this.usedWrap,
      driverEvent: event(this.driverEventAddr), deviceEvent: event(this.deviceEventAddr),
      notificationsEnabled: event(this.deviceEventAddr).flags !== 1, inFlight: this.taken.length, slots, counters,
    };
  }
}
