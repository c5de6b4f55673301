// The transport-independent half of a virtio device (virtio 1.2, sections 2 and 3):
// feature negotiation, the status state machine, per-queue configuration, config space
// and interrupts, around one VirtioDevice. A transport (virtio-pci today, virtio-mmio
// later) maps its registers onto the accessors here and does nothing virtio-specific
// itself; the device only ever sees the DeviceContext handed to activate().
//
// Nothing the driver writes may throw out of here: mistakes either are refused the way
// the spec says (FEATURES_OK stays clear), ignored with a log line (harmless ones), or
// put the device into DEVICE_NEEDS_RESET (fail()), and the rest of the machine runs on.
// Which is which: selecting and reading never fail (that is how a driver discovers the
// device). A write or doorbell aimed at something the device does not have (a queue
// beyond num_queues, config bytes beyond its config space) means the driver works from
// a wrong picture of the device: NEEDS_RESET. A write to something that exists but
// cannot change now (features after FEATURES_OK, a queue's layout once enabled,
// read-only config) is dropped with a log line: the driver reads back the real value.
import { GuestMemoryError, type GuestMemory } from "../memory/guest-memory.js";
import {
  STATUS_ACKNOWLEDGE, STATUS_DEVICE_NEEDS_RESET, STATUS_DRIVER, STATUS_DRIVER_OK, STATUS_FAILED, STATUS_FEATURES_OK,
  VIRTIO_F_RING_EVENT_IDX, VIRTIO_F_RING_INDIRECT_DESC, VIRTIO_F_VERSION_1, featureHex, featureNames, statusNames,
} from "./features.js";
import { QueueProtocolError } from "./queue-types.js";
import { SplitQueue, splitRingLayoutError } from "./split-queue.js";
import { QueueConfig } from "./queue-config.js";
import type { DeviceModelOptions, DeviceModelSnapshot } from "./device-model-types.js";
import type { DeviceContext, VirtioDevice } from "./virtio-device.js";
import type { CheckedDeviceModelState, DeviceModelState } from "./device-model-state.js";
import type { DeviceInterrupt } from "./interrupt.js";
import { WorkBudget } from "./work-budget.js";
import { DeferredWork } from "./deferred-work.js";
import { LogLimiter } from "./log-limiter.js";

export type { DeviceModelOptions, DeviceModelSnapshot, InterruptKind, QueueModelSnapshot } from "./device-model-types.js";

// Status bits a driver may set. Bits 4 and 5 are reserved; DEVICE_NEEDS_RESET is the device's.
const DRIVER_STATUS_BITS = STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_DRIVER_OK | STATUS_FEATURES_OK | STATUS_FAILED;
// Feature windows beyond 128 bits hold nothing (the spec defines none).
const FEATURE_WINDOWS = 4;
const SPURIOUS_NOTIFY_LOG_LIMIT = 8;
/**
 * Log lines a device may write between two resets, failure reasons aside (those are always
 * logged). A guest looping on a bad register write would otherwise flood the host's log
 * at the speed of MMIO.
 */
export const LOG_LINES_PER_RESET = 32;

export class VirtioDeviceModel {
  readonly offeredFeatures: bigint;
  /** Why the device last went into DEVICE_NEEDS_RESET (kept across resets, for the inspector). */
  lastError: string | undefined;
  /** Doorbell writes that named no live queue. */
  spuriousNotifies = 0;

  private readonly log: (message: string) => void;
  private readonly interrupt: DeviceInterrupt;
  /** What one turn of device work may cost the host (work-budget.ts), shared by every queue. */
  private readonly budget = new WorkBudget();
  private readonly deferred: DeferredWork;
  private readonly queueConfigs: QueueConfig[];
  /** The live rings, by index, from DRIVER_OK until reset. */
  private queues: (SplitQueue | undefined)[] = [];
  /** Identifies the current DeviceContext; a context whose token is not this one is stale. */
  private session: object | undefined;
  private driverStatus = 0;
  private needsReset = false;
  private driverFeatures = 0n;
  private negotiated: bigint | undefined;
  private deviceFeatureSel = 0;
  private driverFeatureSel = 0;
  private queueSel = 0;
  private generation = 0;
  private linesLogged = 0;

  constructor(readonly device: VirtioDevice, private readonly memory: GuestMemory, options: DeviceModelOptions) {
    this.interrupt = options.interrupt;
    this.deferred = new DeferredWork(options.ticks, () => this.carryOn());
    const limiter = new LogLimiter(options.log ?? ((message) => console.warn(message)));
    this.log = (message) => limiter.log(message);
    let features = device.features | VIRTIO_F_VERSION_1;
    if (options.eventIdx ?? true) features |= VIRTIO_F_RING_EVENT_IDX;
    if (options.indirect ?? true) features |= VIRTIO_F_RING_INDIRECT_DESC;
    this.offeredFeatures = features;
    this.queueConfigs = device.queueMaxSizes.map((max, i) => new QueueConfig(i, max));
  }

  // ---- feature registers (two 32-bit windows each, chosen by a select register) ----

  get deviceFeatureSelect(): number { return this.deviceFeatureSel; }
  set deviceFeatureSelect(value: number) { this.deviceFeatureSel = value >>> 0; }

  get deviceFeature(): number {
    return window32(this.offeredFeatures, this.deviceFeatureSel);
  }

  get driverFeatureSelect(): number { return this.driverFeatureSel; }
  set driverFeatureSelect(value: number) { this.driverFeatureSel = value >>> 0; }

  get driverFeature(): number {
    return window32(this.driverFeatures, this.driverFeatureSel);
  }

  set driverFeature(value: number) {
    if (this.driverStatus & STATUS_FEATURES_OK) {
      this.note(`driver feature write after FEATURES_OK ignored`);
      return;
    }
    const sel = this.driverFeatureSel;
    if (sel >= FEATURE_WINDOWS) {
      if (value !== 0) this.note(`driver accepted features in window ${sel}, which holds none; ignored`);
      return;
    }
    const shift = BigInt(32 * sel);
    this.driverFeatures = (this.driverFeatures & ~(0xffffffffn << shift)) | (BigInt(value >>> 0) << shift);
  }

  /** The features agreed at FEATURES_OK, or undefined before that. */
  get negotiatedFeatures(): bigint | undefined {
    return this.negotiated;
  }

  // ---- status ----

  get status(): number {
    return this.driverStatus | (this.needsReset ? STATUS_DEVICE_NEEDS_RESET : 0);
  }

  set status(value: number) {
    const requested = value & 0xff & DRIVER_STATUS_BITS;
    if ((value & 0xff) === 0) {
      this.reset();
      return;
    }
    if (this.needsReset) {
      this.note(`status write 0x${(value & 0xff).toString(16)} ignored: the device needs a reset`);
      return;
    }
    // 2.1.1: the driver MUST NOT clear a status bit; only writing 0 (reset) does.
    const cleared = this.driverStatus & ~requested;
    if (cleared !== 0) {
      this.fail(`driver cleared status bits ${statusNames(cleared).join("|")} without a reset`);
      return;
    }
    let added = requested & ~this.driverStatus;
    if (added & STATUS_FEATURES_OK) {
      // 3.1.1: refusing features means leaving FEATURES_OK clear; the driver re-reads it.
      const problem = this.featuresProblem();
      if (problem === undefined) {
        this.negotiated = this.driverFeatures;
      } else {
        this.note(`FEATURES_OK refused: ${problem}`);
        added &= ~STATUS_FEATURES_OK;
      }
    }
    if (added & STATUS_DRIVER_OK && !((this.driverStatus | added) & STATUS_FEATURES_OK)) {
      this.fail("driver set DRIVER_OK without FEATURES_OK");
      return;
    }
    this.driverStatus |= added;
    if (added & STATUS_FAILED) this.note("driver set FAILED: it gave up on the device");
    if (added & STATUS_DRIVER_OK) this.activate();
  }

  private featuresProblem(): string | undefined {
    const extra = this.driverFeatures & ~this.offeredFeatures;
    if (extra !== 0n) return `driver accepted features never offered: ${featureNames(extra, this.device.deviceType).join(", ")}`;
    if (!(this.driverFeatures & VIRTIO_F_VERSION_1)) return "driver did not accept VERSION_1 (legacy drivers are not supported)";
    return undefined;
  }

  get configGeneration(): number {
    return this.generation;
  }

  // ---- queue registers (apply to the queue chosen by queueSelect) ----

  get numQueues(): number {
    return this.queueConfigs.length;
  }

  get queueSelect(): number { return this.queueSel; }
  set queueSelect(value: number) { this.queueSel = value & 0xffff; }

  /** Size of the selected queue; 0 for a queue that does not exist (spec: unavailable). */
  get queueSize(): number { return this.selected()?.size ?? 0; }
  set queueSize(value: number) {
    const q = this.writableQueue("queue_size");
    // Checked when the driver enables the queue: the driver may write fields in any order.
    if (q) q.size = value & 0xffff;
  }

  get queueEnable(): number { return this.selected()?.enabled ? 1 : 0; }
  set queueEnable(value: number) {
    const q = this.selected();
    if (!q) {
      this.fail(`queue_enable write for queue ${this.queueSel}, which does not exist (the device has ${this.numQueues})`);
      return;
    }
    if ((value & 0xffff) === 0) {
      // 4.1.4.3.2: the driver MUST NOT write 0; there is no way back but reset.
      if (q.enabled) this.note(`driver wrote 0 to queue_enable of queue ${q.index}; ignored`);
      return;
    }
    if (q.enabled) return;
    if (this.driverStatus & STATUS_DRIVER_OK || this.needsReset) {
      this.note(`queue_enable of queue ${q.index} after DRIVER_OK ignored`);
      return;
    }
    const problem = q.size > q.maxSize
      ? `queue size ${q.size} is larger than the maximum ${q.maxSize}`
      : splitRingLayoutError(this.memory, q.layout);
    if (problem !== undefined) {
      this.fail(`queue ${q.index}: ${problem}`);
      return;
    }
    q.enabled = true;
  }

  /** Each queue has its own notify offset: its index (the transport multiplies it). */
  get queueNotifyOff(): number { return this.selected()?.index ?? 0; }

  get queueDescLo(): number { return this.selected()?.descLo ?? 0; }
  set queueDescLo(value: number) { const q = this.writableQueue("queue_desc"); if (q) q.descLo = value >>> 0; }
  get queueDescHi(): number { return this.selected()?.descHi ?? 0; }
  set queueDescHi(value: number) { const q = this.writableQueue("queue_desc"); if (q) q.descHi = value >>> 0; }
  get queueDriverLo(): number { return this.selected()?.driverLo ?? 0; }
  set queueDriverLo(value: number) { const q = this.writableQueue("queue_driver"); if (q) q.driverLo = value >>> 0; }
  get queueDriverHi(): number { return this.selected()?.driverHi ?? 0; }
  set queueDriverHi(value: number) { const q = this.writableQueue("queue_driver"); if (q) q.driverHi = value >>> 0; }
  get queueDeviceLo(): number { return this.selected()?.deviceLo ?? 0; }
  set queueDeviceLo(value: number) { const q = this.writableQueue("queue_device"); if (q) q.deviceLo = value >>> 0; }
  get queueDeviceHi(): number { return this.selected()?.deviceHi ?? 0; }
  set queueDeviceHi(value: number) { const q = this.writableQueue("queue_device"); if (q) q.deviceHi = value >>> 0; }

  private selected(): QueueConfig | undefined {
    return this.queueConfigs[this.queueSel];
  }

  /** The selected queue if its configuration may still change, else undefined (logged, or failed if there is no such queue). */
  private writableQueue(register: string): QueueConfig | undefined {
    const q = this.selected();
    if (!q) this.fail(`${register} write for queue ${this.queueSel}, which does not exist (the device has ${this.numQueues})`);
    else if (q.enabled || this.driverStatus & STATUS_DRIVER_OK) this.note(`${register} write to queue ${q.index} after it was enabled ignored`);
    else return q;
    return undefined;
  }

  // ---- notifications, config space, interrupts ----

  /**
   * The driver rang the doorbell of `queueIndex`. A doorbell for a queue the device has
   * but is not running (not enabled, before DRIVER_OK) is ignored with a log line: the
   * spec requires devices to cope with spurious notifications (2.7.10). A doorbell for a
   * queue the device does not have at all is a driver with a wrong picture of the
   * device: NEEDS_RESET.
   */
  notify(queueIndex: number): void {
    if (this.needsReset) return;
    if (!this.queueConfigs[queueIndex]) {
      this.fail(`notification for queue ${queueIndex}, which does not exist (the device has ${this.numQueues})`);
      return;
    }
    const q = this.driverStatus & STATUS_DRIVER_OK ? this.queues[queueIndex] : undefined;
    if (!q) {
      const why = !(this.driverStatus & STATUS_DRIVER_OK) ? "before DRIVER_OK" : "queue not enabled";
      this.spuriousNotifies++;
      if (this.spuriousNotifies <= SPURIOUS_NOTIFY_LOG_LIMIT) {
        const more = this.spuriousNotifies === SPURIOUS_NOTIFY_LOG_LIMIT ? " (further ones not logged)" : "";
        this.note(`notification for queue ${queueIndex} ignored: ${why}${more}`);
      }
      return;
    }
    q.noteKick();
    this.guard(`notify(${queueIndex})`, () => this.device.notify(queueIndex));
  }

  /** Reads device config; an access outside the device's config space reads 0 (logged). */
  readConfig(offset: number, size: 1 | 2 | 4): number {
    if (!this.configAccessOk(offset, size)) {
      this.note(`config read of ${size} bytes at ${offset} is outside the ${this.device.configSize}-byte config space`);
      return 0;
    }
    let value = 0;
    this.guard("readConfig", () => { value = this.device.readConfig(offset, size); });
    return size === 4 ? value >>> 0 : value & (size === 2 ? 0xffff : 0xff);
  }

  /** Writes device config; a write outside the device's config space fails the device. */
  writeConfig(offset: number, size: 1 | 2 | 4, value: number): void {
    if (!this.configAccessOk(offset, size)) {
      this.fail(`config write of ${size} bytes at ${offset} is outside the ${this.device.configSize}-byte config space`);
      return;
    }
    const v = size === 4 ? value >>> 0 : value & (size === 2 ? 0xffff : 0xff);
    this.guard("writeConfig", () => this.device.writeConfig(offset, size, v));
  }

  private configAccessOk(offset: number, size: number): boolean {
    return Number.isInteger(offset) && offset >= 0 && (size === 1 || size === 2 || size === 4) && offset + size <= this.device.configSize;
  }

  /** Device config changed: bumps config_generation and tells a running driver. */
  configChanged(): void {
    this.generation = (this.generation + 1) & 0xff; // config_generation is 8 bits in virtio-pci
    if (this.driverStatus & STATUS_DRIVER_OK && !this.needsReset) this.interrupt.raise("config");
  }

  private signalUsed(index: number): void {
    const q = this.queues[index];
    if (!q?.hasUnsignalledUsed) return;
    if (q.needsInterrupt()) {
      if (this.interrupt.raise("queue")) q.noteInterrupt();
      else q.noteInterruptMerged();
    } else {
      q.noteInterruptSuppressed();
    }
  }

  // ---- lifecycle ----

  /** DRIVER_OK: build the enabled rings and start the device. */
  private activate(): void {
    if (!this.buildQueues()) return;
    const ctx = this.openSession(this.negotiated ?? 0n);
    this.guard("activate", () => this.device.activate(ctx));
  }

  /** The enabled queues' rings, from their registers; false (and NEEDS_RESET) if one is unusable. */
  private buildQueues(): boolean {
    const features = this.negotiated ?? 0n;
    const queues: (SplitQueue | undefined)[] = [];
    try {
      for (const q of this.queueConfigs) {
        if (!q.enabled) continue;
        queues[q.index] = new SplitQueue(this.memory, {
          index: q.index,
          ...q.layout,
          eventIdx: (features & VIRTIO_F_RING_EVENT_IDX) !== 0n,
          indirect: (features & VIRTIO_F_RING_INDIRECT_DESC) !== 0n,
          budget: this.budget,
        });
      }
    } catch (e) {
      // Layouts were checked at queue_enable, so this is not expected; still, never throw.
      this.fail(e instanceof QueueProtocolError ? e.message : `internal error in activate: ${describe(e)}`);
      return false;
    }
    this.queues = queues;
    return true;
  }

  // ---- snapshots ----

  /** Everything needed to take up where the device is (see device-model-state.ts). Throws if it cannot be saved exactly. */
  saveState(): DeviceModelState {
    return {
      name: this.device.name,
      driverStatus: this.driverStatus,
      needsReset: this.needsReset,
      lastError: this.lastError ?? null,
      driverFeatures: featureHex(this.driverFeatures),
      negotiated: this.negotiated === undefined ? null : featureHex(this.negotiated),
      deviceFeatureSelect: this.deviceFeatureSel,
      driverFeatureSelect: this.driverFeatureSel,
      queueSelect: this.queueSel,
      configGeneration: this.generation,
      spuriousNotifies: this.spuriousNotifies,
      queues: this.queueConfigs.map((q) => {
        const ring = this.queues[q.index];
        return {
          size: q.size, enabled: q.enabled, desc: [q.descLo, q.descHi], driver: [q.driverLo, q.driverHi], device: [q.deviceLo, q.deviceHi],
          ring: ring && !ring.isStopped ? ring.saveState() : null,
        };
      }),
      device: this.device.saveState?.() ?? null,
    };
  }

  /**
   * Takes up a saved state (guest RAM is already restored). A running device gets its
   * rings back at their saved positions, is activated as at DRIVER_OK, and then looks at
   * every queue once, as if kicked: buffers it held are popped again, and whatever the
   * driver published meanwhile without a kick is seen. Throws on a state that does not fit
   * this device, before changing anything.
   */
  restoreState(state: CheckedDeviceModelState): void {
    if (state.name !== this.device.name) throw new Error(`device state is for ${state.name}, not ${this.device.name}`);
    this.reset();
    this.driverStatus = state.driverStatus & DRIVER_STATUS_BITS;
    this.needsReset = state.needsReset;
    this.lastError = state.lastError ?? undefined;
    this.driverFeatures = BigInt(state.driverFeatures);
    this.negotiated = state.negotiated === null ? undefined : BigInt(state.negotiated);
    this.deviceFeatureSel = state.deviceFeatureSelect;
    this.driverFeatureSel = state.driverFeatureSelect;
    this.queueSel = state.queueSelect;
    this.generation = state.configGeneration;
    this.spuriousNotifies = state.spuriousNotifies;
    state.queues.forEach((saved, i) => {
      const q = this.queueConfigs[i]!;
      q.size = saved.size;
      q.enabled = saved.enabled;
      [q.descLo, q.descHi] = saved.desc;
      [q.driverLo, q.driverHi] = saved.driver;
      [q.deviceLo, q.deviceHi] = saved.device;
    });
    if (this.device.restoreState) this.device.restoreState(state.device);
    if (!this.active || !this.buildQueues()) return;
    state.queues.forEach((saved, i) => {
      if (saved.ring) this.queues[i]?.resume(saved.ring);
    });
    const ctx = this.openSession(this.negotiated ?? 0n);
    this.guard("activate", () => this.device.activate(ctx));
    for (const q of this.queues) {
      if (!q) continue;
      this.guard(`notify(${q.index})`, () => this.device.notify(q.index));
      this.signalUsed(q.index);
    }
  }

  private openSession(features: bigint): DeviceContext {
    const token = {};
    this.session = token;
    const live = () => this.session === token;
    return {
      features,
      queue: (index) => (live() ? this.queues[index] : undefined),
      signalUsed: (index) => { if (live()) this.signalUsed(index); },
      configChanged: () => { if (live()) this.configChanged(); },
      fail: (reason) => { if (live()) this.fail(reason); },
      log: (message) => this.note(message),
      guard: (work) => { if (live()) this.guard("device work", work); },
    };
  }

  /**
   * The driver broke the protocol (or the device hit a bug): DEVICE_NEEDS_RESET, the
   * device stops (its queues detach and device.reset() runs), and a running driver gets
   * a config interrupt (spec 2.1.2). Only a reset by the driver brings it back.
   */
  fail(reason: string): void {
    if (this.needsReset) {
      this.note(`${reason} (already waiting for a reset)`);
      return;
    }
    this.needsReset = true;
    this.lastError = reason;
    this.log(`${this.device.name}: ${reason}`);
    this.stopDevice();
    if (this.driverStatus & STATUS_DRIVER_OK) this.interrupt.raise("config");
  }

  /**
   * Back to power-on state (the driver wrote 0 to status, or the machine reset). The
   * transport's pending interrupt goes too (spec 4.1.4.5; QEMU clears the ISR as well):
   * left asserted on a shared line with no driver to read the ISR, it would storm.
   */
  reset(): void {
    this.stopDevice();
    this.interrupt.withdraw();
    this.queues = [];
    this.driverStatus = 0;
    this.needsReset = false;
    this.driverFeatures = 0n;
    this.negotiated = undefined;
    this.deviceFeatureSel = 0;
    this.driverFeatureSel = 0;
    this.queueSel = 0;
    this.generation = 0;
    this.linesLogged = 0;
    for (const q of this.queueConfigs) q.clear();
  }

  /** Detaches the rings (kept for snapshot()), ends the device's context, resets the device. */
  private stopDevice(): void {
    for (const q of this.queues) q?.stop();
    this.deferred.stop();
    this.session = undefined;
    try {
      this.device.reset();
    } catch (e) {
      this.note(`internal error in reset: ${describe(e)}`);
    }
  }

  /**
   * Runs device code: a QueueProtocolError or GuestMemoryError (the driver's fault) becomes
   * fail(reason); any other error is a bug on our side, but it fails only this device
   * too, marked "internal error", so one broken device cannot stop the machine.
   */
  private guard(what: string, work: () => void): void {
    const outermost = !this.budget.inTurn;
    this.budget.run(() => {
      try {
        work();
      } catch (e) {
        if (e instanceof QueueProtocolError || e instanceof GuestMemoryError) {
          this.fail(e.message);
        } else {
          if (e instanceof Error && e.stack) this.note(e.stack);
          this.fail(`internal error in ${what}: ${describe(e)}`);
        }
      }
    });
    if (outermost) this.afterTurn();
  }

  /** A turn ended: if a queue stopped for lack of budget, the device carries on at the next tick. */
  private afterTurn(): void {
    if (!this.active || this.deferred.pending) return;
    if (this.queues.some((q) => q?.hasDeferredWork)) {
      this.budget.noteDeferral();
      this.deferred.schedule();
    }
  }

  /** The next tick after a turn ran out of budget: the device looks at those queues again, as if kicked. */
  private carryOn(): void {
    if (!this.active) return;
    this.guard("carrying on deferred work", () => {
      for (const q of this.queues) {
        if (q?.takeDeferred() && this.active) this.device.notify(q.index);
      }
    });
  }

  private note(message: string): void {
    if (this.linesLogged >= LOG_LINES_PER_RESET) return;
    this.linesLogged++;
    const more = this.linesLogged === LOG_LINES_PER_RESET ? " (further messages not logged until the device is reset)" : "";
    this.log(`${this.device.name}: ${message}${more}`);
  }

  /** True between DRIVER_OK and the next reset or failure. */
  get active(): boolean {
    return (this.driverStatus & STATUS_DRIVER_OK) !== 0 && !this.needsReset;
  }

  /** The live ring `index` (for the transport's and the inspector's eyes; devices use their context). */
  queue(index: number): SplitQueue | undefined {
    return this.queues[index];
  }

  snapshot(): DeviceModelSnapshot {
    const type = this.device.deviceType;
    return {
      name: this.device.name,
      deviceType: type,
      status: this.status,
      statusNames: statusNames(this.status),
      featuresOffered: featureHex(this.offeredFeatures),
      featuresOfferedNames: featureNames(this.offeredFeatures, type),
      driverFeatures: featureHex(this.driverFeatures),
      featuresNegotiated: this.negotiated === undefined ? undefined : featureHex(this.negotiated),
      featuresNegotiatedNames: this.negotiated === undefined ? [] : featureNames(this.negotiated, type),
      configGeneration: this.generation,
      active: this.active,
      lastError: this.lastError,
      spuriousNotifies: this.spuriousNotifies,
      work: { ...this.budget.stats },
      queues: this.queueConfigs.map((q) => ({
        index: q.index,
        maxSize: q.maxSize,
        size: q.size,
        enabled: q.enabled,
        ring: this.queues[q.index]?.snapshot(),
      })),
    };
  }
}

/** 32-bit window `sel` of a feature set. */
function window32(features: bigint, sel: number): number {
  if (sel >= FEATURE_WINDOWS) return 0;
  return Number((features >> BigInt(32 * sel)) & 0xffffffffn);
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
