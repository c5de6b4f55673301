// Echo (RFC 862, port 7): sends back every byte received, in order, with backpressure.
//
// What bounds memory: we write only what the connection's writableBytes allows; bytes
// received beyond that wait in a queue until onWritable. A peer that reads its echo keeps
// the queue near empty. A peer that sends without reading would make it grow, so once it
// holds ECHO_QUEUE_LIMIT_BYTES we pause reading (the peer's TCP sees a zero window and keeps
// its data) and resume when the queue is down to half. The queue is then never more than
// the limit plus the one delivery that crossed it.

import type { Plain, StateReader } from "../../../snapshot/state-reader.js";
import { restorableService, type StreamConnection, type StreamHandler, type StreamService } from "../stream-service.js";
import { pump } from "./backpressure.js";

export const ECHO_QUEUE_LIMIT_BYTES = 64 * 1024;
/** The limit plus one delivery from the host TCP (at most one IPv4 packet's payload). */
export const ECHO_QUEUE_MAX_BYTES = ECHO_QUEUE_LIMIT_BYTES + 64 * 1024;

/** An echo connection between events: what waits to be echoed, and how far it got. */
export type EchoState = Plain<{ service: "echo"; queue: Uint8Array; peerEnded: boolean; ended: boolean; readingPaused: boolean }>;

class EchoConnection implements StreamHandler {
  /** Received bytes not yet written (copies we own, so the connection may keep them). */
  private readonly queue: Uint8Array[] = [];
  private queued = 0;
  private peerEnded = false;
  private closed = false;
  private readingPaused = false;

  constructor(private readonly connection: StreamConnection) {}

  onData(bytes: Uint8Array): void {
    if (this.closed || this.peerEnded || bytes.length === 0) return;
    this.queue.push(bytes.slice()); // `bytes` is only valid during this call
    this.queued += bytes.length;
    this.flush();
    if (!this.readingPaused && !this.closed && this.queued >= ECHO_QUEUE_LIMIT_BYTES) {
      this.readingPaused = true;
      this.connection.pauseReading();
    }
  }

  onEnd(): void {
    this.peerEnded = true;
    this.flush();
  }

  onWritable(): void {
    this.flush();
  }

  onClose(): void {
    this.closed = true;
    this.queue.length = 0;
    this.queued = 0;
  }

  saveState(): EchoState {
    const queue = new Uint8Array(this.queued);
    let at = 0;
    for (const chunk of this.queue) {
      queue.set(chunk, at);
      at += chunk.length;
    }
    return { service: "echo", queue, peerEnded: this.peerEnded, ended: this.closed, readingPaused: this.readingPaused };
  }

  static restore(connection: StreamConnection, state: StateReader): EchoConnection {
    state.field("service").oneOf(["echo"] as const);
    const echo = new EchoConnection(connection);
    const queue = state.field("queue").bytes(ECHO_QUEUE_MAX_BYTES);
    if (queue.length > 0) echo.queue.push(queue);
    echo.queued = queue.length;
    echo.peerEnded = state.field("peerEnded").boolean();
    echo.closed = state.field("ended").boolean();
    if (echo.closed && queue.length > 0) state.field("queue").fail("empty once the echo has ended");
    // Saved before the field existed: paused exactly when the queue is at the limit.
    echo.readingPaused = state.has("readingPaused") ? state.field("readingPaused").boolean() : queue.length >= ECHO_QUEUE_LIMIT_BYTES;
    if (echo.readingPaused) connection.pauseReading(); // the connection's window is the handler's to say
    return echo;
  }

  private flush(): void {
    if (this.closed) return;
    pump(this.connection, (max) => {
      const head = this.queue[0];
      if (!head) return new Uint8Array(0);
      if (head.length <= max) this.queue.shift();
      else this.queue[0] = head.subarray(max);
      const chunk = head.length <= max ? head : head.subarray(0, max);
      this.queued -= chunk.length;
      return chunk;
    });
    if (this.readingPaused && this.queued <= ECHO_QUEUE_LIMIT_BYTES / 2) {
      this.readingPaused = false;
      this.connection.resumeReading();
    }
    // Half-close in turn once everything the peer sent has been echoed.
    if (this.peerEnded && this.queued === 0) {
      this.closed = true;
      this.connection.end();
    }
  }
}

export function createEchoService(): StreamService {
  return restorableService(
    (connection) => new EchoConnection(connection),
    (connection, state) => EchoConnection.restore(connection, state),
  );
}
