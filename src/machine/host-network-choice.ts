// The default network: ringside's virtio-net cabled to the in-worker host network with its
// standard services (HTTP on 80, echo 7, discard 9, chargen 19).
import { HostNetwork, type HostNetworkOptions } from "../backends/net/host/host-network.js";
import type { HostNetworkState } from "../backends/net/host/host-network-state.js";
import { createStandardServices } from "../backends/net/services/standard-services.js";
import type { NetworkChoice } from "./network-choice.js";
import type { CardAddressing } from "./card-addressing.js";

/** The host network for a card at `addressing` (the first card's by default), with the standard services. */
export function hostNetworkChoice(options: HostNetworkOptions = {}): NetworkChoice & { host: HostNetwork } {
  const host = new HostNetwork({ services: createStandardServices(), ...options });
  return {
    host,
    backend: host,
    tick: (nowMs) => host.tick(nowMs),
    state: {
      save: () => host.saveState(),
      restore: (saved, nowMs) => host.restoreState(saved as HostNetworkState, nowMs),
    },
  };
}

/** The host network a card's addressing calls for: its router, the address its DHCP hands out, the card's MAC. */
export function hostNetworkFor(addressing: CardAddressing, options: HostNetworkOptions = {}): NetworkChoice & { host: HostNetwork } {
  return hostNetworkChoice({ ...addressing.host, guestMac: addressing.mac, ...options });
}
