// The page's network, built inside the worker from what the page asked for:
//   host    ringside's virtio-net on the in-worker host network (the default)
//   switch  the same, plus a BroadcastChannel switch: VMs in tabs of this origin reach each
//           other; each tab's guest gets its own MAC and an address derived from it
//   relay   a WebSocket relay in v86's format, to a real network; the guest asks it for an
//           address with DHCP
//   none    no network card
import { HostNetwork } from "../backends/net/host/host-network.js";
import { createStandardServices } from "../backends/net/services/standard-services.js";
import { BroadcastSwitch, guestIpForMac } from "../backends/net/broadcast-switch.js";
import { WebSocketRelayBackend } from "../backends/net/websocket-relay.js";
import { randomLocalMac } from "../backends/net/mac-address.js";
import { formatMac } from "../util/mac-address.js";
import type { NetworkChoice } from "../machine/machine.js";
import { hostNetworkChoice } from "../machine/host-network-choice.js";
import type { NetworkRequest } from "./api.js";

export function networkChoiceFor(request: NetworkRequest, log: (message: string) => void): NetworkChoice | undefined {
  switch (request.kind) {
    case "none":
      return undefined;
    case "host":
      // With its state hooks: a saved machine keeps its TCP connections and services.
      return hostNetworkChoice({ policy: request.policy });
    case "switch": {
      const mac = formatMac(randomLocalMac());
      const address = guestIpForMac(mac);
      const host = new HostNetwork({ services: createStandardServices(), guestMac: mac, guestIp: address });
      const backend = new BroadcastSwitch({ guestMac: mac, local: host });
      log(`network: BroadcastChannel switch, this guest is ${address} (${mac})`);
      return { backend, tick: (now) => host.tick(now), mac, policy: request.policy, ip: { address } };
    }
    case "relay": {
      const backend = new WebSocketRelayBackend(request.url);
      backend.onStatusChange((status) => log(`network relay ${request.url}: ${status.state}${status.lastError ? ` (${status.lastError})` : ""}`));
      return { backend, mac: formatMac(randomLocalMac()), policy: request.policy, ip: "dhcp" };
    }
  }
}
