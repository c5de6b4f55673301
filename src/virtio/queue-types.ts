// The queue as a device sees it (split ring today, packed later behind the same interface).
// Queue code knows nothing about devices.

/** Thrown for anything the driver got wrong in a ring; the model turns it into NEEDS_RESET. */
export class QueueProtocolError extends Error {
  override name = "QueueProtocolError";
}

export interface QueueCounters {
  /** Doorbell writes for this queue. */
  kicks: number;
  /** Batches of new buffers the device found without a kick (the driver saw notifications disabled). */
  kicksSuppressed: number;
  /** Interrupts actually raised for this queue. */
  interrupts: number;
  /**
   * Used-buffer signals that suppression (used_event / NO_INTERRUPT, a packed ring's
   * DISABLE or DESC) swallowed, or that the driver routed nowhere (MSI-X NO_VECTOR).
   */
  interruptsSuppressed: number;
  /**
   * Used-buffer signals that needed an interrupt while one was already pending (the ISR
   * bit still set): the guest takes a single interrupt for both, so it is not counted
   * again in `interrupts`.
   */
  interruptsMerged: number;
  /** Chains completed (put on the used ring). */
  buffers: number;
  /** Bytes the device read from driver buffers. */
  bytesRead: number;
  /** Bytes the device wrote into driver buffers. */
  bytesWritten: number;
}

/** Reads the device-readable part of a chain, in order, across descriptors. */
export interface ChainReader {
  /** Readable bytes not yet consumed. */
  readonly remaining: number;
  /** Up to `max` bytes (fewer only at the end). */
  read(max: number): Uint8Array;
  /**
   * Copies the next bytes into `into` (filling it, or fewer at the end) and returns how
   * many: read() without a new array, for a device that moves a large payload in pieces.
   */
  readInto(into: Uint8Array): number;
  /** Passes over up to `count` bytes without reading them; returns how many. */
  skip(count: number): number;
}

/** Writes into the device-writable part of a chain, in order, across descriptors. */
export interface ChainWriter {
  /** Writable bytes not yet filled. */
  readonly remaining: number;
  /** Bytes written so far. */
  readonly written: number;
  /** Bytes written or skipped so far: how far into the writable buffers the writer is. */
  readonly position: number;
  /** Writes as much of `data` as fits; returns how many bytes were written. */
  write(data: Uint8Array): number;
  /**
   * Passes over up to `count` bytes without writing them (they keep what the driver put
   * there); returns how many. Costs nothing per byte: a device that must put a byte at
   * the end of a huge buffer (virtio-blk's status) skips to it.
   */
  skip(count: number): number;
}

/** One available buffer: a validated descriptor chain (direct or indirect). */
export interface DescriptorChain {
  /** Head descriptor index (what goes into the used ring). */
  readonly head: number;
  /** Total device-readable and device-writable bytes. */
  readonly readableLength: number;
  readonly writableLength: number;
  reader(): ChainReader;
  writer(): ChainWriter;
}

export interface VirtQueue {
  readonly index: number;
  readonly size: number;
  readonly counters: QueueCounters;
  /** Next available chain, or undefined when the ring is empty. Throws QueueProtocolError. */
  pop(): DescriptorChain | undefined;
  /** Puts a finished chain on the used ring, reporting `written` bytes. */
  pushUsed(chain: DescriptorChain, written: number): void;
  /** Asks the driver not to kick (avail_event parked / VRING_USED_F_NO_NOTIFY). */
  disableNotifications(): void;
  /**
   * Asks the driver to kick again; returns true if buffers arrived meanwhile, so the
   * caller drains again instead of waiting for a kick that will never come.
   */
  enableNotifications(): boolean;
}
