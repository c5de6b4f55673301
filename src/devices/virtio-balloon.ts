// virtio-balloon (spec 5.5): the host asks the guest to give memory back (num_pages); the
// guest gives pages on the inflate queue and takes them back on the deflate queue, and
// says how many it holds in `actual`. With DEFLATE_ON_OOM the guest takes pages back by
// itself when it runs short; with STATS_VQ it reports its memory figures; with
// PAGE_REPORTING it hands over ranges of free memory. Pages given up or reported are
// zeroed (balloon-pages.ts): in the browser the memory cannot be returned to the system,
// but a saved state, which is compressed, no longer carries what they held.
import type { GuestMemory } from "../memory/guest-memory.js";
import type { PlainData, StateReader } from "../snapshot/state-reader.js";
import { DeferredWork } from "../virtio/deferred-work.js";
import type { PollSource } from "../virtio/poll-source.js";
import type { DescriptorChain, VirtQueue } from "../virtio/queue-types.js";
import type { DeviceContext, VirtioDevice } from "../virtio/virtio-device.js";
import {
  BALLOON_F_DEFLATE_ON_OOM, BALLOON_F_PAGE_REPORTING, BALLOON_F_STATS_VQ, BALLOON_INFO, BALLOON_PAGE_BYTES,
  CONFIG_ACTUAL, CONFIG_NUM_PAGES, DEFLATEQ, INFLATEQ, optionalQueues,
} from "./balloon-spec.js";
import { readPageNumbers, ReportInProgress, ZERO_BYTES_PER_TURN, zeroPages } from "./balloon-pages.js";
import { StatsExchange, type GuestMemoryStats } from "./balloon-stats.js";

/** Live figures of the balloon. */
export type BalloonStats = {
  /** What the host asks for and what the guest says it has given, in bytes. */
  targetBytes: number;
  actualBytes: number;
  /** Pages (4 KiB) taken by inflate and given back by deflate buffers since the device was made. */
  pagesInflated: number;
  pagesDeflated: number;
  /** Free page reports zeroed, and their bytes. */
  reports: number;
  reportedBytes: number;
  /** The guest's memory figures (free_memory, available_memory, ...) and how many updates came. */
  guestStats: GuestMemoryStats;
  statsUpdates: number;
};

export interface BalloonOptions {
  /** The four queues' maximum sizes (default 256 each). */
  queueSizes?: readonly number[];
  /** Ticks (about 1 ms of guest time each) between requests for fresh statistics; 0: only on request. */
  statsPeriodTicks?: number;
}

/** About two seconds of guest time between statistics. */
export const DEFAULT_STATS_PERIOD_TICKS = 2000;

export class VirtioBalloon implements VirtioDevice {
  readonly info = BALLOON_INFO;
  readonly queueMaxSizes: readonly number[];
  readonly features = BALLOON_F_STATS_VQ | BALLOON_F_DEFLATE_ON_OOM | BALLOON_F_PAGE_REPORTING;
  private ctx: DeviceContext | undefined;
  private targetPages = 0;
  private actualPages = 0;
  private readonly counts = { pagesInflated: 0, pagesDeflated: 0, reports: 0, reportedBytes: 0 };
  private readonly statsExchange = new StatsExchange();
  private report: ReportInProgress | undefined;
  /** Zeroing left for this turn. */
  private allowance = ZERO_BYTES_PER_TURN;
  private readonly carryOn: DeferredWork;
  private readonly statsPeriod: number;
  private ticksSinceStats = 0;
  private stopTicks: (() => void) | undefined;

  constructor(private readonly memory: GuestMemory, private readonly ticks: PollSource, options: BalloonOptions = {}) {
    this.carryOn = new DeferredWork(ticks, () => this.ctx?.guard(() => {
      this.allowance = ZERO_BYTES_PER_TURN;
      this.work();
    }));
    this.statsPeriod = options.statsPeriodTicks ?? DEFAULT_STATS_PERIOD_TICKS;
    this.queueMaxSizes = options.queueSizes ? [...options.queueSizes] : [256, 256, 256, 256];
  }

  /** Asks the guest to give up memory until it has given `bytes` (rounded down to pages, at most all of RAM). */
  setTarget(bytes: number): void {
    const pages = Math.floor(Math.max(0, Math.min(bytes, this.memory.size)) / BALLOON_PAGE_BYTES);
    if (pages === this.targetPages) return;
    this.targetPages = pages;
    this.ctx?.configChanged();
  }

  get targetBytes(): number {
    return this.targetPages * BALLOON_PAGE_BYTES;
  }

  /** Asks the guest for fresh statistics now (they arrive when it has posted them). */
  requestStats(): void {
    this.ctx?.guard(() => this.giveStatsBack());
  }

  stats(): BalloonStats {
    const { stats, updates } = this.statsExchange.latest();
    return {
      targetBytes: this.targetPages * BALLOON_PAGE_BYTES, actualBytes: this.actualPages * BALLOON_PAGE_BYTES,
      ...this.counts, guestStats: stats, statsUpdates: updates,
    };
  }

  readConfig(offset: number, size: 1 | 2 | 4): number {
    const config = new DataView(new ArrayBuffer(BALLOON_INFO.configSize));
    config.setUint32(CONFIG_NUM_PAGES, this.targetPages, true);
    config.setUint32(CONFIG_ACTUAL, this.actualPages, true);
    if (size === 1) return config.getUint8(offset);
    if (size === 2) return config.getUint16(offset, true);
    return config.getUint32(offset, true);
  }

  writeConfig(offset: number, size: 1 | 2 | 4, value: number): void {
    // Only `actual` is the driver's to write; Linux writes it whole.
    if (offset === CONFIG_ACTUAL && size === 4) this.actualPages = value >>> 0;
  }

  activate(ctx: DeviceContext): void {
    this.ctx = ctx;
    this.allowance = ZERO_BYTES_PER_TURN;
    if (optionalQueues(ctx.features).stats !== undefined && this.statsPeriod > 0) {
      this.ticksSinceStats = 0;
      this.stopTicks = this.ticks.subscribe(() => this.onTick());
    }
    this.work();
  }

  notify(): void {
    this.allowance = ZERO_BYTES_PER_TURN;
    this.work();
  }

  reset(): void {
    this.ctx = undefined;
    this.carryOn.stop();
    this.stopTicks?.();
    this.stopTicks = undefined;
    this.report = undefined;
    this.statsExchange.forget();
    // The guest's balloon is gone with its driver: what it held is its own again.
    this.actualPages = 0;
  }

  saveState(): PlainData {
    return { targetPages: this.targetPages, actualPages: this.actualPages, ...this.counts };
  }

  restoreState(state: StateReader): void {
    const pages = Math.floor(this.memory.size / BALLOON_PAGE_BYTES);
    const restored = {
      targetPages: state.field("targetPages").integer(0, pages),
      actualPages: state.field("actualPages").integer(0, 0xffffffff),
      pagesInflated: state.field("pagesInflated").integer(0, Number.MAX_SAFE_INTEGER),
      pagesDeflated: state.field("pagesDeflated").integer(0, Number.MAX_SAFE_INTEGER),
      reports: state.field("reports").integer(0, Number.MAX_SAFE_INTEGER),
      reportedBytes: state.field("reportedBytes").integer(0, Number.MAX_SAFE_INTEGER),
    };
    this.targetPages = restored.targetPages;
    this.actualPages = restored.actualPages;
    Object.assign(this.counts, {
      pagesInflated: restored.pagesInflated, pagesDeflated: restored.pagesDeflated,
      reports: restored.reports, reportedBytes: restored.reportedBytes,
    });
  }

  /** Everything the queues hold, within this turn's zeroing allowance; the rest at the next tick. */
  private work(): void {
    const ctx = this.ctx;
    if (!ctx) return;
    this.movePages(ctx, INFLATEQ);
    this.movePages(ctx, DEFLATEQ);
    const { stats, reporting } = optionalQueues(ctx.features);
    if (stats !== undefined) this.takeStats(ctx, stats);
    if (reporting !== undefined) this.zeroReports(ctx, reporting);
  }

  private movePages(ctx: DeviceContext, index: number): void {
    const queue = ctx.queue(index);
    if (!queue) return;
    let used = false;
    while (index === DEFLATEQ || this.allowance > 0) {
      const chain = queue.pop();
      if (!chain) break;
      const name = BALLOON_INFO.queueNames[index]!;
      const { pfns, ignored } = readPageNumbers(chain, this.memory, name);
      if (ignored > 0) ctx.log(`${name}: a buffer listed ${pfns.length + ignored} pages; only the first ${pfns.length} were taken`);
      if (index === INFLATEQ) {
        zeroPages(pfns, this.memory);
        this.allowance -= pfns.length * BALLOON_PAGE_BYTES;
        this.counts.pagesInflated += pfns.length;
      } else {
        this.counts.pagesDeflated += pfns.length;
      }
      queue.pushUsed(chain, 0);
      used = true;
    }
    if (used) ctx.signalUsed(index);
    if (index === INFLATEQ && this.allowance <= 0) this.carryOn.schedule();
  }

  private takeStats(ctx: DeviceContext, index: number): void {
    const queue = ctx.queue(index);
    if (!queue) return;
    let returned = false;
    for (let chain = queue.pop(); chain; chain = queue.pop()) {
      this.statsExchange.take(chain, (old) => {
        queue.pushUsed(old, 0);
        returned = true;
      });
    }
    if (returned) ctx.signalUsed(index);
  }

  private zeroReports(ctx: DeviceContext, index: number): void {
    const queue = ctx.queue(index);
    if (!queue) return;
    let used = false;
    while (this.allowance > 0) {
      this.report ??= this.nextReport(queue);
      if (!this.report) break;
      this.allowance -= this.report.zero(this.allowance);
      if (!this.report.finished) break;
      this.counts.reports++;
      this.counts.reportedBytes += this.report.bytes;
      queue.pushUsed(this.report.chain, 0);
      this.report = undefined;
      used = true;
    }
    if (used) ctx.signalUsed(index);
    if (this.report) this.carryOn.schedule();
  }

  private nextReport(queue: VirtQueue): ReportInProgress | undefined {
    const chain: DescriptorChain | undefined = queue.pop();
    return chain ? new ReportInProgress(chain) : undefined;
  }

  private onTick(): void {
    if (++this.ticksSinceStats < this.statsPeriod) return;
    this.ticksSinceStats = 0;
    this.requestStats();
  }

  private giveStatsBack(): void {
    const ctx = this.ctx;
    const index = ctx ? optionalQueues(ctx.features).stats : undefined;
    const queue = index === undefined ? undefined : ctx?.queue(index);
    if (!ctx || index === undefined || !queue) return;
    if (this.statsExchange.request((chain) => queue.pushUsed(chain, 0))) ctx.signalUsed(index);
  }
}
