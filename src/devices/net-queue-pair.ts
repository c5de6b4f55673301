// The rx/tx queue pair of virtio-net and its notification policy.
//
// "shared" (the default): rx and tx are one pair serviced by one pass, whatever woke the
// device (a kick on any queue, frames from the backend, the poll tick). A pass drains tx,
// fills rx, and signals both queues if either did work: with INTx there is one line and
// one ISR, so one interrupt covers both. While traffic flows the device keeps tx kicks off
// and runs a pass on every poll tick instead; after
// `idleTicks` ticks without work it turns tx kicks back on, re-checks the ring (a buffer
// published while kicks were off gets no kick), and stops polling. rx kicks are asked for
// only while frames wait for rx buffers (with the same re-check); otherwise the backend's
// "frames ready" and the tick are what deliver frames, and refills need not kick.
//
// "per-queue": the plain behaviour to compare against. tx is drained on tx kicks, rx filled
// on rx kicks and backend frames, each queue signalled for its own work, notifications
// always on, no polling.
import type { NetBackend } from "../backends/net/net-backend.js";
import type { PollSource } from "../virtio/poll-source.js";
import type { DeviceContext } from "../virtio/virtio-device.js";
import type { NetFormat } from "./net-header.js";
import { RxFiller, type RxStats } from "./net-rx.js";
import { TxDrainer, type TxStats } from "./net-tx.js";

export type { TxStats } from "./net-tx.js";

export type NotificationPolicy = "shared" | "per-queue";
/** "polling": kicks off, the tick services the pair. "notified": kicks (and the backend) wake it. */
export type PairMode = "notified" | "polling";

export const RX_QUEUE = 0;
export const TX_QUEUE = 1;
export const DEFAULT_IDLE_TICKS = 32;
/**
 * Shared policy: transmit completions with no receive work beside them wait up to this
 * many ticks for an interrupt to ride on (the next received frame's), or for a quarter of
 * the ring to be waiting, before they get one of their own. During an upload that halves
 * the guest's interrupts; a tick is about a millisecond (the machine keeps ticking at that
 * pace while the pair polls, even when the guest halts).
 */
export const TX_COALESCE_TICKS = 2;

export type PairStats = {
  policy: NotificationPolicy;
  mode: PairMode;
  /** Service passes run (any cause). */
  passes: number;
  /** Poll ticks handled (each runs a pass). */
  polls: number;
  /** Times the pair started polling / went back to waiting for kicks. */
  toPolling: number;
  toNotified: number;
  tx: TxStats;
  rx: RxStats & { waitingInDevice: number; heldBuffers: number; backendHasFrames: boolean };
};

export interface QueuePairOptions {
  backend: NetBackend;
  poll: PollSource;
  policy: NotificationPolicy;
  /** Consecutive idle ticks before the pair stops polling (shared policy). */
  idleTicks: number;
}

export class NetQueuePair {
  private readonly rx: RxFiller;
  private readonly tx: TxDrainer;
  private readonly counts = { passes: 0, polls: 0, toPolling: 0, toNotified: 0 };
  private ctx: DeviceContext | undefined;
  private format: NetFormat | undefined;
  private currentMode: PairMode = "notified";
  private unsubscribe: (() => void) | undefined;
  private idle = 0;
  /** rx notifications are on (shared policy turns them on only to learn about refills). */
  private rxKicks = true;
  /** Shared policy: transmit completions not yet signalled, and ticks they have waited. */
  private txUnsignalled = 0;
  private txWaitedTicks = 0;
  // A pass can be asked for while one runs (the backend may call back from
  // receiveFromGuest): the request is remembered and the running pass loops.
  private busy = false;
  private wantTx = false;
  private wantRx = false;

  /** The poll source's listener: each tick is one turn of device work (bound once, not per tick). */
  private readonly onPollTick = (): void => this.ctx?.guard(this.runTick);
  private readonly runTick = (): void => this.tick();

  constructor(private readonly opts: QueuePairOptions) {
    this.rx = new RxFiller(opts.backend, (m) => this.ctx?.log(m));
    this.tx = new TxDrainer(opts.backend, (m) => this.ctx?.log(m));
  }

  private get shared(): boolean {
    return this.opts.policy === "shared";
  }

  /** DRIVER_OK: starts waiting for kicks, then services whatever is already there. */
  start(ctx: DeviceContext, format: NetFormat): void {
    this.ctx = ctx;
    this.format = format;
    this.currentMode = "notified";
    this.idle = 0;
    this.rxKicks = true;
    if (this.shared) this.setRxKicks(false);
    this.request(true, true);
  }

  /** Reset or failure: the queues are gone. */
  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.ctx = undefined;
    this.format = undefined;
    this.currentMode = "notified";
    this.wantTx = this.wantRx = false;
    this.txUnsignalled = this.txWaitedTicks = 0;
    this.rx.clear();
  }

  /** The driver kicked queue `index` (0 rx, 1 tx, 2 control: one doorbell for the pair). */
  kick(index: number): void {
    if (this.shared) this.request(true, true);
    else if (index === TX_QUEUE) this.request(true, false);
    else if (index === RX_QUEUE) this.request(false, true);
  }

  /** The backend has frames for the guest (called from its listener). */
  framesReady(): void {
    this.rx.backendReady = true;
    this.ctx?.guard(() => this.request(this.shared, true));
  }

  /** Whether the pair polls its rings now or waits for kicks. */
  get mode(): PairMode {
    return this.currentMode;
  }

  stats(): PairStats {
    return {
      policy: this.opts.policy,
      mode: this.currentMode,
      ...this.counts,
      tx: { ...this.tx.stats, dropped: { ...this.tx.stats.dropped } },
      rx: {
        ...this.rx.stats, dropped: { ...this.rx.stats.dropped },
        waitingInDevice: this.rx.holdingFrame ? 1 : 0, heldBuffers: this.rx.heldBuffers, backendHasFrames: this.rx.backendReady,
      },
    };
  }

  /** Runs passes until nothing more was asked for; true if any of them did work. */
  private request(tx: boolean, rx: boolean): boolean {
    this.wantTx ||= tx;
    this.wantRx ||= rx;
    if (this.busy) return false;
    this.busy = true;
    let worked = false;
    try {
      while (this.ctx && (this.wantTx || this.wantRx)) {
        const doTx = this.wantTx;
        const doRx = this.wantRx;
        this.wantTx = this.wantRx = false;
        const progress = this.pass(this.ctx, doTx, doRx);
        worked ||= progress;
        if (this.shared && this.ctx) this.settle(this.ctx, progress);
      }
    } finally {
      this.busy = false;
    }
    return worked;
  }

  private pass(ctx: DeviceContext, doTx: boolean, doRx: boolean): boolean {
    this.counts.passes++;
    const txq = ctx.queue(TX_QUEUE);
    const rxq = ctx.queue(RX_QUEUE);
    const sent = doTx && txq && this.format ? this.tx.drain(txq, this.format) : 0;
    const received = doRx && rxq && this.format ? this.rx.fill(rxq, this.format) : 0;
    if (this.shared) {
      // One interrupt line, one ISR: whatever finished on either queue goes out together.
      // Transmit completions alone may wait a little for receive work to share with.
      this.txUnsignalled += sent;
      const txRing = txq?.size ?? 0;
      if (received > 0 || this.txUnsignalled * 4 >= txRing || (this.txUnsignalled > 0 && this.txWaitedTicks >= TX_COALESCE_TICKS)) {
        this.signalPair(ctx);
      }
    } else {
      if (sent > 0) ctx.signalUsed(TX_QUEUE);
      if (received > 0) ctx.signalUsed(RX_QUEUE);
    }
    return sent + received > 0;
  }

  private signalPair(ctx: DeviceContext): void {
    this.txUnsignalled = this.txWaitedTicks = 0;
    ctx.signalUsed(RX_QUEUE);
    ctx.signalUsed(TX_QUEUE);
  }

  /** Shared policy, after each pass: work means traffic flows, so poll; rx kicks track stalls. */
  private settle(ctx: DeviceContext, progress: boolean): void {
    if (progress) {
      this.idle = 0;
      if (this.currentMode === "notified") this.startPolling(ctx);
    }
    this.armRxKicks();
  }

  private startPolling(ctx: DeviceContext): void {
    this.currentMode = "polling";
    this.counts.toPolling++;
    ctx.queue(TX_QUEUE)?.disableNotifications();
    this.unsubscribe ??= this.opts.poll.subscribe(this.onPollTick);
  }

  private tick(): void {
    this.counts.polls++;
    if (this.txUnsignalled > 0) this.txWaitedTicks++;
    if (this.request(true, true)) this.idle = 0;
    else if (this.currentMode === "polling" && ++this.idle >= this.opts.idleTicks) this.stopPolling();
  }

  /** Idle: kicks back on, then the re-check that closes the race with a late buffer. */
  private stopPolling(): void {
    const ctx = this.ctx;
    if (!ctx) return;
    this.currentMode = "notified";
    this.counts.toNotified++;
    this.idle = 0;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    // Nothing waits for a tick any more: completions held back for company go out now.
    if (this.txUnsignalled > 0) this.signalPair(ctx);
    // A buffer the guest published while kicks were off will never be kicked for: if
    // enableNotifications() sees one, service it now (the pass will start polling again).
    if (ctx.queue(TX_QUEUE)?.enableNotifications()) this.request(true, true);
  }

  /**
   * rx kicks are wanted exactly while frames wait for buffers: then the guest's refill
   * should wake the device at once rather than at the next tick. Otherwise refills need no
   * kick (frames from the backend start a pass themselves), so rx kicks stay off.
   */
  private armRxKicks(): void {
    if (this.rx.stalled === this.rxKicks) return;
    if (this.setRxKicks(this.rx.stalled)) this.wantRx = this.wantTx = true;
  }

  /** Turns rx notifications on or off; true if buffers arrived while they were off. */
  private setRxKicks(on: boolean): boolean {
    this.rxKicks = on;
    const rxq = this.ctx?.queue(RX_QUEUE);
    if (!rxq) return false;
    if (!on) {
      rxq.disableNotifications();
      return false;
    }
    return rxq.enableNotifications();
  }
}
