// Which guest TCP connections leave the machine, and to what: a connection to an address
// outside the segment goes to the outbound dialer (outbound.ts) with the name the guest
// looked up when the address is a pool address; one to the router's own address goes
// there only when the router stands for the host (user mode). A pool address nobody
// looked up (or one since given to another name) is refused: there is nothing to dial.
import type { OutboundOptions, OutboundTarget } from "../outbound.js";
import type { StreamService } from "../stream-service.js";
import { formatIpv4, type SegmentAddresses } from "./addresses.js";
import type { NamePool } from "./name-pool.js";

export function outboundDialer(addresses: SegmentAddresses, outbound: OutboundOptions | undefined, pool: NamePool | undefined): ((ip: number, port: number) => StreamService | undefined) | undefined {
  const tcp = outbound?.tcp;
  if (tcp === undefined) return undefined;
  const routerIsHost = outbound?.routerIsHost === true;
  return (ip, port) => {
    if (ip === addresses.routerIp && !routerIsHost) return undefined;
    const name = pool?.nameFor(ip);
    if (name === undefined && pool?.contains(ip) === true) return undefined;
    const target: OutboundTarget = { ip: formatIpv4(ip), port, ...(name === undefined ? {} : { name }) };
    return (connection) => tcp(target, connection);
  };
}
