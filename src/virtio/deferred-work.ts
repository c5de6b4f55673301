// Work a device left for later because its turn's budget ran out (work-budget.ts): the
// device model asks for it after the turn, and it runs at the next tick of the machine's
// poll source, itself as one new turn. While work is wanted the subscription stays: a
// listener that unsubscribed and subscribed again inside a tick would be visited again in
// the same tick (the poll source iterates a live Set), which would undo the bound.
import type { PollSource } from "./poll-source.js";

export class DeferredWork {
  private cancel: (() => void) | undefined;
  private wanted = false;

  constructor(private readonly ticks: PollSource, private readonly carryOn: () => void) {}

  /** Runs carryOn at the next tick (once, however often this is called before it). */
  schedule(): void {
    this.wanted = true;
    this.cancel ??= this.ticks.subscribe(() => this.onTick());
  }

  /** Forgets any pending work (the device was reset or failed). */
  stop(): void {
    this.wanted = false;
    this.cancel?.();
    this.cancel = undefined;
  }

  get pending(): boolean {
    return this.wanted;
  }

  private onTick(): void {
    if (this.wanted) {
      this.wanted = false;
      this.carryOn(); // may call schedule() again: then the subscription stays for the next tick
    }
    if (!this.wanted) this.stop();
  }
}
