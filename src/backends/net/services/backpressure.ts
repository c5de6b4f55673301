// How every producing service writes: only what the connection's writableBytes allows, and
// the rest from onWritable. The host's memory then stays bounded whatever the guest does:
// a guest that never reads leaves us holding at most the connection's share of the host's
// send buffers (StreamConnection.writableBytes, host/send-budget.ts).

import type { StreamConnection } from "../stream-service.js";

/** Largest single write: big enough to keep per-write costs low, small next to the bound. */
export const PUMP_CHUNK_BYTES = 64 * 1024;

/**
 * A source of bytes to send. `next(max)` returns at most `max` (> 0) bytes in an array the
 * connection may keep, or an empty array when it has nothing more right now.
 */
export type ChunkSource = (maxBytes: number) => Uint8Array;

/**
 * Writes chunks from `next` until the connection takes no more or the source gives
 * nothing. Returns the number of bytes written. A write is cut to the room left, so the
 * connection never holds more than writableBytes allowed because of us.
 */
export function pump(connection: StreamConnection, next: ChunkSource): number {
  let written = 0;
  for (;;) {
    const room = connection.writableBytes;
    if (room <= 0) return written;
    const chunk = next(Math.min(PUMP_CHUNK_BYTES, room));
    if (chunk.length === 0) return written;
    connection.write(chunk);
    written += chunk.length;
  }
}
