// A connection's link to its service's handler: made when the handshake completes (or again
// on a restore), every call into it with the service's exceptions contained (a handler that
// throws costs its own connection, never the stack: the caller aborts it), onClose exactly
// once, and the handler's side of a snapshot.
import type { ServiceState, StreamHandler } from "../stream-service.js";
import type { TcpCounters } from "./stats.js";

export class ServiceLink {
  private handler: StreamHandler | undefined;

  constructor(
    private readonly counters: TcpCounters,
    /** The handler heard onClose (TIME_WAIT, or the end): nothing more reaches it. */
    private closeNotifiedFlag = false,
  ) {}

  get closeNotified(): boolean {
    return this.closeNotifiedFlag;
  }

  /** A handler re-made from a snapshot (its service's restore() checked the state, and may throw). */
  adopt(handler: StreamHandler): void {
    this.handler = handler;
  }

  /** Takes the handler the service made; false if making it threw. */
  open(make: () => StreamHandler): boolean {
    try {
      this.handler = make();
      return true;
    } catch {
      this.counters.serviceErrors++;
      return false;
    }
  }

  /** Calls the handler unless there is none or it heard onClose; false if it threw. */
  call(work: (handler: StreamHandler) => void): boolean {
    const handler = this.handler;
    if (handler === undefined || this.closeNotifiedFlag) return true;
    try {
      work(handler);
      return true;
    } catch {
      this.counters.serviceErrors++;
      return false;
    }
  }

  /** onClose, once; an exception from it is only counted (the connection is ending anyway). */
  close(): void {
    const handler = this.handler;
    if (this.closeNotifiedFlag || handler === undefined) return;
    this.counters.connectionsClosed++;
    this.closeNotifiedFlag = true;
    try {
      handler.onClose?.();
    } catch {
      this.counters.serviceErrors++;
    }
  }

  /**
   * The handler's saved state; null when it has none to keep (before the handshake, or once
   * closed). Throws with `connection` in the message if the handler cannot save itself.
   */
  save(connection: () => string): ServiceState | null {
    const handler = this.closeNotifiedFlag ? undefined : this.handler;
    if (handler === undefined) return null;
    if (handler.saveState === undefined) throw new Error(`host network: cannot save the connection ${connection()}: its service's handler has no saveState()`);
    return handler.saveState();
  }
}
