// Flow control between the guest's console and whoever shows its output (a terminal on
// the page, a pipe in the CLI). The consumer's hook may return a promise that settles once
// it has taken the bytes (xterm parsed them, stdout flushed them); until then they count
// as outstanding. While more than CONSOLE_WINDOW_BYTES are outstanding the sink reports
// itself not ready, the console device leaves the guest's transmit buffers in its ring,
// and once the consumer catches up the device is resumed at the machine's next tick. So a
// guest that prints without end costs the host at most the window, and a terminal that
// fell behind catches up within the window's worth of drawing.
import type { ByteSource, ConsoleSink } from "../devices/virtio-console.js";

/** Output the consumer may have outstanding before the guest waits. */
export const CONSOLE_WINDOW_BYTES = 1024 * 1024;

/** What takes the console's output: returns a promise when it takes it later. */
export type ConsoleConsumer = (bytes: Uint8Array) => void | PromiseLike<void>;

export class ConsoleFlow implements ConsoleSink {
  private outstanding = 0;
  /** The device found the sink not ready and waits for resume(). */
  private holding = false;

  /**
   * `pass` copies the bytes towards the consumer (into the machine's output batching,
   * which ends in deliver()) and says how many it took; `resume` gets the device going
   * again (at the next tick).
   */
  constructor(private readonly pass: (source: ByteSource, length: number) => number, private readonly resume: () => void) {}

  get ready(): boolean {
    if (this.outstanding < CONSOLE_WINDOW_BYTES) return true;
    this.holding = true;
    return false;
  }

  /** Bytes outstanding now (written by the guest, not yet taken by the consumer). */
  get pending(): number {
    return this.outstanding;
  }

  writeFrom(source: ByteSource, length: number): void {
    // Counted before it is passed on: the consumer may take it at once.
    this.outstanding += length;
    const taken = this.pass(source, length);
    this.outstanding -= length - taken;
  }

  /** Hands a batch to the consumer; it stays outstanding until the consumer has taken it. */
  deliver(chunk: Uint8Array, consumer: ConsoleConsumer): void {
    const length = chunk.length; // read first: the consumer may transfer the buffer away
    let taken: void | PromiseLike<void>;
    try {
      taken = consumer(chunk);
    } catch {
      taken = undefined; // a consumer that failed has taken what it could; never wedge the guest on it
    }
    if (taken && typeof taken.then === "function") {
      taken.then(() => this.consumed(length), () => this.consumed(length));
    } else {
      this.consumed(length);
    }
  }

  private consumed(count: number): void {
    this.outstanding = Math.max(0, this.outstanding - count);
    if (this.holding && this.outstanding < CONSOLE_WINDOW_BYTES) {
      this.holding = false;
      this.resume();
    }
  }
}
