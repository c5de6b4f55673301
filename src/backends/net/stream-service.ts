// How a service on the host network (HTTP, echo, discard, chargen) sees one accepted TCP
// connection: a byte stream with backpressure. The TCP stack owns segments, windows and
// retransmission; services only see bytes.
//
// Snapshots: a handler that can describe where it is returns that from saveState(), and its
// service re-creates it from that with restore(). Saving a network with a connection whose
// handler cannot do so fails (it never silently loses the service's side of a transfer).
import type { PlainData, StateReader } from "../../snapshot/state-reader.js";

/** The stack's side of one connection, as given to a service. */
export interface StreamConnection {
  /**
   * Queues bytes to send. The stack sends them as the peer's window allows; the bytes
   * are copied or kept, so the caller must not modify `bytes` afterwards.
   */
  write(bytes: Uint8Array): void;
  /** Bytes written but not yet acknowledged by the peer (sent or still waiting). */
  readonly bufferedAmount: number;
  /**
   * How many more bytes the host will hold for this connection now: what is left of its
   * share of the host's memory (at most STREAM_HIGH_WATER_BYTES buffered per connection,
   * or as much as the peer's window when that is larger, up to the host's bulk cap, and a
   * cap over all connections). Producers write no more than this and go on from
   * onWritable; 0 once the connection is ending or gone.
   */
  readonly writableBytes: number;
  /** Sends FIN once everything written has been sent. Further writes are ignored. */
  end(): void;
  /** Aborts the connection (RST). */
  abort(): void;
  /**
   * Stops delivering data (onData) until resumeReading(): the peer is told to wait (a zero
   * window) and what it sends meanwhile is left for it to send again. For a handler that
   * would otherwise have to keep whatever arrives. A restored handler that was paused
   * pauses again in restore().
   */
  pauseReading(): void;
  resumeReading(): void;
  /**
   * The service streams a large body: the connection may hold as much as the peer's window
   * asks (up to the host's bulk cap) instead of the high-water mark. Optional.
   */
  sendInBulk?(): void;
}

/** The service's side of one connection. */
export interface StreamHandler {
  /** Bytes from the peer, in order. The array is only valid during the call. */
  onData(bytes: Uint8Array): void;
  /** The peer sent FIN: no more data will come. */
  onEnd(): void;
  /**
   * The peer acknowledged data and bufferedAmount is below STREAM_LOW_WATER_BYTES: a
   * producer (a blob, chargen) writes more now, up to writableBytes, so the host's memory
   * stays bounded whatever the guest does.
   */
  onWritable?(): void;
  /** The connection is gone (closed both ways, reset or timed out). */
  onClose?(): void;
  /**
   * Where the handler is, as plain data, for a snapshot. Called between events (never
   * inside a callback); must not change anything. Its `service` names the kind of state.
   */
  saveState?(): ServiceState;
  /**
   * Called once after a restore, when the whole network is back: restart work the handler
   * does on its own (deferred slices), best by scheduling it, so that the network stays as
   * saved until the machine runs again.
   */
  resume?(): void;
}

/** A handler's saved state: plain data tagged with the service it belongs to. */
export type ServiceState = { readonly service: string; readonly [field: string]: PlainData };

/** Creates the handler for a newly accepted connection. */
export interface StreamService {
  (connection: StreamConnection): StreamHandler;
  /**
   * Re-creates a handler from what its saveState() returned, on a connection restored to
   * the same moment (its unacknowledged bytes are already there). Must check the state
   * (throw through `state`'s reader on anything wrong) and must not write, end or schedule
   * anything: the restore may still fail and be thrown away; resume() comes after.
   */
  restore?(connection: StreamConnection, state: StateReader): StreamHandler;
}

/** A service that can restore its handlers. */
export function restorableService(
  create: (connection: StreamConnection) => StreamHandler,
  restore: (connection: StreamConnection, state: StateReader) => StreamHandler,
): StreamService {
  return Object.assign((connection: StreamConnection) => create(connection), { restore });
}

/** Below this much buffered, acknowledgements wake the producer (onWritable). */
export const STREAM_LOW_WATER_BYTES = 128 * 1024;
/**
 * The most a connection holds unacknowledged (writableBytes never offers more): enough to
 * keep a guest's receive path busy between its ACKs, small enough that a thousand
 * connections that never read stay far below the host's total cap (host/send-budget.ts).
 */
export const STREAM_HIGH_WATER_BYTES = 256 * 1024;
