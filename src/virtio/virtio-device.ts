// What a virtio device implements. A device knows nothing of PCI or any other transport:
// a transport renders the device model (device-model.ts) as registers, and the model
// calls these methods.
import type { VirtQueue } from "./queue-types.js";
import type { PlainData, StateReader } from "../snapshot/state-reader.js";
import type { DeviceInfo, Figures } from "./device-info.js";

/** How a device takes notifications beyond what its queues say: virtio-net's pair may poll its rings. */
export type DeviceNotificationMode = "notified" | "polling";

export interface VirtioDevice {
  /** What the device is: ID, name, feature names, config layout, queue names (device-info.ts). */
  readonly info: DeviceInfo;
  /** Maximum size of each of the device's queues (powers of two, at most 32768). */
  readonly queueMaxSizes: readonly number[];
  /** Device-type feature bits the device offers; the model adds the generic ones it supports. */
  readonly features: bigint;
  /** Reads device config; offset and size are already checked to lie within info.configSize. */
  readConfig(offset: number, size: 1 | 2 | 4): number;
  writeConfig(offset: number, size: 1 | 2 | 4, value: number): void;
  /** The driver set DRIVER_OK: the queues in `ctx` are live until reset(). */
  activate(ctx: DeviceContext): void;
  /** The driver notified (kicked) queue `index`. */
  notify(index: number): void;
  /** The device is being reset (by the driver or after NEEDS_RESET): drop all queue state. */
  reset(): void;
  /** Live figures (counters, sizes, modes) as plain data, for the inspector and the machine's device list. */
  stats(): Figures;
  /** Whether the device is polling its rings right now instead of waiting for kicks (absent: never). */
  notificationMode?(): DeviceNotificationMode;
  /**
   * For saved states: what the device keeps beyond its rings and registers (config it
   * changed, input waiting for a buffer), as plain data. Buffers it holds are not part of
   * it: the queue is saved as if they had not been taken, and they are taken again.
   */
  saveState?(): PlainData;
  /** Takes up saved state (before activate(), after a reset); throws on a bad state, changing nothing. */
  restoreState?(state: StateReader): void;
  /**
   * Resolves once the device holds no request it is still working on asynchronously
   * (absent: it never does). A saved state is taken after it, with the guest stopped.
   */
  settle?(): Promise<void>;
}

/** What an active device may do. Given to activate(). */
export interface DeviceContext {
  /** The features both sides agreed on. */
  readonly features: bigint;
  /** The device's queues, in order (a queue the driver did not enable is absent). */
  queue(index: number): VirtQueue | undefined;
  /**
   * Tells the driver about used buffers on `index` with an interrupt, unless the queue's
   * suppression (used_event or VRING_AVAIL_F_NO_INTERRUPT) says it does not want one now.
   */
  signalUsed(index: number): void;
  /** Device config changed: bumps config_generation and raises a config interrupt. */
  configChanged(): void;
  /** The driver broke the protocol: marks DEVICE_NEEDS_RESET and logs the reason. */
  fail(reason: string): void;
  log(message: string): void;
  /**
   * Runs device work that did not start in notify() or activate() (a timer, data arriving
   * from a backend) with the same protection: a QueueProtocolError or GuestMemoryError
   * thrown by `work` becomes fail(reason) instead of escaping into the machine's loop.
   * Does nothing once this context is stale (after reset or failure).
   */
  guard(work: () => void): void;
}
