// How much the host may hold of what services wrote and the guest has not acknowledged yet
// (every connection's send buffer). A guest that opens a thousand connections and reads
// none of them must not make the host hold a thousand times a connection's buffer, so there
// are two caps: one per connection, and one over all connections.
//
// Fairness: a connection may always hold SEND_BUFFER_RESERVED_BYTES (enough for a response
// head and the first segments of a body), whatever the others hold, because the total cap
// sets that much aside for every connection the table can have. Only bytes above the reserve
// are drawn from the shared rest, first come first served. So connections that fill the
// shared part and never read slow a new connection down (to its reserve per round trip)
// but never stop it; the idle timeout frees them in the end.
//
// Services see the result as StreamConnection.writableBytes and write no more than that
// (services/backpressure.ts); bytes written past it are still kept (a write is never lost)
// but are counted, so the figures stay true.
import { STREAM_HIGH_WATER_BYTES } from "../stream-service.js";
import { MAX_CONNECTIONS } from "./tcp-config.js";

/** Per connection: the stream contract's high-water mark. */
export const SEND_BUFFER_BYTES_PER_CONNECTION = STREAM_HIGH_WATER_BYTES;
/**
 * Per connection that streams a large body (StreamConnection.sendInBulk) to a guest that
 * announces a larger window: up to this much, so a download keeps the guest's whole window
 * in flight (a Linux guest opens about 800 KiB). A round trip is often a poll tick; at
 * 256 KiB a download carried about a quarter of the window per round trip.
 */
export const SEND_BUFFER_BYTES_BULK = 1024 * 1024;
/** Over all connections: 32 MiB, whatever the guest does (128 connections at their own cap). */
export const SEND_BUFFER_BYTES_TOTAL = 32 * 1024 * 1024;
/** What every connection may hold whatever the others hold (1,024 of these are 8 MiB of the total). */
export const SEND_BUFFER_RESERVED_BYTES = 8 * 1024;

export interface SendBudgetLimits {
  perConnection: number;
  total: number;
  reserved: number;
  /** The most connections that can hold a reserve at once. */
  maxConnections: number;
}

export const DEFAULT_SEND_BUDGET: SendBudgetLimits = {
  perConnection: SEND_BUFFER_BYTES_PER_CONNECTION,
  total: SEND_BUFFER_BYTES_TOTAL,
  reserved: SEND_BUFFER_RESERVED_BYTES,
  maxConnections: MAX_CONNECTIONS,
};

/** Where a send buffer reports its size (SendBuffer calls it on every change). */
export interface BufferAccount {
  resized(before: number, after: number): void;
}

export class SendBudget implements BufferAccount {
  private held = 0;
  /** Bytes held above the reserve, summed over connections: what the shared part lends. */
  private borrowed = 0;
  private readonly shared: number;

  constructor(readonly limits: SendBudgetLimits = DEFAULT_SEND_BUDGET) {
    this.shared = Math.max(0, limits.total - limits.maxConnections * limits.reserved);
  }

  /** Bytes held over all connections. */
  get bufferedBytes(): number {
    return this.held;
  }

  /**
   * How many more bytes a connection that holds `holding` may take now, when its guest
   * announces a window of `window` bytes (connectionCap).
   */
  room(holding: number, window = 0): number {
    const { perConnection, reserved } = this.limits;
    const own = connectionCap(perConnection, window) - holding;
    const available = Math.max(0, reserved - holding) + Math.max(0, this.shared - this.borrowed);
    return Math.max(0, Math.min(own, available));
  }

  resized(before: number, after: number): void {
    const reserved = this.limits.reserved;
    this.held += after - before;
    this.borrowed += Math.max(0, after - reserved) - Math.max(0, before - reserved);
  }
}

/** What one connection may hold: its share, or the guest's window up to SEND_BUFFER_BYTES_BULK when that is larger. */
export function connectionCap(perConnection: number, window: number): number {
  return Math.max(perConnection, Math.min(window, SEND_BUFFER_BYTES_BULK));
}
