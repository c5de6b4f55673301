// The host side of snapshot tests: a host network behind a link that a test guest (TcpPeer)
// keeps talking to while the network behind it is saved, written out as a file would be,
// and restored into a fresh network on another clock. The guest's own TCP state is untouched,
// as if it had been restored from the same moment.
import type { GuestNetCapabilities, NetBackend, NetFrame } from "../../src/backends/net/net-backend.js";
import { HostNetwork, type HostNetworkOptions } from "../../src/backends/net/host/host-network.js";
import type { HostNetworkState } from "../../src/backends/net/host/host-network-state.js";

/** JSON with every Uint8Array as {"$bytes": base64}: how a snapshot file could hold the state. */
export function stateToFile(state: HostNetworkState): string {
  return JSON.stringify(state, (_key, value: unknown) => (value instanceof Uint8Array ? { $bytes: Buffer.from(value).toString("base64") } : value));
}

export function stateFromFile(file: string): HostNetworkState {
  const parsed: unknown = JSON.parse(file, (_key, value: unknown) => {
    if (typeof value === "object" && value !== null && "$bytes" in value && typeof value.$bytes === "string") {
      return new Uint8Array(Buffer.from(value.$bytes, "base64"));
    }
    return value;
  });
  return parsed as HostNetworkState; // restoreState checks every field
}

/**
 * The file with times relative to the moment of saving rounded to a microsecond: re-based on
 * another clock (a large number), a fractional deadline may move by a rounding error.
 */
function normalised(file: string): string {
  return JSON.stringify(JSON.parse(file, (key, value: unknown) => (key.endsWith("InMs") && typeof value === "number" ? Math.round(value * 1000) / 1000 : value)));
}

export class SnapshotHost implements NetBackend {
  net: HostNetwork;
  /** The current network's clock: its time is `base + elapsed`. */
  private base: number;
  private elapsed = 0;
  restores = 0;

  constructor(private readonly options: () => HostNetworkOptions, startMs = 1) {
    this.net = new HostNetwork(options());
    this.base = startMs;
    this.net.tick(this.base);
  }

  get now(): number {
    return this.base + this.elapsed;
  }

  tick(ms = 1): void {
    this.elapsed += ms;
    this.net.tick(this.now);
  }

  /**
   * Saves the network, round-trips the state through a file, and continues on a fresh
   * network built from the same options whose clock reads `newNowMs`. Returns the file.
   */
  snapshot(newNowMs: number): string {
    const file = stateToFile(this.net.saveState());
    const fresh = new HostNetwork(this.options());
    fresh.restoreState(stateFromFile(file), newNowMs);
    // Restoring loses nothing that saving kept: the restored network saves the same state.
    const again = stateToFile(fresh.saveState());
    if (normalised(again) !== normalised(file)) throw new Error(`the restored network saves another state:\n${again}\ninstead of\n${file}`);
    this.base = newNowMs - this.elapsed;
    this.net = fresh;
    this.restores++;
    return file;
  }

  receiveFromGuest(frame: NetFrame): void {
    this.net.receiveFromGuest(frame);
  }

  nextForGuest(): NetFrame | undefined {
    return this.net.nextForGuest();
  }

  onGuestFramesReady(listener: () => void): void {
    this.net.onGuestFramesReady(listener);
  }

  setGuestCapabilities(caps: GuestNetCapabilities | undefined): void {
    this.net.setGuestCapabilities(caps);
  }

  guestReset(): void {
    this.net.guestReset();
  }
}
