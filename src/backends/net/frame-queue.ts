// A bounded FIFO for frames on their way through a backend. When full, pushing drops the
// oldest entry and counts it: for a network, late frames are worth less than new ones and
// the protocols above (TCP, DHCP retries, ARP) recover from loss, while memory must stay
// bounded whatever a peer sends.

export class FrameQueue<T> {
  /** Entries dropped to make room since construction (clear() does not count as dropping). */
  dropped = 0;
  private readonly slots: (T | undefined)[];
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`queue capacity must be a positive integer, not ${capacity}`);
    this.slots = new Array<T | undefined>(capacity).fill(undefined);
  }

  get length(): number {
    return this.count;
  }

  /** Appends `item`; returns the entry dropped to make room, if any. */
  push(item: T): T | undefined {
    let evicted: T | undefined;
    if (this.count === this.capacity) {
      evicted = this.shift();
      this.dropped++;
    }
    this.slots[(this.head + this.count) % this.capacity] = item;
    this.count++;
    return evicted;
  }

  /** Removes and returns the oldest entry. */
  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.slots[this.head];
    this.slots[this.head] = undefined; // let the frame be collected
    this.head = (this.head + 1) % this.capacity;
    this.count--;
    return item;
  }

  peek(): T | undefined {
    return this.count === 0 ? undefined : this.slots[this.head];
  }

  clear(): void {
    this.slots.fill(undefined);
    this.head = 0;
    this.count = 0;
  }
}
