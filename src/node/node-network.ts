// A network card's far end in Node, from its description: the in-process host network,
// alone (host), with this computer's own sockets behind it (user: QEMU's user mode, where
// 10.0.2.2 is this computer's loopback and names resolve here), or with a wisp server
// behind it (wisp, over the `ws` package: Node 20 has no WebSocket). Backends only a
// browser has (a tab switch, a v86 relay, fetch()) are refused by name.
import WebSocket from "ws";
import type { NetOptions } from "../description/machine-description.js";
import { DescriptionError } from "../description/parse-machine.js";
import type { CardAddressing } from "../machine/card-addressing.js";
import { hostNetworkFor } from "../machine/host-network-choice.js";
import type { NetworkChoice } from "../machine/network-choice.js";
import type { HostNetwork } from "../backends/net/host/host-network.js";
import { createWispOutbound } from "../backends/net/wisp/outbound.js";
import { nodeWsTransport, WISP_SUBPROTOCOL } from "../backends/net/wisp/transport.js";
import { WISP_MAX_MESSAGE_BYTES } from "../backends/net/wisp/limits.js";
import { errorMessage } from "../util/error-message.js";
import { createSocketDialer } from "./user-net/socket-dialer.js";
import { createUdpCarrier } from "./user-net/udp-carrier.js";
import { openHostForwards } from "./user-net/host-forwards.js";

interface Closable {
  close(): void;
}

export function nodeNetworkFor(options: NetOptions, index: number, addressing: CardAddressing, opened: Closable[], log: (message: string) => void): NetworkChoice & { host: HostNetwork } {
  const backend = options.backend;
  switch (backend.kind) {
    case "host":
      return hostNetworkFor(addressing);
    case "user": {
      const routerIp = addressing.host.routerIp;
      // No services of ours on the router: every port of 10.0.2.2 is this computer's.
      const choice = hostNetworkFor(addressing, {
        services: new Map(),
        outbound: { tcp: createSocketDialer({ routerIp, log }), udp: createUdpCarrier({ routerIp, log }), namePool: true, routerIsHost: true },
      });
      opened.push({ close: () => choice.host.guestReset() });
      if (backend.hostfwd !== undefined && backend.hostfwd.length > 0) opened.push(openHostForwards(choice.host, backend.hostfwd, log));
      return choice;
    }
    case "wisp": {
      let wisp: ReturnType<typeof createWispOutbound>;
      try {
        wisp = createWispOutbound({
          url: backend.url,
          openTransport: (url) => nodeWsTransport(new WebSocket(url, [WISP_SUBPROTOCOL], { maxPayload: WISP_MAX_MESSAGE_BYTES })),
          log,
        });
      } catch (e) {
        throw new DescriptionError(`devices[${index}]: ${errorMessage(e)}`);
      }
      opened.push({ close: () => wisp.close() });
      return hostNetworkFor(addressing, { outbound: { tcp: wisp.tcp, namePool: true } });
    }
    case "switch":
    case "relay":
    case "fetch": {
      const what = { switch: "the tab switch", relay: "a WebSocket relay", fetch: "the browser's fetch()" }[backend.kind];
      throw new DescriptionError(`devices[${index}]: a network card on ${what} exists only on the page; use net=host, net=user or net=wisp here`);
    }
  }
}
