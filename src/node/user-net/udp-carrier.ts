// User-mode networking's UDP: each guest flow (its port and the address it sends to) gets
// a socket of this process, and datagrams from that address and port come back to it. The
// flows are bounded: at most MAX_UDP_FLOWS at once (a new one closes the one used longest
// ago) and a flow unused for UDP_FLOW_IDLE_MS is closed at the next send. Replies from
// anyone but the address the guest sent to are dropped, as a port-restricted NAT does.
import dgram from "node:dgram";
import { isIP } from "node:net";
import type { OutboundUdp, UdpFlow } from "../../backends/net/outbound.js";
import { errorMessage } from "../../util/error-message.js";
import { hostFor } from "./socket-dialer.js";

export const MAX_UDP_FLOWS = 256;
export const UDP_FLOW_IDLE_MS = 60_000;

interface Flow {
  socket: dgram.Socket;
  lastUsed: number;
  reply: (payload: Uint8Array) => void;
  /** The address replies must come from; undefined for a name (whatever it resolves to). */
  remote: string | undefined;
}

export function createUdpCarrier(options: { routerIp: string; log(message: string): void; now?: () => number }): OutboundUdp {
  const now = options.now ?? (() => Date.now());
  const flows = new Map<string, Flow>();

  const close = (key: string): void => {
    const flow = flows.get(key);
    if (flow === undefined) return;
    flows.delete(key);
    flow.socket.close();
  };

  const open = (key: string, host: string, port: number, reply: (payload: Uint8Array) => void): Flow => {
    const socket = dgram.createSocket(isIP(host) === 6 ? "udp6" : "udp4");
    const flow: Flow = { socket, lastUsed: now(), reply, remote: isIP(host) === 0 ? undefined : host };
    socket.on("message", (message, from) => {
      if (from.port !== port || (flow.remote !== undefined && from.address !== flow.remote)) return;
      flow.lastUsed = now();
      flow.reply(new Uint8Array(message.buffer, message.byteOffset, message.length));
    });
    socket.on("error", (error) => {
      options.log(`user network: UDP to ${host}:${port}: ${errorMessage(error)}`);
      close(key);
    });
    socket.unref(); // a flow never keeps the process alive
    flows.set(key, flow);
    return flow;
  };

  const sweep = (): void => {
    const t = now();
    for (const [key, flow] of flows) if (t - flow.lastUsed > UDP_FLOW_IDLE_MS) close(key);
    // Oldest first (a Map keeps insertion order and each use re-inserts).
    while (flows.size >= MAX_UDP_FLOWS) close(flows.keys().next().value as string);
  };

  return {
    send(flow: UdpFlow, payload: Uint8Array, reply: (payload: Uint8Array) => void): void {
      const host = hostFor(flow.target, options.routerIp);
      const key = `${flow.guestPort}>${host}:${flow.target.port}`;
      let entry = flows.get(key);
      if (entry === undefined) {
        sweep();
        entry = open(key, host, flow.target.port, reply);
      } else {
        flows.delete(key);
        flows.set(key, entry);
      }
      entry.lastUsed = now();
      entry.socket.send(payload, flow.target.port, host, (error) => {
        if (error !== null && error !== undefined) options.log(`user network: UDP to ${host}:${flow.target.port}: ${errorMessage(error)}`);
      });
    },
    reset(): void {
      for (const key of [...flows.keys()]) close(key);
    },
  };
}
