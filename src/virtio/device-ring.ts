// What the device model needs of a live ring, whatever its layout (split, 2.7, or packed,
// 2.8): the VirtQueue devices use, plus interrupt decisions, deferred work, counters, the
// inspector's view and a saved position. RingBookkeeping holds the parts both layouts keep
// the same way, so the two queue classes differ only in how they read and write the ring.
import { BufferChain } from "./chain.js";
import type { PackedQueueState, PackedQueueView } from "./packed-ring-layout.js";
import { QueueProtocolError, type DescriptorChain, type QueueCounters, type VirtQueue } from "./queue-types.js";
import { RING_EVENT, type QueueTracer } from "./ring-trace.js";
import type { SplitQueueState, SplitQueueView } from "./split-ring-layout.js";
import { unlimitedBudget, type WorkBudget } from "./work-budget.js";

export type RingView = SplitQueueView | PackedQueueView;
/** A ring's saved position: a split one has no `layout` field (states saved before packed rings existed). */
export type RingState = SplitQueueState | PackedQueueState;

export interface DeviceRing extends VirtQueue {
  readonly eventIdx: boolean;
  readonly indirect: boolean;
  /** Used buffers were added since the last interrupt decision. */
  readonly hasUnsignalledUsed: boolean;
  /** Whether the driver wants an interrupt for the used buffers added since the last call. */
  needsInterrupt(): boolean;
  readonly hasDeferredWork: boolean;
  takeDeferred(): boolean;
  noteKick(): void;
  noteInterrupt(): void;
  noteInterruptMerged(): void;
  noteInterruptSuppressed(): void;
  /** Where this queue records its events while the timeline is on (ring-trace.ts); null while off. */
  tracer: QueueTracer | null;
  stop(): void;
  readonly isStopped: boolean;
  view(): RingView;
  /** Throws if the buffers the device holds cannot be saved as a position. */
  saveState(): RingState;
  /** Takes up a saved position of this ring's layout (checked when the state was read). */
  resume(state: RingState): void;
}

/** Counters, stop, deferral and completion checks: the same for both layouts. */
export abstract class RingBookkeeping {
  readonly counters: QueueCounters = {
    kicks: 0, kicksSuppressed: 0, interrupts: 0, interruptsSuppressed: 0, interruptsMerged: 0, buffers: 0, bytesRead: 0, bytesWritten: 0,
  };
  protected stopped = false;
  /** pop() refused a chain because the turn's budget was spent: the device must come back. */
  protected deferred = false;
  /** A kick came since the device last found new buffers (for kicksSuppressed). */
  protected kickPending = false;
  protected readonly budget: WorkBudget;
  tracer: QueueTracer | null = null;

  constructor(readonly index: number, budget: WorkBudget | undefined) {
    this.budget = budget ?? unlimitedBudget();
  }

  /**
   * True once pop() has refused a chain for lack of budget (see WorkBudget); the device
   * model then runs the device again on the next tick and calls takeDeferred() first.
   */
  get hasDeferredWork(): boolean {
    return this.deferred && !this.stopped;
  }

  /** Clears the deferred mark before the device carries on; returns whether it was set. */
  takeDeferred(): boolean {
    const was = this.deferred;
    this.deferred = false;
    return was;
  }

  /** The transport saw a doorbell write for this queue. */
  noteKick(): void {
    this.counters.kicks++;
    this.kickPending = true;
    this.tracer?.record(RING_EVENT.kick, 0, 0);
  }

  noteInterrupt(): void {
    this.counters.interrupts++;
    this.tracer?.record(RING_EVENT.interrupt, this.usedPosition, 0);
  }

  noteInterruptMerged(): void {
    this.counters.interruptsMerged++;
    this.tracer?.record(RING_EVENT.interruptMerged, this.usedPosition, 0);
  }

  noteInterruptSuppressed(): void {
    this.counters.interruptsSuppressed++;
    this.tracer?.record(RING_EVENT.interruptSuppressed, this.usedPosition, 0);
  }

  /** New buffers were found that no kick announced (the driver published with kicks off). */
  protected noteKickSuppressed(found: number): void {
    this.counters.kicksSuppressed++;
    this.tracer?.record(RING_EVENT.kickSuppressed, found, 0);
  }

  /** For the timeline: the used index (split) or the next-used slot (packed). */
  protected abstract get usedPosition(): number;

  /** For the timeline: the driver's used_event (packed: driver event off_wrap) was read; recorded when it changed. */
  protected traceUsedEvent(tracer: QueueTracer, value: number): void {
    if (value === tracer.lastUsedEvent) return;
    tracer.record(RING_EVENT.usedEvent, value, tracer.lastUsedEvent);
    tracer.lastUsedEvent = value;
  }

  /**
   * Detaches the queue from guest memory (reset or NEEDS_RESET): afterwards pop() finds
   * nothing and pushUsed() does nothing, so a device still holding the queue cannot
   * write into memory the driver may already have reused.
   */
  stop(): void {
    this.stopped = true;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /**
   * The chain a device hands back, checked. A chain from another queue, one put twice,
   * or `written` beyond the chain's writable bytes is a bug in the device, not the
   * driver: those throw a plain Error.
   */
  protected completing(chain: DescriptorChain, written: number): BufferChain {
    if (!(chain instanceof BufferChain) || chain.owner !== this) throw new Error(`device bug: queue ${this.index} was given a chain it did not pop`);
    if (chain.completed) throw new Error(`device bug: chain ${chain.head} put on the used ring twice (queue ${this.index})`);
    if (!Number.isInteger(written) || written < 0 || written > chain.writableLength) {
      throw new Error(`device bug: reported ${written} bytes written into a chain with ${chain.writableLength} writable bytes (queue ${this.index})`);
    }
    return chain;
  }

  protected error(message: string): QueueProtocolError {
    return new QueueProtocolError(`queue ${this.index}: ${message}`);
  }
}
