// Discard (RFC 863, port 9): reads and drops everything. The guest's fastest upload sink:
// it measures the guest-to-host path with no work on the host side beyond the TCP stack.

import type { StreamService } from "../stream-service.js";

/** Totals over every connection of one discard service (for counters and tests). */
export interface DiscardStats {
  connections: number;
  bytes: number;
}

export function createDiscardService(stats: DiscardStats = { connections: 0, bytes: 0 }): StreamService {
  return (connection) => {
    stats.connections++;
    return {
      onData: (bytes) => {
        stats.bytes += bytes.length;
      },
      // The peer is done sending; we never had anything to say, so close our side too.
      onEnd: () => connection.end(),
    };
  };
}
