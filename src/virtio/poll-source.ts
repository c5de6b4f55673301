// A periodic tick for devices that poll their queues instead of waiting for kicks (the
// network device drains tx from it while traffic flows). The machine fires it once per
// slice of guest execution (about every millisecond while the guest runs); tests fire it
// by hand.

export interface PollSource {
  /** Calls `listener` on every tick until the returned function is called. */
  subscribe(listener: () => void): () => void;
}

/** A PollSource whose ticks are fired explicitly. */
export class ManualPollSource implements PollSource {
  private readonly listeners = new Set<() => void>();

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  tick(): void {
    // Runs every slice (~1000 times a second): iterate the Set itself, no copy. A listener
    // that unsubscribes during the tick is simply not visited again.
    for (const listener of this.listeners) listener();
  }

  get subscribers(): number {
    return this.listeners.size;
  }
}
