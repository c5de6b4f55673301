// Discard (RFC 863, port 9): reads and drops everything. The guest's fastest upload sink:
// it measures the guest-to-host path with no work on the host side beyond the TCP stack.

import type { StateReader } from "../../../snapshot/state-reader.js";
import { restorableService, type StreamConnection, type StreamHandler, type StreamService } from "../stream-service.js";

/** Totals over every connection of one discard service (for counters and tests). */
export interface DiscardStats {
  connections: number;
  bytes: number;
}

export function createDiscardService(stats: DiscardStats = { connections: 0, bytes: 0 }): StreamService {
  const handler = (connection: StreamConnection): StreamHandler => ({
    onData: (bytes) => {
      stats.bytes += bytes.length;
    },
    // The peer is done sending; we never had anything to say, so close our side too.
    onEnd: () => connection.end(),
    saveState: () => ({ service: "discard" }),
  });
  return restorableService(
    (connection) => {
      stats.connections++;
      return handler(connection);
    },
    // A restored connection is not a new one: the totals (kept by whoever made `stats`) stay.
    (connection, state: StateReader) => {
      state.field("service").oneOf(["discard"] as const);
      return handler(connection);
    },
  );
}
