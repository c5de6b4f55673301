// The transport-independent half of a virtio device (virtio 1.2, sections 2 and 3): the
// status state machine and what it starts and stops, around one VirtioDevice. Its parts:
// feature negotiation (feature-negotiation.ts) and the queue registers (queue-registers.ts),
// which any transport maps its registers onto; the running device with its rings and turns
// (device-session.ts); its saved state (device-model-state.ts) and what the inspector sees
// (device-model-view.ts). A transport (virtio-pci today, virtio-mmio later) renders these
// as registers and does nothing virtio-specific itself; the device only ever sees the
// DeviceContext handed to activate().
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
import type { GuestMemory } from "../memory/guest-memory.js";
import {
  DRIVER_STATUS_BITS, STATUS_DEVICE_NEEDS_RESET, STATUS_DRIVER_OK, STATUS_FAILED, STATUS_FEATURES_OK,
  VIRTIO_F_RING_EVENT_IDX, VIRTIO_F_RING_INDIRECT_DESC, VIRTIO_F_RING_PACKED, VIRTIO_F_VERSION_1, statusNames,
} from "./features.js";
import type { DeviceRing } from "./device-ring.js";
import type { QueueTracer } from "./ring-trace.js";
import type { QueueConfig } from "./queue-config.js";
import type { DeviceModelOptions } from "./device-model-types.js";
import type { VirtioDevice } from "./virtio-device.js";
import type { DeviceInterrupt } from "./interrupt.js";
import { LogLimiter } from "./log-limiter.js";
import { FeatureNegotiation } from "./feature-negotiation.js";
import { QueueRegisters, type QueueRegistersOwner } from "./queue-registers.js";
import { DeviceSession, type SessionOwner } from "./device-session.js";
import { modelView, type DeviceModelView } from "./device-model-view.js";
import { applyModelState, captureModelState, ModelRegisters, type CheckedDeviceModelState, type DeviceModelState, type ModelParts } from "./device-model-state.js";

export type { DeviceModelOptions, DeviceInterrupt, InterruptKind } from "./device-model-types.js";
export type { DeviceModelView, QueueModelView } from "./device-model-view.js";

const SPURIOUS_NOTIFY_LOG_LIMIT = 8;
/**
 * Log lines a device may write between two resets, failure reasons aside (those are always
 * logged). A guest looping on a bad register write would otherwise flood the host's log
 * at the speed of MMIO.
 */
export const LOG_LINES_PER_RESET = 32;

export class VirtioDeviceModel implements QueueRegistersOwner, SessionOwner {
  /** The driver's feature registers and what was agreed. */
  readonly features: FeatureNegotiation;
  /** The driver's per-queue registers (select, size, enable, ring addresses). */
  readonly queues: QueueRegisters;
  /** The name log lines start with: the device's, or the machine's label for it. */
  readonly label: string;

  private readonly log: (message: string) => void;
  private readonly interrupt: DeviceInterrupt;
  private readonly session: DeviceSession;
  /** Status, failure and generation: the model's own registers (a saved state holds them). */
  private readonly regs = new ModelRegisters();
  private linesLogged = 0;

  constructor(readonly device: VirtioDevice, private readonly memory: GuestMemory, options: DeviceModelOptions) {
    this.interrupt = options.interrupt;
    this.label = options.label ?? device.info.name;
    const limiter = new LogLimiter(options.log ?? ((message) => console.warn(message)));
    this.log = (message) => limiter.log(message);
    let offered = device.features | VIRTIO_F_VERSION_1;
    if (options.eventIdx ?? true) offered |= VIRTIO_F_RING_EVENT_IDX;
    if (options.indirect ?? true) offered |= VIRTIO_F_RING_INDIRECT_DESC;
    if (options.packed ?? false) offered |= VIRTIO_F_RING_PACKED;
    this.features = new FeatureNegotiation(offered, device.info.featureNames);
    this.queues = new QueueRegisters(device.queueMaxSizes, this);
    this.session = new DeviceSession(device, memory, options.interrupt, options.ticks, this);
  }

  // ---- status ----

  get status(): number {
    return this.regs.driverStatus | (this.regs.needsReset ? STATUS_DEVICE_NEEDS_RESET : 0);
  }

  set status(value: number) {
    const requested = value & 0xff & DRIVER_STATUS_BITS;
    if ((value & 0xff) === 0) {
      this.reset();
      return;
    }
    if (this.regs.needsReset) {
      this.note(`status write 0x${(value & 0xff).toString(16)} ignored: the device needs a reset`);
      return;
    }
    // 2.1.1: the driver MUST NOT clear a status bit; only writing 0 (reset) does.
    const cleared = this.regs.driverStatus & ~requested;
    if (cleared !== 0) {
      this.fail(`driver cleared status bits ${statusNames(cleared).join("|")} without a reset`);
      return;
    }
    let added = requested & ~this.regs.driverStatus;
    if (added & STATUS_FEATURES_OK) {
      // 3.1.1: refusing features means leaving FEATURES_OK clear; the driver re-reads it.
      const problem = this.features.agree();
      if (problem !== undefined) {
        this.note(`FEATURES_OK refused: ${problem}`);
        added &= ~STATUS_FEATURES_OK;
      }
    }
    if (added & STATUS_DRIVER_OK && !((this.regs.driverStatus | added) & STATUS_FEATURES_OK)) {
      this.fail("driver set DRIVER_OK without FEATURES_OK");
      return;
    }
    this.regs.driverStatus |= added;
    if (added & STATUS_FAILED) this.note("driver set FAILED: it gave up on the device");
    if (added & STATUS_DRIVER_OK) this.activate();
  }

  /** The driver's feature window write; dropped once FEATURES_OK is set. */
  writeDriverFeatures(value: number): void {
    if (this.regs.driverStatus & STATUS_FEATURES_OK) {
      this.note("driver feature write after FEATURES_OK ignored");
      return;
    }
    const dropped = this.features.writeDriverWindow(value);
    if (dropped !== undefined) this.note(dropped);
  }

  get configGeneration(): number { return this.regs.configGeneration; }

  /** Why the device last went into DEVICE_NEEDS_RESET (kept across resets, for the inspector). */
  get lastError(): string | undefined {
    return this.regs.lastError;
  }

  /** Doorbell writes that named no live queue. */
  get spuriousNotifies(): number { return this.regs.spuriousNotifies; }

  /** True between DRIVER_OK and the next reset or failure. */
  get active(): boolean {
    return (this.regs.driverStatus & STATUS_DRIVER_OK) !== 0 && !this.regs.needsReset;
  }

  /** For the queue registers: DRIVER_OK is set. */
  get driverOk(): boolean {
    return (this.regs.driverStatus & STATUS_DRIVER_OK) !== 0;
  }

  /** For the queue registers: the device failed and waits for a reset. */
  get needsReset(): boolean {
    return this.regs.needsReset;
  }

  /** For the queue registers: why a queue's layout cannot be used (the ring format was agreed at FEATURES_OK). */
  layoutProblem(q: QueueConfig): string | undefined {
    if (q.size > q.maxSize) return `queue size ${q.size} is larger than the maximum ${q.maxSize}`;
    return q.ringLayoutError(this.memory, ((this.features.negotiated ?? 0n) & VIRTIO_F_RING_PACKED) !== 0n);
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
    if (this.regs.needsReset) return;
    const ring = this.regs.driverStatus & STATUS_DRIVER_OK ? this.session.ring(queueIndex) : undefined;
    if (ring) {
      this.session.notify(queueIndex, ring);
      return;
    }
    if (this.queues.configs[queueIndex] === undefined) {
      this.fail(`notification for queue ${queueIndex}, which does not exist (the device has ${this.queues.count})`);
      return;
    }
    const why = !(this.regs.driverStatus & STATUS_DRIVER_OK) ? "before DRIVER_OK" : "queue not enabled";
    const spurious = ++this.regs.spuriousNotifies;
    if (spurious <= SPURIOUS_NOTIFY_LOG_LIMIT) {
      const more = spurious === SPURIOUS_NOTIFY_LOG_LIMIT ? " (further ones not logged)" : "";
      this.note(`notification for queue ${queueIndex} ignored: ${why}${more}`);
    }
  }

  /** Reads device config; an access outside the device's config space reads 0 (logged). */
  readConfig(offset: number, size: 1 | 2 | 4): number {
    if (!this.configAccessOk(offset, size)) {
      this.note(`config read of ${size} bytes at ${offset} is outside the ${this.device.info.configSize}-byte config space`);
      return 0;
    }
    let value = 0;
    this.session.guard("readConfig", () => { value = this.device.readConfig(offset, size); });
    return size === 4 ? value >>> 0 : value & (size === 2 ? 0xffff : 0xff);
  }

  /** Writes device config; a write outside the device's config space fails the device. */
  writeConfig(offset: number, size: 1 | 2 | 4, value: number): void {
    if (!this.configAccessOk(offset, size)) {
      this.fail(`config write of ${size} bytes at ${offset} is outside the ${this.device.info.configSize}-byte config space`);
      return;
    }
    const v = size === 4 ? value >>> 0 : value & (size === 2 ? 0xffff : 0xff);
    this.session.guard("writeConfig", () => this.device.writeConfig(offset, size, v));
  }

  private configAccessOk(offset: number, size: number): boolean {
    return Number.isInteger(offset) && offset >= 0 && (size === 1 || size === 2 || size === 4) && offset + size <= this.device.info.configSize;
  }

  /** Device config changed: bumps config_generation and tells a running driver. */
  configChanged(): void {
    this.regs.configGeneration = (this.regs.configGeneration + 1) & 0xff; // config_generation is 8 bits in virtio-pci
    if (this.regs.driverStatus & STATUS_DRIVER_OK && !this.regs.needsReset) this.interrupt.raise("config");
  }

  // ---- lifecycle ----

  /** DRIVER_OK: build the enabled rings and start the device. */
  private activate(): void {
    const features = this.features.negotiated ?? 0n;
    if (this.session.buildRings(this.queues.configs, features)) this.session.start(features);
  }

  /**
   * The driver broke the protocol (or the device hit a bug): DEVICE_NEEDS_RESET, the
   * device stops (its queues detach and device.reset() runs), and a running driver gets
   * a config interrupt (spec 2.1.2). Only a reset by the driver brings it back.
   */
  fail(reason: string): void {
    if (this.regs.needsReset) {
      this.note(`${reason} (already waiting for a reset)`);
      return;
    }
    this.regs.needsReset = true;
    this.regs.lastError = reason;
    this.log(`${this.label}: ${reason}`);
    this.session.stop();
    if (this.regs.driverStatus & STATUS_DRIVER_OK) this.interrupt.raise("config");
  }

  /**
   * Back to power-on state (the driver wrote 0 to status, or the machine reset). The
   * transport's pending interrupt goes too (spec 4.1.4.5; QEMU clears the ISR as well):
   * left asserted on a shared line with no driver to read the ISR, it would storm.
   */
  reset(): void {
    this.session.stop();
    this.interrupt.withdraw();
    this.session.clear();
    this.regs.driverStatus = 0;
    this.regs.needsReset = false;
    this.features.reset();
    this.regs.configGeneration = 0; // lastError and spuriousNotifies stay, for the inspector
    this.linesLogged = 0;
    this.queues.clear();
  }

  /** A harmless mistake or a device's remark, logged (at most LOG_LINES_PER_RESET between resets). */
  note(message: string): void {
    if (this.linesLogged >= LOG_LINES_PER_RESET) return;
    this.linesLogged++;
    const more = this.linesLogged === LOG_LINES_PER_RESET ? " (further messages not logged until the device is reset)" : "";
    this.log(`${this.label}: ${message}${more}`);
  }

  /** The live ring `index` (for the transport's and the inspector's eyes; devices use their context). */
  queue(index: number): DeviceRing | undefined {
    return this.session.ring(index);
  }

  /** Where each queue records timeline events (ring-trace.ts), live rings and those built later alike; undefined: off. */
  traceRings(tracers: readonly (QueueTracer | null)[] | undefined): void { this.session.traceRings(tracers); }

  // ---- saved state and the inspector's view ----

  /** Everything needed to take up where the device is (see device-model-state.ts). Throws if it cannot be saved exactly. */
  saveState(): DeviceModelState {
    return captureModelState(this.parts());
  }

  /**
   * Takes up a saved state (guest RAM is already restored): see applyModelState. Throws on
   * a state that does not fit this device, before changing anything.
   */
  restoreState(state: CheckedDeviceModelState): void {
    if (state.name !== this.device.info.name) throw new Error(`device state is for ${state.name}, not ${this.device.info.name}`);
    this.reset();
    applyModelState(this.parts(), state);
  }

  view(): DeviceModelView {
    return modelView(this.parts());
  }

  /** The model's parts and registers, for its saved state and its view (and nothing else). */
  private parts(): ModelParts {
    return { device: this.device, features: this.features, queues: this.queues, session: this.session, registers: this.regs };
  }
}
