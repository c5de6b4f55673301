// Receive side of virtio-net: moves frames from the backend into the guest's rx buffers.
//
// The backend contract says nextForGuest() is called only when the guest has room, and a
// popped chain cannot be handed back to the ring, so the order is: hold a buffer, then
// pull a frame. A frame that needs more buffers than are posted (a 64 KiB GSO frame with
// MRG_RXBUF) waits here, with the buffers already taken, until the guest posts more. So
// at most one frame ever sits in the device; everything else waits in the backend. (The
// waiting frame's bytes stay valid: the backend may reuse them only at the next pull.)
import type { NetBackend } from "../backends/net/net-backend.js";
import type { DescriptorChain, VirtQueue } from "../virtio/queue-types.js";
import { LogBudget, NET_HDR_BYTES, NetProtocolError, rxPlan, type NetFormat, type RxDropReason, type RxPlan } from "./net-header.js";
import { errorMessage } from "../util/error-message.js";

export type RxStats = {
  frames: number;
  /** Frame bytes delivered (headers not counted). */
  bytes: number;
  dropped: Record<RxDropReason, number>;
  /** Fills that stopped for lack of rx buffers while the backend had (or may have had) frames. */
  stalls: number;
};

/** Result of looking for buffers for the waiting frame. */
type Room = { chains: number } | "wait" | "never";

export class RxFiller {
  readonly stats: RxStats = { frames: 0, bytes: 0, dropped: { runt: 0, oversize: 0, badGso: 0, noRoom: 0, reset: 0 }, stalls: 0 };
  /**
   * The backend may have frames: set by its listener, cleared when nextForGuest() comes
   * back empty. Starts true so a new session looks once.
   */
  backendReady = true;
  /** The last fill stopped because a frame waits and the rx ring is empty. */
  stalled = false;
  private held: DescriptorChain[] = [];
  private pending: RxPlan | undefined;
  private readonly logBudget = new LogBudget();

  constructor(private readonly backend: NetBackend, private readonly log: (message: string) => void) {}

  /** A frame was taken from the backend and waits here for buffers. */
  get holdingFrame(): boolean {
    return this.pending !== undefined;
  }

  get heldBuffers(): number {
    return this.held.length;
  }

  /** The queues are gone (reset or failure): popped buffers died with them. */
  clear(): void {
    if (this.pending) this.stats.dropped.reset++;
    this.pending = undefined;
    this.held = [];
    this.stalled = false;
    this.backendReady = true;
  }

  /**
   * Delivers frames while the backend has some and the ring has room. Returns how many
   * frames were finished with (delivered or dropped): the pair's measure of work.
   * Throws NetProtocolError for an rx buffer that cannot hold a header.
   */
  fill(rx: VirtQueue, format: NetFormat): number {
    let moved = 0;
    this.stalled = false;
    for (;;) {
      if (!this.pending) {
        if (!this.backendReady) return moved;
        if (this.held.length === 0 && !this.take(rx)) return this.stall(moved);
        const frame = this.next();
        if (!frame) {
          this.backendReady = false;
          return moved;
        }
        const plan = rxPlan(frame, format);
        if ("drop" in plan) {
          this.drop(plan.drop, plan.why);
          moved++;
          continue;
        }
        this.pending = plan;
      }
      const room = this.room(rx, this.pending.total, format.mergeable);
      if (room === "wait") return this.stall(moved);
      if (room === "never") {
        // Keep the buffers: a smaller frame may fit them.
        this.drop("noRoom", `${this.pending.frameBytes}-byte frame does not fit the guest's rx buffers`);
      } else {
        this.place(rx, this.pending, room.chains, format.mergeable);
      }
      this.pending = undefined;
      moved++;
    }
  }

  private stall(moved: number): number {
    this.stalled = true;
    this.stats.stalls++;
    return moved;
  }

  private next() {
    try {
      return this.backend.nextForGuest();
    } catch (e) {
      this.logBudget.log(this.log, `rx: backend failed to give a frame: ${errorMessage(e)}`);
      return undefined;
    }
  }

  /** Pops one rx buffer into `held`; false if the ring is empty. */
  private take(rx: VirtQueue): boolean {
    const chain = rx.pop();
    if (!chain) return false;
    // Spec 5.1.6.3.1 asks this of mergeable buffers; without MRG_RXBUF such a buffer could
    // never take a frame either, and would block the ring for good.
    if (chain.writableLength < NET_HDR_BYTES) {
      throw new NetProtocolError(`rx buffer ${chain.head} has ${chain.writableLength} writable bytes, less than the ${NET_HDR_BYTES}-byte header`);
    }
    this.held.push(chain);
    return true;
  }

  /** How many held buffers (popping more as needed) carry `total` bytes. */
  private room(rx: VirtQueue, total: number, mergeable: boolean): Room {
    if (this.held.length === 0 && !this.take(rx)) return "wait";
    if (!mergeable) return this.held[0]!.writableLength >= total ? { chains: 1 } : "never";
    let bytes = 0;
    for (let n = 0; ; n++) {
      if (n === this.held.length) {
        // Every ring entry is already ours and the frame still does not fit: it never will.
        if (this.held.length >= rx.size) return "never";
        if (!this.take(rx)) return "wait";
      }
      bytes += this.held[n]!.writableLength;
      if (bytes >= total) return { chains: n + 1 };
    }
  }

  /** Writes the frame across `count` held buffers and puts them on the used ring together. */
  private place(rx: VirtQueue, plan: RxPlan, count: number, mergeable: boolean): void {
    const chains = this.held.splice(0, count);
    // num_buffers: how many buffers this frame spans (always 1 without MRG_RXBUF).
    const buffers = mergeable ? count : 1;
    plan.header[10] = buffers & 0xff;
    plan.header[11] = buffers >> 8;
    const pieces = [plan.header, ...plan.pieces];
    let piece = 0;
    let offset = 0;
    for (const chain of chains) {
      const writer = chain.writer();
      while (writer.remaining > 0 && piece < pieces.length) {
        const data = pieces[piece]!;
        offset += writer.write(offset === 0 ? data : data.subarray(offset));
        if (offset >= data.length) {
          piece++;
          offset = 0;
        }
      }
      rx.pushUsed(chain, writer.written);
    }
    this.stats.frames++;
    this.stats.bytes += plan.frameBytes;
  }

  private drop(reason: RxDropReason, why: string): void {
    this.stats.dropped[reason]++;
    this.logBudget.log(this.log, `rx frame dropped: ${why}`);
  }
}
