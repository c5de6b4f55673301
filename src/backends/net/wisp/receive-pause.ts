// When to pause a pausable transport for the guest's sake (limits.ts says why), and the one
// way out of a pause the guest itself causes: pausing stops every stream on the connection,
// so a guest connection that holds a full backlog and reads nothing (a stopped process, a
// client that opened two connections and reads one to the end first) would stall all the
// others for good. A stream that takes nothing for stallChecks checks in a row while the
// transport waits for it is reset, as if it had passed its hard limit.
import type { WispLimits } from "./limits.js";
import type { Schedule } from "./schedule.js";
import type { WispTransport } from "./transport.js";

/** What the pause needs to know of a stream. */
export interface PausedStream {
  /** Bytes given to the guest so far (progress). */
  readonly given: number;
  /** Resets the stream: CLOSE 0x81 to the server, RST to the guest. */
  overrun(why: string): void;
}

export class ReceivePause {
  /** Streams at or over their pause mark (they leave it at half), with what they had given at the last check. */
  private readonly over = new Map<PausedStream, { given: number; stalls: number }>();
  private paused = false;
  private cancelCheck: (() => void) | undefined;
  pauses = 0;

  constructor(
    private readonly transport: WispTransport,
    private readonly limits: Readonly<WispLimits>,
    private readonly schedule: Schedule,
  ) {}

  /** A stream's backlog is now `backlog`; all streams' together `total`. */
  changed(stream: PausedStream, backlog: number, total: number): void {
    if (backlog >= this.limits.streamPauseBytes) {
      if (!this.over.has(stream)) this.over.set(stream, { given: stream.given, stalls: 0 });
    } else if (backlog <= this.limits.streamPauseBytes / 2) {
      this.over.delete(stream);
    }
    this.update(total);
  }

  gone(stream: PausedStream, total: number): void {
    this.over.delete(stream);
    this.update(total);
  }

  stop(): void {
    this.cancelCheck?.();
    this.cancelCheck = undefined;
    this.over.clear();
  }

  private update(total: number): void {
    if (!this.transport.pause || !this.transport.resume) return;
    const over = this.over.size > 0 || total >= this.limits.totalPauseBytes;
    const under = this.over.size === 0 && total <= this.limits.totalPauseBytes / 2;
    if (over && !this.paused) {
      this.paused = true;
      this.pauses++;
      this.transport.pause();
      this.cancelCheck ??= this.schedule(() => this.check(), this.limits.stallCheckMs);
    } else if (under && this.paused) {
      this.paused = false;
      this.cancelCheck?.();
      this.cancelCheck = undefined;
      this.transport.resume();
    }
  }

  private check(): void {
    this.cancelCheck = undefined;
    if (!this.paused) return;
    const stalled: PausedStream[] = [];
    for (const [stream, seen] of this.over) {
      if (stream.given === seen.given) seen.stalls++;
      else (seen.given = stream.given), (seen.stalls = 0);
      if (seen.stalls >= this.limits.stallChecks) stalled.push(stream);
    }
    const seconds = (this.limits.stallCheckMs * this.limits.stallChecks) / 1000;
    for (const stream of stalled) stream.overrun(`the guest read nothing for ${seconds} s while the other streams waited for it`);
    if (this.paused) this.cancelCheck ??= this.schedule(() => this.check(), this.limits.stallCheckMs);
  }
}
