// The device side of one split virtqueue (virtio 1.2, 2.7) over guest memory: takes
// chains off the available ring, puts them on the used ring, and runs both directions
// of notification suppression (flags, or used_event/avail_event with EVENT_IDX).
//
// The device runs between guest instructions on the same thread, so no memory barriers
// are needed: whatever the guest stored before its last instruction is visible here.
// Indices are free-running 16-bit counters; ring slots are index & (size - 1).
import type { GuestMemory } from "../memory/guest-memory.js";
import { BufferChain } from "./chain.js";
import { RingBookkeeping, type DeviceRing, type RingState } from "./device-ring.js";
import { QueueProtocolError, type DescriptorChain } from "./queue-types.js";
import { RING_EVENT } from "./ring-trace.js";
import { walkSplitChain, type DescriptorTable, type WalkedChain } from "./split-descriptors.js";
import {
  splitRingLayoutError, VRING_AVAIL_F_NO_INTERRUPT, VRING_USED_F_NO_NOTIFY, type SplitQueueConfig, type SplitQueueState, type SplitQueueView,
} from "./split-ring-layout.js";

export * from "./split-ring-layout.js";

export class SplitQueue extends RingBookkeeping implements DeviceRing {
  readonly size: number;
  readonly descAddr: number;
  readonly availAddr: number;
  readonly usedAddr: number;
  readonly eventIdx: boolean;
  readonly indirect: boolean;
  /** The descriptor table as the chain walk reads it (built once: pop() runs for every chain). */
  private readonly table: DescriptorTable;

  /** Next available-ring index to consume. */
  private nextAvail = 0;
  /** avail.idx as last read: chains up to here are known without re-reading memory. */
  private shadowAvail = 0;
  private usedIdx = 0;
  /** used.idx when the last interrupt decision was made. */
  private signalledUsed = 0;
  private notificationsEnabled = true;
  private inFlight = 0;
  /**
   * Heads popped and not yet used, one flag per descriptor: a snapshot checks they are the
   * oldest ones (see saveState). An array, not a Set: a Set that empties after every chain
   * shrinks its table, an allocation on every doorbell.
   */
  private readonly outstanding: Uint8Array;

  /** Throws QueueProtocolError if the layout is unusable (see splitRingLayoutError). */
  constructor(private readonly memory: GuestMemory, config: SplitQueueConfig) {
    super(config.index, config.budget);
    const problem = splitRingLayoutError(memory, config);
    if (problem !== undefined) throw this.error(problem);
    this.size = config.size;
    this.descAddr = config.descAddr;
    this.availAddr = config.availAddr;
    this.usedAddr = config.usedAddr;
    this.eventIdx = config.eventIdx;
    this.indirect = config.indirect;
    this.table = { addr: this.descAddr, size: this.size, indirect: this.indirect };
    this.outstanding = new Uint8Array(this.size);
    // The device owns these fields; make them say what our state says (notifications on,
    // nothing used yet) rather than trust that the driver zeroed the ring.
    memory.write16(this.usedAddr, 0);
    memory.write16(this.usedIdxAddr, 0);
    if (this.eventIdx) memory.write16(this.availEventAddr, 0);
  }

  // Ring field addresses (spec 2.7.6 and 2.7.8).
  private get availIdxAddr(): number { return this.availAddr + 2; }
  private availSlotAddr(slot: number): number { return this.availAddr + 4 + 2 * slot; }
  private get usedEventAddr(): number { return this.availAddr + 4 + 2 * this.size; }
  private get usedIdxAddr(): number { return this.usedAddr + 2; }
  private usedSlotAddr(slot: number): number { return this.usedAddr + 4 + 8 * slot; }
  private get availEventAddr(): number { return this.usedAddr + 4 + 8 * this.size; }

  pop(): DescriptorChain | undefined {
    if (this.stopped) return undefined;
    if (this.nextAvail === this.shadowAvail) this.readAvailIdx();
    if (this.nextAvail === this.shadowAvail) return undefined;
    if (this.budget.exhausted) {
      this.deferred = true;
      return undefined;
    }
    const slot = this.nextAvail & (this.size - 1);
    const head = this.memory.read16(this.availSlotAddr(slot));
    if (head >= this.size) throw this.error(`available ring slot ${slot} names head ${head}, outside the queue (size ${this.size})`);
    let walked: WalkedChain;
    try {
      walked = walkSplitChain(this.memory, this.table, head);
    } catch (e) {
      throw e instanceof QueueProtocolError ? this.error(e.message) : e;
    }
    this.budget.chargeDescriptors(walked.descriptors);
    this.nextAvail = (this.nextAvail + 1) & 0xffff;
    this.inFlight++;
    this.outstanding[head] = 1;
    const tracer = this.tracer;
    tracer?.record(RING_EVENT.take, head, slot);
    // With EVENT_IDX, "notifications enabled" means: kick me as soon as you publish past
    // what I have consumed. Moving avail_event along as we consume keeps that true.
    if (this.eventIdx && this.notificationsEnabled) {
      this.memory.write16(this.availEventAddr, this.nextAvail);
      tracer?.record(RING_EVENT.availEvent, this.nextAvail, 0);
    }
    return new BufferChain(head, walked.readable, walked.writable, this.memory, this.counters, this, this.budget);
  }

  /** Reads avail.idx and checks it moved forward by no more than the ring can hold. */
  private readAvailIdx(): void {
    const idx = this.memory.read16(this.availIdxAddr);
    const pending = (idx - this.nextAvail) & 0xffff;
    if (pending > this.size) {
      throw this.error(`avail.idx moved to ${idx} with the device at ${this.nextAvail}: more than the queue size ${this.size} ahead`);
    }
    if (idx !== this.shadowAvail) {
      const found = (idx - this.shadowAvail) & 0xffff;
      this.tracer?.record(RING_EVENT.publish, idx, found);
      if (!this.kickPending) this.noteKickSuppressed(found);
    }
    this.kickPending = false;
    this.shadowAvail = idx;
  }

  /** Puts `chain` on the used ring with `written` bytes (see completing()). After stop() this does nothing. */
  pushUsed(done: DescriptorChain, written: number): void {
    if (this.stopped) return;
    const chain = this.completing(done, written);
    const slot = this.usedIdx & (this.size - 1);
    this.memory.write32(this.usedSlotAddr(slot), chain.head);
    this.memory.write32(this.usedSlotAddr(slot) + 4, written);
    // The element is complete before used.idx exposes it (spec 2.7.8.2).
    this.usedIdx = (this.usedIdx + 1) & 0xffff;
    this.memory.write16(this.usedIdxAddr, this.usedIdx);
    chain.completed = true;
    this.inFlight--;
    this.outstanding[chain.head] = 0;
    this.counters.buffers++;
    this.tracer?.record(RING_EVENT.return, chain.head, written);
  }

  protected get usedPosition(): number { return this.usedIdx; }

  /** Used entries were added since the last interrupt decision. */
  get hasUnsignalledUsed(): boolean {
    return !this.stopped && this.usedIdx !== this.signalledUsed;
  }

  /**
   * Whether the driver wants an interrupt for the used entries added since the last call
   * (spec 2.7.7.2). With EVENT_IDX: vring_need_event(used_event, new, old), i.e. the
   * entries just added crossed used_event. Without it: unless VRING_AVAIL_F_NO_INTERRUPT.
   * Either way the entries count as decided on: the next call only considers newer ones.
   */
  needsInterrupt(): boolean {
    if (this.stopped) return false;
    const old = this.signalledUsed;
    const now = this.usedIdx;
    this.signalledUsed = now;
    if (old === now) return false;
    if (this.eventIdx) {
      const usedEvent = this.memory.read16(this.usedEventAddr);
      if (this.tracer !== null) this.traceUsedEvent(this.tracer, usedEvent);
      return vringNeedEvent(usedEvent, now, old);
    }
    return (this.memory.read16(this.availAddr) & VRING_AVAIL_F_NO_INTERRUPT) === 0;
  }

  /**
   * With EVENT_IDX the device simply stops moving avail_event (it stays where it was, so
   * the driver kicks at most once more); without it, sets VRING_USED_F_NO_NOTIFY.
   */
  disableNotifications(): void {
    if (this.stopped) return;
    const was = this.notificationsEnabled;
    this.notificationsEnabled = false;
    if (!this.eventIdx) this.memory.write16(this.usedAddr, VRING_USED_F_NO_NOTIFY);
    // The value that now stands: the flag, or avail_event left parked where it was.
    if (was && this.tracer !== null) this.tracer.record(RING_EVENT.notifyOff, this.eventIdx ? this.memory.read16(this.availEventAddr) : VRING_USED_F_NO_NOTIFY, 0);
  }

  enableNotifications(): boolean {
    if (this.stopped) return false;
    if (!this.notificationsEnabled) this.tracer?.record(RING_EVENT.notifyOn, this.eventIdx ? this.nextAvail : 0, 0);
    this.notificationsEnabled = true;
    if (this.eventIdx) this.memory.write16(this.availEventAddr, this.nextAvail);
    else this.memory.write16(this.usedAddr, 0);
    // Re-check after re-enabling: a buffer published while kicks were off gets no kick.
    // Unless this turn's budget is spent: then the device comes back on the next tick
    // anyway, and draining again now would find pop() refusing (and spin).
    if (this.deferred) return false;
    return this.memory.read16(this.availIdxAddr) !== this.nextAvail;
  }

  view(): SplitQueueView {
    const m = this.memory;
    return {
      layout: "split",
      index: this.index,
      size: this.size,
      descAddr: this.descAddr,
      availAddr: this.availAddr,
      usedAddr: this.usedAddr,
      eventIdx: this.eventIdx,
      indirect: this.indirect,
      lastAvailIdx: this.nextAvail,
      availIdx: m.read16(this.availIdxAddr),
      usedIdx: this.usedIdx,
      availFlags: m.read16(this.availAddr),
      usedFlags: m.read16(this.usedAddr),
      usedEvent: m.read16(this.usedEventAddr),
      availEvent: m.read16(this.availEventAddr),
      notificationsEnabled: this.notificationsEnabled,
      inFlight: this.inFlight,
      counters: { ...this.counters },
    };
  }

  /**
   * Where the queue stands, for a snapshot. Buffers the device holds (popped, not yet
   * used) are not saved as such: the queue is saved as if they had never been popped, and
   * the restored device pops them again. That is exact only if the held buffers are the
   * last ones popped, in ring order (every device here completes in order); otherwise
   * this throws rather than save something that would lose a buffer.
   */
  saveState(): SplitQueueState {
    const resumeAt = (this.nextAvail - this.inFlight) & 0xffff;
    for (let i = 0; i < this.inFlight; i++) {
      const head = this.memory.read16(this.availSlotAddr((resumeAt + i) & (this.size - 1)));
      if (this.outstanding[head] !== 1) {
        throw new Error(`queue ${this.index}: the device holds buffers out of ring order, so they cannot be saved as a position`);
      }
    }
    return { resumeAt, usedIdx: this.usedIdx, signalledUsed: this.signalledUsed, counters: { ...this.counters } };
  }

  /** Takes up a saved position on a fresh queue (see saveState): nothing is held, kicks are on. */
  resume(saved: RingState): void {
    if ("layout" in saved) throw new Error(`queue ${this.index}: a packed ring's saved position cannot resume a split ring`);
    const state: SplitQueueState = saved;
    this.nextAvail = state.resumeAt;
    this.shadowAvail = state.resumeAt;
    this.usedIdx = state.usedIdx;
    this.signalledUsed = state.signalledUsed;
    Object.assign(this.counters, state.counters);
    // The constructor initialised the used ring for a fresh start; the driver's ring
    // says otherwise (it has consumed up to used.idx), so put used.idx back.
    this.memory.write16(this.usedIdxAddr, this.usedIdx);
    // The ring may still carry the saved device's suppression (a parked avail_event, or
    // NO_NOTIFY): the fresh device starts out asking for kicks, so it says so.
    this.enableNotifications();
  }

}

/**
 * The spec's vring_need_event: true if moving the index from `old` to `now` passed
 * `event` (all 16-bit, wrapping). Used both ways: used_event for interrupts here, and
 * avail_event for kicks on the driver side.
 */
export function vringNeedEvent(event: number, now: number, old: number): boolean {
  return ((now - event - 1) & 0xffff) < ((now - old) & 0xffff);
}
