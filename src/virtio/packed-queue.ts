// The device side of one packed virtqueue (virtio 1.2, 2.8) over guest memory: takes
// chains from the descriptor ring where the driver made them available, writes used
// descriptors back into the same ring, and runs both event suppression structures.
//
// Positions are (slot, wrap counter) pairs. The device reads at next-avail, expecting
// descriptors whose AVAIL flag equals its avail wrap counter and whose USED flag does not;
// it writes used descriptors at next-used with both flags equal to its used wrap counter,
// and then skips as many slots as the returned chain took (2.8.21), which is how Linux's
// driver walks back (virtqueue_get_buf_ctx_packed adds the chain's descriptor count).
// Comparing positions: a pair's sequence number is slot + (wrap ? 0 : size), taken
// modulo 2 * size, which is unique across the two laps a driver can be apart.
//
// Like the split ring, the device runs between guest instructions, so no barriers; the
// used descriptor's flags are still written last, as the spec orders it.
import type { GuestMemory } from "../memory/guest-memory.js";
import { BufferChain } from "./chain.js";
import { DESCRIPTOR_SIZE } from "./descriptor-buffers.js";
import { RingBookkeeping, type DeviceRing, type RingState } from "./device-ring.js";
import { isAvailable, walkPackedChain, type PackedRing, type WalkedPackedChain } from "./packed-descriptors.js";
import {
  packedRingLayoutError, RING_EVENT_FLAGS_DESC, RING_EVENT_FLAGS_DISABLE, RING_EVENT_FLAGS_ENABLE, VIRTQ_DESC_F_AVAIL, VIRTQ_DESC_F_USED,
  packedSlotViews, type PackedQueueConfig, type PackedQueueState, type PackedQueueView,
} from "./packed-ring-layout.js";
import { QueueProtocolError, type DescriptorChain } from "./queue-types.js";
import { RING_EVENT } from "./ring-trace.js";
import { VIRTQ_DESC_F_WRITE } from "./split-descriptors.js";
import { vringNeedEvent } from "./split-queue.js";

const WRAP_BIT = 0x8000;

export class PackedQueue extends RingBookkeeping implements DeviceRing {
  readonly size: number;
  readonly descAddr: number;
  readonly driverEventAddr: number;
  readonly deviceEventAddr: number;
  readonly eventIdx: boolean;
  readonly indirect: boolean;

  private nextAvail = 0;
  private availWrap = true;
  private nextUsed = 0;
  private usedWrap = true;
  /** Where next-used stood at the last interrupt decision, and used slots written since. */
  private signalledUsed = 0;
  private signalledWrap = true;
  private unsignalledSlots = 0;
  private notificationsEnabled = true;
  /** The last pop found the ring empty: the next buffer found arrived after it (kicksSuppressed). */
  private drained = true;
  private inFlight = 0;
  /** Per buffer ID while the device holds it: its first slot, its slot count, and when it was popped. */
  private readonly held: Uint8Array;
  private readonly startOf: Uint16Array;
  private readonly slotsOf: Uint16Array;
  private readonly popOrder: Float64Array;
  private pops = 0;
  /** The ring as the chain walk reads it (built once: pop() runs for every chain). */
  private readonly ring: PackedRing;

  /** Throws QueueProtocolError if the layout is unusable (see packedRingLayoutError). */
  constructor(private readonly memory: GuestMemory, config: PackedQueueConfig) {
    super(config.index, config.budget);
    const problem = packedRingLayoutError(memory, config);
    if (problem !== undefined) throw this.error(problem);
    this.size = config.size;
    this.descAddr = config.descAddr;
    this.driverEventAddr = config.driverEventAddr;
    this.deviceEventAddr = config.deviceEventAddr;
    this.eventIdx = config.eventIdx;
    this.indirect = config.indirect;
    this.ring = { addr: this.descAddr, size: this.size, indirect: this.indirect };
    this.held = new Uint8Array(this.size);
    this.startOf = new Uint16Array(this.size);
    this.slotsOf = new Uint16Array(this.size);
    this.popOrder = new Float64Array(this.size);
    // The device event structure is the device's: make it say what our state says (kicks
    // wanted) rather than trust that the driver zeroed it. The ring itself is the driver's.
    this.writeDeviceEvent();
  }

  private slotAddr(slot: number): number {
    return this.descAddr + slot * DESCRIPTOR_SIZE;
  }

  pop(): DescriptorChain | undefined {
    if (this.stopped) return undefined;
    if (!isAvailable(this.memory.read16(this.slotAddr(this.nextAvail) + 14), this.availWrap)) {
      this.drained = true;
      return undefined;
    }
    if (this.budget.exhausted) {
      this.deferred = true;
      return undefined;
    }
    const tracer = this.tracer;
    tracer?.record(RING_EVENT.publish, this.nextAvail, 1);
    if (this.drained) {
      if (!this.kickPending) this.noteKickSuppressed(1);
      this.drained = false;
      this.kickPending = false;
    }
    let walked: WalkedPackedChain;
    try {
      walked = walkPackedChain(this.memory, this.ring, this.nextAvail, this.availWrap);
    } catch (e) {
      throw e instanceof QueueProtocolError ? this.error(e.message) : e;
    }
    const { id, slots } = walked;
    if (this.held[id]) throw this.error(`buffer ID ${id} (chain at slot ${this.nextAvail}) is already in flight`);
    this.budget.chargeDescriptors(walked.descriptors);
    this.held[id] = 1;
    this.startOf[id] = this.nextAvail;
    this.slotsOf[id] = slots;
    this.popOrder[id] = ++this.pops;
    this.inFlight++;
    tracer?.record(RING_EVENT.take, id, this.nextAvail);
    this.nextAvail += slots;
    if (this.nextAvail >= this.size) {
      this.nextAvail -= this.size;
      this.availWrap = !this.availWrap;
    }
    // With EVENT_IDX, "kicks wanted" means: kick me once you make available what I have
    // not consumed. Moving the event along as we consume keeps that true.
    if (this.eventIdx && this.notificationsEnabled) {
      const offWrap = this.offWrap(this.nextAvail, this.availWrap);
      this.memory.write16(this.deviceEventAddr, offWrap);
      tracer?.record(RING_EVENT.availEvent, offWrap, 0);
    }
    return new BufferChain(id, walked.readable, walked.writable, this.memory, this.counters, this, this.budget);
  }

  /** Writes a used descriptor for `done` at next-used (flags last) and skips the chain's slots. After stop() this does nothing. */
  pushUsed(done: DescriptorChain, written: number): void {
    if (this.stopped) return;
    const chain = this.completing(done, written);
    const id = chain.head;
    const at = this.slotAddr(this.nextUsed);
    this.memory.write16(at + 12, id);
    this.memory.write32(at + 8, written);
    // 2.8.4: len means something only with WRITE set; QEMU sets it when the chain had writable buffers.
    const write = chain.writable.length > 0 ? VIRTQ_DESC_F_WRITE : 0;
    this.memory.write16(at + 14, write | (this.usedWrap ? VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED : 0));
    const slots = this.slotsOf[id]!;
    this.nextUsed += slots;
    if (this.nextUsed >= this.size) {
      this.nextUsed -= this.size;
      this.usedWrap = !this.usedWrap;
    }
    this.unsignalledSlots += slots;
    chain.completed = true;
    this.held[id] = 0;
    this.inFlight--;
    this.counters.buffers++;
    this.tracer?.record(RING_EVENT.return, id, written);
  }

  protected get usedPosition(): number { return this.nextUsed; }

  get hasUnsignalledUsed(): boolean {
    return !this.stopped && this.unsignalledSlots > 0;
  }

  /**
   * Whether the driver wants an interrupt for the used descriptors written since the last
   * call (2.8.10): not with DISABLE; with DESC (only under EVENT_IDX) if next-used passed
   * the descriptor off_wrap names, the way Linux's driver tests its own kicks (its wrap
   * counter differs from ours: the event is a lap behind); otherwise yes. A reserved
   * value, or an offset past the ring, gets an interrupt: one too many is harmless, one
   * too few can hang the driver.
   */
  needsInterrupt(): boolean {
    if (this.stopped) return false;
    const moved = this.unsignalledSlots;
    const old = this.signalledUsed - (this.signalledWrap === this.usedWrap ? 0 : this.size);
    this.signalledUsed = this.nextUsed;
    this.signalledWrap = this.usedWrap;
    this.unsignalledSlots = 0;
    if (moved === 0) return false;
    const flags = this.memory.read16(this.driverEventAddr + 2);
    if (flags === RING_EVENT_FLAGS_DISABLE) return false;
    if (flags !== RING_EVENT_FLAGS_DESC || !this.eventIdx || moved >= this.size) return true;
    const offWrap = this.memory.read16(this.driverEventAddr);
    if (this.tracer !== null) this.traceUsedEvent(this.tracer, offWrap);
    let event = offWrap & ~WRAP_BIT;
    if (event >= this.size) return true; // names no descriptor: answered as ENABLE
    if (((offWrap & WRAP_BIT) !== 0) !== this.usedWrap) event -= this.size;
    return vringNeedEvent(event & 0xffff, this.nextUsed, old & 0xffff);
  }

  /** Asks the driver not to kick: the device event structure says DISABLE (see writeDeviceEvent). */
  disableNotifications(): void {
    if (this.stopped) return;
    if (this.notificationsEnabled) this.tracer?.record(RING_EVENT.notifyOff, RING_EVENT_FLAGS_DISABLE, 0);
    this.notificationsEnabled = false;
    this.writeDeviceEvent();
  }

  enableNotifications(): boolean {
    if (this.stopped) return false;
    if (!this.notificationsEnabled) this.tracer?.record(RING_EVENT.notifyOn, this.eventIdx ? RING_EVENT_FLAGS_DESC : RING_EVENT_FLAGS_ENABLE, 0);
    this.notificationsEnabled = true;
    this.writeDeviceEvent();
    // Re-check after re-enabling (a buffer made available meanwhile gets no kick), unless
    // this turn's budget is spent: the device comes back on the next tick anyway.
    if (this.deferred) return false;
    return isAvailable(this.memory.read16(this.slotAddr(this.nextAvail) + 14), this.availWrap);
  }

  /**
   * The device event structure as our state says: DESC at next-avail with EVENT_IDX, else
   * ENABLE; DISABLE while notifications are off. (A split ring's parked avail_event lets
   * the driver kick once more in 65,536 buffers; a parked DESC position is passed again
   * every second lap of the ring, so it would cost a kick every few hundred buffers.)
   */
  private writeDeviceEvent(): void {
    if (!this.notificationsEnabled) {
      this.memory.write16(this.deviceEventAddr + 2, RING_EVENT_FLAGS_DISABLE);
    } else if (this.eventIdx) {
      this.memory.write16(this.deviceEventAddr, this.offWrap(this.nextAvail, this.availWrap));
      this.memory.write16(this.deviceEventAddr + 2, RING_EVENT_FLAGS_DESC);
    } else {
      this.memory.write16(this.deviceEventAddr + 2, RING_EVENT_FLAGS_ENABLE);
    }
  }

  private offWrap(slot: number, wrap: boolean): number {
    return slot | (wrap ? WRAP_BIT : 0);
  }

  view(): PackedQueueView {
    const m = this.memory;
    const event = (addr: number) => ({ offWrap: m.read16(addr), flags: m.read16(addr + 2) });
    return {
      layout: "packed",
      index: this.index,
      size: this.size,
      descAddr: this.descAddr,
      driverEventAddr: this.driverEventAddr,
      deviceEventAddr: this.deviceEventAddr,
      eventIdx: this.eventIdx,
      indirect: this.indirect,
      nextAvail: this.nextAvail,
      availWrap: this.availWrap,
      nextUsed: this.nextUsed,
      usedWrap: this.usedWrap,
      driverEvent: event(this.driverEventAddr),
      deviceEvent: event(this.deviceEventAddr),
      notificationsEnabled: this.notificationsEnabled,
      inFlight: this.inFlight,
      slots: packedSlotViews(m, this.descAddr, this.size),
      counters: { ...this.counters },
    };
  }

  /**
   * Where the queue stands, for a snapshot. Buffers the device holds are saved as if never
   * popped: the restored device pops them again from next-used, where the oldest of them
   * starts. That is exact only if the held chains fill next-used to next-avail in the order
   * they were popped (no used descriptor written over one of them: every device here
   * completes in order); otherwise this throws rather than save something that would lose
   * a buffer.
   */
  saveState(): PackedQueueState {
    const ids: number[] = [];
    for (let id = 0; id < this.size; id++) if (this.held[id]) ids.push(id);
    ids.sort((a, b) => this.popOrder[a]! - this.popOrder[b]!);
    let at = this.nextUsed;
    for (const id of ids) {
      if (this.startOf[id] !== at) {
        throw new Error(`queue ${this.index}: the device holds buffers out of ring order, so they cannot be saved as a position`);
      }
      at = (at + this.slotsOf[id]!) % this.size;
    }
    return {
      layout: "packed",
      nextUsed: this.nextUsed,
      usedWrap: this.usedWrap,
      signalledUsed: this.signalledUsed,
      signalledWrap: this.signalledWrap,
      counters: { ...this.counters },
    };
  }

  /** Takes up a saved position on a fresh queue (see saveState): nothing is held, kicks are on. */
  resume(saved: RingState): void {
    if (!("layout" in saved)) throw new Error(`queue ${this.index}: a split ring's saved position cannot resume a packed ring`);
    this.nextAvail = saved.nextUsed;
    this.availWrap = saved.usedWrap;
    this.nextUsed = saved.nextUsed;
    this.usedWrap = saved.usedWrap;
    this.signalledUsed = saved.signalledUsed;
    this.signalledWrap = saved.signalledWrap;
    const seq = (slot: number, wrap: boolean) => slot + (wrap ? 0 : this.size);
    this.unsignalledSlots = (seq(this.nextUsed, this.usedWrap) - seq(this.signalledUsed, this.signalledWrap) + 2 * this.size) % (2 * this.size);
    Object.assign(this.counters, saved.counters);
    // The ring may still carry the saved device's suppression (DISABLE): the fresh device
    // starts out asking for kicks, so it says so.
    this.enableNotifications();
  }
}
