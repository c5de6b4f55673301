// A network card's other end on the page, built inside the worker from the machine
// description:
//   host    the in-worker host network (card k on 10.0.(2+k).0/24)
//   switch  the same, plus a BroadcastChannel switch: VMs in tabs of this origin reach each
//           other; each tab's guest gets its own MAC and an address derived from it
//   relay   a WebSocket relay in v86's format, to a real network; the guest asks it for an
//           address with DHCP
//   wisp    the host network, its TCP carried as streams of a wisp server (names resolve there)
//   fetch   the host network, its HTTP on port 80 carried by this page's fetch() (CORS applies)
import { HostNetwork } from "../backends/net/host/host-network.js";
import { createStandardServices } from "../backends/net/services/standard-services.js";
import { BroadcastSwitch, guestIpForMac, SWITCH_CHANNEL_NAME } from "../backends/net/broadcast-switch.js";
import { addressesInUse, macWithFreeAddress } from "../backends/net/switch-addresses.js";
import { randomLocalMac } from "../backends/net/mac-address.js";
import { formatMac } from "../util/mac-address.js";
import { WebSocketRelayBackend } from "../backends/net/websocket-relay.js";
import type { NetOptions } from "../description/machine-description.js";
import type { NetworkChoice } from "../machine/network-choice.js";
import { cardAddressing, type CardAddressing } from "../machine/card-addressing.js";
import { hostNetworkFor } from "../machine/host-network-choice.js";
import { createWispOutbound } from "../backends/net/wisp/outbound.js";
import { domWebSocketTransport, WISP_SUBPROTOCOL } from "../backends/net/wisp/transport.js";
import { createFetchOutbound } from "../backends/net/fetch/fetch-outbound.js";

/** Card `k`'s network as its options describe it, with the addresses the guest must take. */
export async function cardNetwork(k: number, options: NetOptions, log: (message: string) => void): Promise<{ network: NetworkChoice; addressing: CardAddressing }> {
  const planned = cardAddressing(k, options);
  switch (options.backend.kind) {
    case "host":
      // With its state hooks: a saved machine keeps its TCP connections and services.
      return { network: hostNetworkFor(planned), addressing: planned };
    case "switch": {
      // Without a MAC of its own, one whose address no running tab holds.
      const taken = options.mac === undefined ? await addressesInUse(new BroadcastChannel(SWITCH_CHANNEL_NAME)) : undefined;
      const mac = options.mac ?? macWithFreeAddress(taken ?? new Set(), guestIpForMac);
      const address = guestIpForMac(mac);
      const host = new HostNetwork({ services: createStandardServices(), guestMac: mac, guestIp: address });
      const backend = new BroadcastSwitch({ guestMac: mac, local: host, guestIp: address });
      const others = taken ? `; other guests on it: ${[...taken].sort().join(", ") || "none"}` : "";
      log(`network: BroadcastChannel switch, this guest is ${address} (${mac})${others}`);
      const addressing: CardAddressing = {
        mac,
        guest: { address, netmask: "255.255.255.0", dns: "10.0.2.2", gateway: k === 0 ? "10.0.2.2" : "" },
        host: { routerIp: "10.0.2.2", guestIp: address, netmask: "255.255.255.0" },
      };
      return { network: { backend, tick: (now) => host.tick(now), mac }, addressing };
    }
    case "wisp": {
      const url = options.backend.url;
      const wisp = createWispOutbound({ url, openTransport: (u) => domWebSocketTransport(new WebSocket(u, [WISP_SUBPROTOCOL])), log });
      log(`network: TCP through the wisp server ${url}`);
      // Not saved: its connections end in this page (the host network refuses to save them).
      return { network: hostNetworkFor(planned, { outbound: { tcp: wisp.tcp, namePool: true } }), addressing: planned };
    }
    case "fetch": {
      const fetchOut = createFetchOutbound({ fetch: globalThis.fetch, log, origin: globalThis.location.origin });
      log("network: HTTP on port 80 through this page's fetch() (the browser's CORS rules apply)");
      return { network: hostNetworkFor(planned, { outbound: { tcp: fetchOut, namePool: true } }), addressing: planned };
    }
    case "user":
      throw new Error("user-mode networking (net=user) uses this computer's sockets and exists only in the CLI; use net=wisp or net=fetch here");
    case "relay": {
      const url = options.backend.url;
      const backend = new WebSocketRelayBackend(url);
      backend.onStatusChange((status) => log(`network relay ${url}: ${status.state}${status.lastError ? ` (${status.lastError})` : ""}`));
      const mac = options.mac ?? formatMac(randomLocalMac());
      return { network: { backend, mac }, addressing: { ...planned, mac, guest: "dhcp" } };
    }
  }
}
