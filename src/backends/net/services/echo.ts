// Echo (RFC 862, port 7): sends back every byte received, in order, with backpressure.
//
// What bounds memory: we write only while the connection holds less than the high-water
// mark; bytes received beyond that wait in a queue until onWritable. A peer that reads its
// echo keeps the queue near empty. A peer that sends without reading would make it grow:
// StreamConnection has no way to stop reading (the stack hands us data as it arrives and
// reopens its receive window), so the TCP window bounds only the bytes in flight, not what
// piles up here. Past ECHO_QUEUE_LIMIT_BYTES we therefore reset the connection.

import type { StreamConnection, StreamHandler, StreamService } from "../stream-service.js";
import { pump } from "./backpressure.js";

export const ECHO_QUEUE_LIMIT_BYTES = 1024 * 1024;

class EchoConnection implements StreamHandler {
  /** Received bytes not yet written (copies we own, so the connection may keep them). */
  private readonly queue: Uint8Array[] = [];
  private queued = 0;
  private peerEnded = false;
  private closed = false;

  constructor(private readonly connection: StreamConnection) {}

  onData(bytes: Uint8Array): void {
    if (this.closed || this.peerEnded || bytes.length === 0) return;
    this.queue.push(bytes.slice()); // `bytes` is only valid during this call
    this.queued += bytes.length;
    this.flush();
    if (this.queued > ECHO_QUEUE_LIMIT_BYTES) {
      this.onClose();
      this.connection.abort();
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
    // Half-close in turn once everything the peer sent has been echoed.
    if (this.peerEnded && this.queued === 0) {
      this.closed = true;
      this.connection.end();
    }
  }
}

export function createEchoService(): StreamService {
  return (connection) => new EchoConnection(connection);
}
