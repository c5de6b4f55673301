// The default network: ringside's virtio-net cabled to the in-worker host network with its
// standard services (HTTP on 80, echo 7, discard 9, chargen 19).
import { HostNetwork, type HostNetworkOptions } from "../backends/net/host/host-network.js";
import type { HostNetworkState } from "../backends/net/host/host-network-state.js";
import { createStandardServices } from "../backends/net/services/standard-services.js";
import type { NotificationPolicy } from "../devices/virtio-net.js";
import type { NetworkChoice } from "./machine.js";

export interface HostNetworkChoiceOptions extends HostNetworkOptions {
  policy?: NotificationPolicy;
}

export function hostNetworkChoice(options: HostNetworkChoiceOptions = {}): NetworkChoice & { host: HostNetwork } {
  const { policy, ...hostOptions } = options;
  const host = new HostNetwork({ services: createStandardServices(), ...hostOptions });
  return {
    host,
    backend: host,
    tick: (nowMs) => host.tick(nowMs),
    state: {
      save: () => host.saveState(),
      restore: (saved, nowMs) => host.restoreState(saved as HostNetworkState, nowMs),
    },
    mac: hostOptions.guestMac,
    policy,
    ...(hostOptions.guestIp ? { ip: { address: hostOptions.guestIp } } : {}),
  };
}
