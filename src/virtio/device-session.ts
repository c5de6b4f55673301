// A device while the driver runs it: from DRIVER_OK to the next reset or failure. Holds the
// live rings, the DeviceContext handed to the device, and the turn every entry into the
// device runs as (work-budget.ts), with deferred work carried on at the next tick.
//
// The doorbell is the hot path (one per guest kick, thousands a second): notify() takes
// its steps inline, opening and closing the turn and catching what the device throws,
// and allocates nothing; a failure's message is built only when there is one.
import { GuestMemoryError, type GuestMemory } from "../memory/guest-memory.js";
import { VIRTIO_F_RING_EVENT_IDX, VIRTIO_F_RING_INDIRECT_DESC, VIRTIO_F_RING_PACKED } from "./features.js";
import type { DeviceInterrupt } from "./interrupt.js";
import type { PollSource } from "./poll-source.js";
import type { QueueConfig } from "./queue-config.js";
import { QueueProtocolError } from "./queue-types.js";
import { SplitQueue } from "./split-queue.js";
import { PackedQueue } from "./packed-queue.js";
import type { DeviceRing, RingState } from "./device-ring.js";
import type { QueueTracer } from "./ring-trace.js";
import type { DeviceContext, VirtioDevice } from "./virtio-device.js";
import { DeferredWork } from "./deferred-work.js";
import { WorkBudget } from "./work-budget.js";
import { errorMessage } from "../util/error-message.js";

/** What the session needs from the device model around it. */
export interface SessionOwner {
  fail(reason: string): void;
  note(message: string): void;
  /** The device changed its config: bump config_generation and tell the driver. */
  configChanged(): void;
  /** DRIVER_OK is set and the device has not failed. */
  readonly active: boolean;
}

export class DeviceSession {
  /** The live rings, by index, from DRIVER_OK until reset (kept, stopped, after a failure, for the inspector). */
  private rings: (DeviceRing | undefined)[] = [];
  /** Identifies the current DeviceContext; a context whose token is not this one is stale. */
  private token: object | undefined;
  /** What one turn of device work may cost the host, shared by every queue. */
  readonly budget = new WorkBudget();
  private readonly deferred: DeferredWork;
  /** Per queue index, where its ring records timeline events (ring-trace.ts); undefined while the timeline is off. */
  private tracers: readonly (QueueTracer | null)[] | undefined;

  constructor(
    private readonly device: VirtioDevice,
    private readonly memory: GuestMemory,
    private readonly interrupt: DeviceInterrupt,
    ticks: PollSource,
    private readonly owner: SessionOwner,
  ) {
    this.deferred = new DeferredWork(ticks, () => this.carryOn());
  }

  /** The live ring `index`, if any. */
  ring(index: number): DeviceRing | undefined {
    return this.rings[index];
  }

  get ringCount(): number {
    return this.rings.length;
  }

  /** Switches the timeline on (a tracer per queue index) or off (undefined), for the live rings and those built later. */
  traceRings(tracers: readonly (QueueTracer | null)[] | undefined): void {
    this.tracers = tracers;
    this.rings.forEach((ring, i) => {
      if (ring) ring.tracer = tracers?.[i] ?? null;
    });
  }

  /**
   * DRIVER_OK: the enabled queues' rings from their registers, packed if the driver took
   * VIRTIO_F_RING_PACKED, else split; false (and the device failed) if one is unusable.
   */
  buildRings(configs: readonly QueueConfig[], features: bigint): boolean {
    const rings: (DeviceRing | undefined)[] = [];
    const options = {
      eventIdx: (features & VIRTIO_F_RING_EVENT_IDX) !== 0n,
      indirect: (features & VIRTIO_F_RING_INDIRECT_DESC) !== 0n,
      budget: this.budget,
    };
    const packed = (features & VIRTIO_F_RING_PACKED) !== 0n;
    try {
      for (const q of configs) {
        if (!q.enabled) continue;
        rings[q.index] = packed
          ? new PackedQueue(this.memory, { index: q.index, ...q.packedLayout, ...options })
          : new SplitQueue(this.memory, { index: q.index, ...q.layout, ...options });
        rings[q.index]!.tracer = this.tracers?.[q.index] ?? null;
      }
    } catch (e) {
      // Layouts were checked at queue_enable, so this is not expected; still, never throw.
      this.owner.fail(e instanceof QueueProtocolError ? e.message : `internal error in activate: ${errorMessage(e)}`);
      return false;
    }
    this.rings = rings;
    return true;
  }

  /** Takes up saved ring positions (after buildRings, before start). */
  resumeRings(saved: readonly (RingState | null)[]): void {
    saved.forEach((state, i) => {
      if (state) this.rings[i]?.resume(state);
    });
  }

  /** Hands the device a fresh context: from now on it runs, until stop(). */
  start(features: bigint): void {
    const ctx = this.openContext(features);
    this.begin();
    try {
      this.device.activate(ctx);
    } catch (e) {
      this.failFrom(e, "activate");
    }
    this.end();
  }

  /** The driver kicked queue `index`, whose ring is live. */
  notify(index: number, ring: DeviceRing): void {
    ring.noteKick();
    this.runNotify(index);
  }

  /** Tells the driver about used buffers on `index`, unless its suppression says not now. */
  signalUsed(index: number): void {
    const q = this.rings[index];
    if (!q?.hasUnsignalledUsed) return;
    if (q.needsInterrupt()) {
      const outcome = this.interrupt.raise("queue", index);
      if (outcome === "sent") q.noteInterrupt();
      else if (outcome === "merged") q.noteInterruptMerged();
      // Routed nowhere (the driver polls this queue): suppressed by the driver's choice.
      else q.noteInterruptSuppressed();
    } else {
      q.noteInterruptSuppressed();
    }
  }

  /** Runs device code from outside a doorbell (config access, a backend, a timer) as a turn. */
  guard(what: string, work: () => void): void {
    this.begin();
    try {
      work();
    } catch (e) {
      this.failFrom(e, what);
    }
    this.end();
  }

  /** After a restore: the device looks at every live queue once, as if kicked, and signals what is due. */
  lookAtEveryQueue(): void {
    for (const q of this.rings) {
      if (!q) continue;
      this.runNotify(q.index);
      this.signalUsed(q.index);
    }
  }

  /** Detaches the rings (kept for the inspector), ends the device's context, resets the device. */
  stop(): void {
    for (const q of this.rings) q?.stop();
    this.deferred.stop();
    this.token = undefined;
    try {
      this.device.reset();
    } catch (e) {
      this.owner.note(`internal error in reset: ${errorMessage(e)}`);
    }
  }

  /** Forgets the rings (a reset: the driver's next DRIVER_OK builds new ones). */
  clear(): void {
    this.rings = [];
  }

  private runNotify(index: number): void {
    this.begin();
    try {
      this.device.notify(index);
    } catch (e) {
      this.failFrom(e, `notify(${index})`);
    }
    this.end();
  }

  private begin(): void {
    this.budget.begin();
  }

  /** Ends a turn; after the outermost one, work a queue left for lack of budget goes on at the next tick. */
  private end(): void {
    if (!this.budget.end() || !this.owner.active || this.deferred.pending) return;
    // Indexed, not for-of: this runs after every doorbell and must not allocate an iterator.
    for (let i = 0; i < this.rings.length; i++) {
      if (this.rings[i]?.hasDeferredWork) {
        this.budget.noteDeferral();
        this.deferred.schedule();
        return;
      }
    }
  }

  /** The next tick after a turn ran out of budget: the device looks at those queues again, as if kicked. */
  private carryOn(): void {
    if (!this.owner.active) return;
    this.begin();
    try {
      for (const q of this.rings) {
        if (q?.takeDeferred() && this.owner.active) this.device.notify(q.index);
      }
    } catch (e) {
      this.failFrom(e, "carrying on deferred work");
    }
    this.end();
  }

  /**
   * A QueueProtocolError or GuestMemoryError (the driver's fault) fails the device with its
   * message; anything else is a bug on our side, but it fails only this device too, marked
   * "internal error", so one broken device cannot stop the machine.
   */
  private failFrom(e: unknown, what: string): void {
    if (e instanceof QueueProtocolError || e instanceof GuestMemoryError) {
      this.owner.fail(e.message);
    } else {
      if (e instanceof Error && e.stack) this.owner.note(e.stack);
      this.owner.fail(`internal error in ${what}: ${errorMessage(e)}`);
    }
  }

  private openContext(features: bigint): DeviceContext {
    const token = {};
    this.token = token;
    const live = () => this.token === token;
    return {
      features,
      queue: (index) => (live() ? this.rings[index] : undefined),
      signalUsed: (index) => { if (live()) this.signalUsed(index); },
      configChanged: () => { if (live()) this.owner.configChanged(); },
      fail: (reason) => { if (live()) this.owner.fail(reason); },
      log: (message) => this.owner.note(message),
      guard: (work) => { if (live()) this.guard("device work", work); },
    };
  }
}
