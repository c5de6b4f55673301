// Collects output the guest produces during one emulation slice and hands it on as one
// chunk once the slice is over (v86 reports the serial port a byte at a time, the virtio
// console a buffer at a time; the page and the CLI want few, larger chunks).
//
// The slice's bytes gather in a staging array the batcher keeps and reuses: the console
// device copies each transmit buffer from guest memory straight into it (writeFrom), with
// no array of its own per buffer. At the end of the slice the batch is copied once into a
// chunk of exactly its size, which belongs to the consumer (it may keep it, or transfer
// its buffer away). So a slice costs one allocation of the bytes it produced, whatever
// its number of buffers: arrays the garbage collector must count as external memory.
import type { ByteSource } from "../devices/virtio-console.js";

/** The staging array's first size; it doubles when a slice's output needs more. */
const INITIAL_STAGING_BYTES = 64 * 1024;

export class OutputBatcher {
  private staging = new Uint8Array(INITIAL_STAGING_BYTES);
  private size = 0;
  private queued = false;

  constructor(private readonly flush: (chunk: Uint8Array) => void) {}

  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.reserve(bytes.length).set(bytes);
  }

  pushByte(byte: number): void {
    const at = this.size;
    this.reserve(1);
    this.staging[at] = byte;
  }

  /** Up to `length` bytes copied out of `source` into the batch; returns how many it gave. */
  writeFrom(source: ByteSource, length: number): number {
    if (length <= 0) return 0;
    const given = source.readInto(this.reserve(length));
    this.size -= length - given;
    return given;
  }

  /** Space for the next `length` bytes of the batch, which the caller fills at once. */
  private reserve(length: number): Uint8Array {
    const at = this.size;
    const end = at + length;
    if (end > this.staging.length) {
      let grown = this.staging.length * 2;
      while (grown < end) grown *= 2;
      const next = new Uint8Array(grown);
      next.set(this.staging.subarray(0, at));
      this.staging = next;
    }
    this.size = end;
    if (!this.queued) {
      this.queued = true;
      queueMicrotask(() => this.emit());
    }
    return this.staging.subarray(at, end);
  }

  private emit(): void {
    this.queued = false;
    const chunk = this.staging.slice(0, this.size);
    this.size = 0;
    this.flush(chunk);
  }
}
