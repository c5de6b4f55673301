// User mode's hostfwd (QEMU's `hostfwd=tcp::HOSTPORT-:GUESTPORT`): the host listens on
// 127.0.0.1:HOSTPORT (only this machine's programs may come in) and carries each
// connection to the guest's GUESTPORT, opened by the host network from the router's
// address. A connection the guest refuses or never answers is closed on the host side.
// Bounded: at most MAX_FORWARDED_CONNECTIONS at once per rule; more are closed at once.
import net from "node:net";
import type { HostForward } from "../../description/net-backend.js";
import { formatHostForward } from "../../description/net-backend.js";
import type { HostNetwork } from "../../backends/net/host/host-network.js";
import { errorMessage } from "../../util/error-message.js";
import { SocketLink } from "./socket-dialer.js";

export const MAX_FORWARDED_CONNECTIONS = 256;

export interface HostForwards {
  /** Resolves once every rule listens; rejects naming the rule that cannot. */
  readonly listening: Promise<void>;
  close(): void;
}

export function openHostForwards(host: HostNetwork, rules: readonly HostForward[], log: (message: string) => void): HostForwards {
  const servers = rules.map((rule) => {
    let live = 0;
    const server = net.createServer({ pauseOnConnect: true }, (socket) => {
      if (live >= MAX_FORWARDED_CONNECTIONS) {
        log(`user network: hostfwd ${formatHostForward(rule)}: ${MAX_FORWARDED_CONNECTIONS} connections already; closing a new one`);
        socket.destroy();
        return;
      }
      live++;
      socket.once("close", () => live--);
      socket.on("error", () => undefined); // reported through the link, or irrelevant once closed
      host.connectToGuest({
        guestPort: rule.guestPort,
        service: (connection) => new SocketLink(socket, connection, `hostfwd ${formatHostForward(rule)}`, log).handler,
        failed: (reason) => {
          log(`user network: hostfwd ${formatHostForward(rule)}: ${reason}`);
          socket.destroy();
        },
      });
    });
    server.unref(); // a forward never keeps the process alive on its own
    const listening = new Promise<void>((resolve, reject) => {
      server.once("listening", resolve);
      server.once("error", (error) => {
        const message = `user network: hostfwd ${formatHostForward(rule)}: cannot listen on 127.0.0.1:${rule.hostPort}: ${errorMessage(error)}`;
        log(message);
        reject(new Error(message));
      });
    });
    server.listen(rule.hostPort, "127.0.0.1");
    return { server, listening };
  });
  const listening = Promise.all(servers.map((s) => s.listening)).then(() => undefined);
  listening.catch(() => undefined); // logged above; a caller that awaits it sees the rejection
  return { listening, close: () => servers.forEach((s) => s.server.close()) };
}
