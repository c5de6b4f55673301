// How every producing service writes: only while the connection holds less than
// STREAM_HIGH_WATER_BYTES unacknowledged, never past it, and the rest from onWritable.
// The host's memory per connection then stays bounded whatever the guest does (a guest that
// never reads leaves us holding at most the high-water mark).

import { STREAM_HIGH_WATER_BYTES, type StreamConnection } from "../stream-service.js";

/** Largest single write: big enough to keep per-write costs low, small next to the bound. */
export const PUMP_CHUNK_BYTES = 64 * 1024;

/**
 * A source of bytes to send. `next(max)` returns at most `max` (> 0) bytes in an array the
 * connection may keep, or an empty array when it has nothing more right now.
 */
export type ChunkSource = (maxBytes: number) => Uint8Array;

/**
 * Writes chunks from `next` until the connection reaches the high-water mark or the source
 * gives nothing. Returns the number of bytes written. A write is cut to the room left, so
 * bufferedAmount never exceeds STREAM_HIGH_WATER_BYTES because of us.
 */
export function pump(connection: StreamConnection, next: ChunkSource): number {
  let written = 0;
  for (;;) {
    const room = STREAM_HIGH_WATER_BYTES - connection.bufferedAmount;
    if (room <= 0) return written;
    const chunk = next(Math.min(PUMP_CHUNK_BYTES, room));
    if (chunk.length === 0) return written;
    connection.write(chunk);
    written += chunk.length;
  }
}
